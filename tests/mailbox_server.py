"""A real IMAP and POP3 server for the bounce mailbox tests: a private Dovecot instance.

Debian's Dovecot (`dovecot-imapd`, `dovecot-pop3d`; scripts/test installs them) runs in the
foreground with a configuration of its own in a temporary folder: its own base_dir and state,
loopback ports chosen free, one user in a passwd-file, maildir storage in the same folder. No
system service is started or touched.

Dovecot refuses to run its login processes as root, and mail as uid 0: as root the Debian
package's users (dovenull, dovecot) take those parts, and the folder is theirs to enter; as
anybody else, that user runs everything.
"""

from __future__ import annotations

import grp
import imaplib
import os
import poplib
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "bounces"
PASSWORD = "geheim-wachtwoord"


@dataclass
class Dovecot:
    """A running Dovecot: its ports, the one user's credentials, and its TLS certificate."""

    imap_port: int
    pop3_port: int
    imaps_port: int
    pop3s_port: int
    folder: Path

    @property
    def certificate(self) -> Path:
        """The self-signed certificate of imaps and pop3s (for 127.0.0.1), to trust in a test."""
        return self.folder / "cert.pem"

    def url(self, scheme: str, *, password: str = PASSWORD, path: str = "/INBOX") -> str:
        """BOUNCE_MAILBOX_URL for this server: imap://, imaps://, pop3:// or pop3s://..."""
        port = {
            "imap": self.imap_port,
            "pop3": self.pop3_port,
            "imaps": self.imaps_port,
            "pop3s": self.pop3s_port,
        }[scheme]
        return f"{scheme}://{USER}:{password}@127.0.0.1:{port}{path}"

    def append(self, data: bytes) -> None:
        """Put a message (CRLF line ends) into the INBOX, over IMAP."""
        client = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        try:
            client.login(USER, PASSWORD)
            status, answer = client.append("INBOX", None, None, data)
            assert status == "OK", answer
        finally:
            client.logout()

    def subjects(self) -> list[str]:
        """The Subject of every message in the INBOX (read over POP3, nothing deleted)."""
        client = poplib.POP3("127.0.0.1", self.pop3_port, timeout=10)
        try:
            client.user(USER)
            client.pass_(PASSWORD)
            count, _size = client.stat()
            subjects = []
            for number in range(1, count + 1):
                _response, lines, _octets = client.top(number, 0)
                for line in lines:
                    if line.lower().startswith(b"subject:"):
                        subjects.append(line.split(b":", 1)[1].strip().decode())
            return subjects
        finally:
            client.quit()


def _accounts() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) that Dovecot will run with."""
    if os.geteuid() == 0:
        internal = pwd.getpwnam("dovecot")
        return "dovenull", "dovecot", internal.pw_uid, internal.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


def _config(folder: Path, imap_port: int, pop3_port: int, imaps_port: int, pop3s_port: int) -> str:
    login_user, internal_user, uid, gid = _accounts()
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name}
first_valid_uid = {min(uid, 500)}
first_valid_gid = 0
mail_location = maildir:{folder}/mail/%u
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s_port}
    ssl = yes
  }}
}}
"""


def _self_signed_certificate(folder: Path) -> None:
    """cert.pem and key.pem in `folder`: a day-long certificate for 127.0.0.1 (openssl CLI)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            return bool(sock.recv(4))  # the greeting: a login process is there
    except OSError:
        return False


@contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    """A private Dovecot on two free loopback ports, stopped and removed afterwards."""
    # Not under pytest's tmp_path: its folders are private to root, and Dovecot's own users
    # must reach their sockets and the maildir.
    folder = Path(tempfile.mkdtemp(prefix="opgavepost-dovecot-"))
    folder.chmod(0o755)
    _login, _internal, uid, gid = _accounts()
    (folder / "mail").mkdir()
    os.chown(folder / "mail", uid, gid)
    (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    _self_signed_certificate(folder)
    ports = free_port(), free_port(), free_port(), free_port()
    config = folder / "dovecot.conf"
    config.write_text(_config(folder, *ports))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        # The TLS ports say nothing before a handshake: the plain ones stand for them.
        while not (_answers(ports[0]) and _answers(ports[1])):
            if process.poll() is not None or time.monotonic() > deadline:
                log = folder / "dovecot.log"
                said = log.read_text() if log.exists() else ""
                raise RuntimeError(f"Dovecot did not start: {said}")
            time.sleep(0.05)
        yield Dovecot(*ports, folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
