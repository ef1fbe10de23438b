"""Signed answer links of an invitation: one per contact and meeting, checked on every use.

The link is `/antwoord/<token>` (optionally `?antwoord=ja` or `?antwoord=nee` to preselect the
button the person clicked in the email). The token is [contact id, meeting id] signed with
SECRET_KEY (salt "answer"); it cannot be turned into another person's or another meeting's link.
It does not expire by itself: the meeting's deadline and start close answering. Nothing here
imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer

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
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def token(self, contact_id: int, meeting_id: int) -> str:
        """The token in this contact's answer links for this meeting."""
        return self._serializer.dumps([contact_id, meeting_id])

    def read(self, token: str) -> AnswerToken | None:
        """The contact and meeting of a token we signed, or None."""
        try:
            value = self._serializer.loads(token)
        except BadSignature:
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            return None
        return AnswerToken(contact_id=value[0], meeting_id=value[1])


def answer_url(token: str, base_url: str, answer: str | None = None) -> str:
    """The address of the answer page, with the chosen answer preselected."""
    url = f"{base_url.rstrip('/')}/antwoord/{token}"
    return f"{url}?{urlencode({'antwoord': answer})}" if answer else url
