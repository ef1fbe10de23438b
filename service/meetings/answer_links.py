"""Signed answer links of an invitation: one per contact and meeting, checked on every use.

The link is `/antwoord/<token>` (optionally `?antwoord=ja` or `?antwoord=nee` to preselect the
button the person clicked in the email). The token is "<contact id>-<meeting id>" signed with
SECRET_KEY (salt "answer", itsdangerous.Signer: the send loop signs one per recipient); it
cannot be turned into another person's or another meeting's link.
It does not expire by itself: the meeting's deadline and start close answering. Nothing here
imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature

from service.ids import parse_id
from service.signing import ReusableSigner

SALT = "answer"
YES, NO = "ja", "nee"


@dataclass(frozen=True)
class AnswerToken:
    """What an answer token was signed for."""

    contact_id: int
    meeting_id: int


class AnswerSigner:
    """Signs and reads answer tokens; make one per secret key (signing is then cheap)."""

    def __init__(self, secret_key: str):
        self._signer = ReusableSigner(secret_key, salt=SALT)

    def token(self, contact_id: int, meeting_id: int) -> str:
        """The token in this contact's answer links for this meeting."""
        return self._signer.sign(f"{contact_id}-{meeting_id}").decode("ascii")

    def read(self, token: str) -> AnswerToken | None:
        """The contact and meeting of a token we signed, or None."""
        try:
            value = self._signer.unsign(token).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        contact, _, meeting = value.partition("-")
        contact_id, meeting_id = parse_id(contact), parse_id(meeting)
        if contact_id is None or meeting_id is None:
            return None
        return AnswerToken(contact_id=contact_id, meeting_id=meeting_id)


def answer_url(token: str, base_url: str, answer: str | None = None) -> str:
    """The address of the answer page, with the chosen answer preselected."""
    url = f"{base_url.rstrip('/')}/antwoord/{token}"
    return f"{url}?{urlencode({'antwoord': answer})}" if answer else url
