"""itsdangerous' Signer for signing one token per recipient, tens of thousands at a time.

`Signer.sign` derives the key from the secret and the salt and sets up a new HMAC on every call.
A campaign signs two or three links for every recipient (unsubscribe, preferences, answers), so
`ReusableSigner` does that once, when it is made, and copies the keyed HMAC for each signature.
Its tokens are byte for byte those of `Signer` with the same secret and salt, and `unsign` is
Signer's own. Nothing here imports Flask.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes


class ReusableSigner(Signer):
    """A Signer (SHA-1 HMAC, django-concat key, as Signer's defaults) that keys its HMAC once."""

    def __init__(self, secret_key: str | bytes, *, salt: str):
        super().__init__(secret_key, salt=salt)
        # "sha1" by name takes OpenSSL's HMAC, whose copy() is a cheap C call.
        self._keyed = hmac.new(self.derive_key(), digestmod=hashlib.sha1().name)

    def get_signature(self, value: str | bytes) -> bytes:
        """The signature of `value`, as Signer.get_signature gives it."""
        mac = self._keyed.copy()
        mac.update(want_bytes(value))
        return base64_encode(mac.digest())


def timed_serializer(secret_key: str, *, salt: str, now: datetime) -> URLSafeTimedSerializer:
    """itsdangerous' URLSafeTimedSerializer whose clock stands at `now`.

    Tokens it makes carry `now` as their time; `loads(token, max_age=...)` measures their age up
    to `now`. So the use cases take the time as a value, as everywhere else, and a test can
    check what a link does 73 hours later without waiting.
    """
    stamp = int(now.timestamp())

    class _At(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret_key, salt=salt, signer=_At)
