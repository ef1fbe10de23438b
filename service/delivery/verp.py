"""VERP return paths: `bounces+<delivery id>-<signature>@domain`, made and read back.

With MAIL_BOUNCE_ADDRESS set, every campaign message goes out with a return path (SMTP MAIL
FROM) of its own, made from that address: the delivery's id and a short signature after a "+"
in the local part. A bounce goes to the return path, so the address it comes back to names the
delivery it is about, whatever the bouncing server writes in its report (Variable Envelope
Return Path, as Mailman and listmonk use it).

The signature is an HMAC of the id with SECRET_KEY, cut to 12 hex digits (48 bits): anyone can
send mail to bounces+123-...@domain, but without the key nobody can make one that reads as a
delivery of ours, so a forged bounce cannot suppress somebody else's address. Hex in lower case,
because mail servers may change the case of a local part.

Plain logic, no Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from service.addresses import AddressNotSendable, ascii_domain

SIGNATURE_LENGTH = 12
# What a mail server puts between the address's own local part and the extension.
DELIMITER = "+"
_EXTENSION = re.compile(
    rf"(?P<id>[1-9][0-9]{{0,17}})-(?P<signature>[0-9a-f]{{{SIGNATURE_LENGTH}}})"
)


def _signature(secret_key: str, delivery_id: int) -> str:
    digest = hmac.new(secret_key.encode(), f"verp:{delivery_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:SIGNATURE_LENGTH]


def verp_address(bounce_address: str, delivery_id: int, secret_key: str) -> str:
    """The return path of one delivery: bounce_address with the id and signature in it."""
    local, _at, domain = bounce_address.rpartition("@")
    return f"{local}{DELIMITER}{delivery_id}-{_signature(secret_key, delivery_id)}@{domain}"


def _same_domain(one: str, other: str) -> bool:
    try:
        return ascii_domain(one.lower()) == ascii_domain(other.lower())
    except AddressNotSendable:
        return False


def delivery_of(address: str, bounce_address: str, secret_key: str) -> int | None:
    """The delivery id a VERP address names, or None: not ours, malformed, or forged.

    The address may come in angle brackets and in any case (a bounce's To, Delivered-To or the
    listener's RCPT TO).
    """
    address = address.strip().strip("<>").strip()
    local, _at, domain = address.rpartition("@")
    base_local, _at, base_domain = bounce_address.rpartition("@")
    if not local or not _same_domain(domain, base_domain):
        return None
    base, delimiter, extension = local.partition(DELIMITER)
    if not delimiter or base.lower() != base_local.lower():
        return None
    match = _EXTENSION.fullmatch(extension.lower())
    if match is None:
        return None
    delivery_id = int(match["id"])
    if not hmac.compare_digest(match["signature"], _signature(secret_key, delivery_id)):
        return None
    return delivery_id


def is_bounce_address(address: str, bounce_address: str) -> bool:
    """Whether an address is the bounce address or one of its extensions (signed or not).

    The listener takes mail only for these; it checks the signature per message.
    """
    address = address.strip().strip("<>").strip()
    local, _at, domain = address.rpartition("@")
    base_local, _at, base_domain = bounce_address.rpartition("@")
    if not local or not _same_domain(domain, base_domain):
        return False
    base, _delimiter, _extension = local.partition(DELIMITER)
    return base.lower() == base_local.lower()


def install_mark(secret_key: str) -> str:
    """The mark of this installation in our Message-IDs (8 hex digits from SECRET_KEY)."""
    return hmac.new(secret_key.encode(), b"message-id", hashlib.sha256).hexdigest()[:8]


# <opgavepost.<campaign>.<delivery>.<mark>@domain>, or <opgavepost.n<delivery>.<mark>@domain>
# for a single message (service/delivery/sendloop.py makes them).
_MESSAGE_ID = re.compile(
    r"<?opgavepost\.(?:(?P<campaign>\d{1,18})\.|n)(?P<delivery>\d{1,18})\.(?P<mark>[0-9a-f]{8})@[^>\s]+>?"
)


def delivery_of_message_id(message_id: str, secret_key: str) -> tuple[int, int | None] | None:
    """(delivery id, campaign id or None) from one of our Message-IDs, or None.

    The mark must be this installation's: a Message-ID of another installation (or one written
    to look like ours, which anybody can) is not taken as ours. The mark is not a signature of
    the id, so the caller also checks that the delivery exists and belongs to that campaign.
    """
    match = _MESSAGE_ID.fullmatch(message_id.strip())
    if match is None or not hmac.compare_digest(match["mark"], install_mark(secret_key)):
        return None
    campaign = int(match["campaign"]) if match["campaign"] else None
    return int(match["delivery"]), campaign
