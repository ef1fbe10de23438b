"""Signed links that let a contact act on their own data without an account.

Each link carries the contact id signed with SECRET_KEY under its own salt, so a link for one
purpose cannot be used for another: `/voorkeuren/<token>` (preferences, data export, deletion),
`/netwerkkaart/<token>` (one's network card), `/netwerkmuur/<token>` (the network wall, for
members). They do not expire, like the unsubscribe link: an old newsletter's links keep working.
Nothing here imports Flask.
"""

from __future__ import annotations

from itsdangerous import BadSignature

from service.ids import parse_id
from service.signing import ReusableSigner

PREFERENCES = "preferences"
CARD = "network-card"
WALL = "network-wall"
PATHS = {PREFERENCES: "voorkeuren", CARD: "netwerkkaart", WALL: "netwerkmuur"}


class ContactSigner:
    """Signs and reads a contact's links for one purpose; make one per key and purpose."""

    def __init__(self, secret_key: str, purpose: str):
        if purpose not in PATHS:
            raise ValueError(f"unknown link purpose {purpose!r}; use one of {', '.join(PATHS)}")
        self.purpose = purpose
        self._signer = ReusableSigner(secret_key, salt=f"contact-{purpose}")

    def token(self, contact_id: int) -> str:
        """The token in this contact's link."""
        return self._signer.sign(str(contact_id)).decode("ascii")

    def read(self, token: str) -> int | None:
        """The contact id the token was signed for, or None when it is not ours."""
        try:
            value = self._signer.unsign(token).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        return parse_id(value)

    def url(self, contact_id: int, base_url: str) -> str:
        """The absolute address of this contact's link."""
        return f"{base_url.rstrip('/')}/{PATHS[self.purpose]}/{self.token(contact_id)}"
