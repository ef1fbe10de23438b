"""ReusableSigner: the same tokens as itsdangerous' Signer, made without re-keying each time."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature, Signer

from service.signing import ReusableSigner

VALUES = ["12-3", "0-0", "987654321-12", "", "é-ü"]


@pytest.mark.parametrize("salt", ["unsubscribe", "answer", "contact-preferences"])
def test_tokens_are_exactly_those_of_signer_and_each_reads_the_others(salt):
    ours = ReusableSigner("geheime-sleutel-van-de-installatie", salt=salt)
    theirs = Signer("geheime-sleutel-van-de-installatie", salt=salt)

    for value in VALUES:
        token = ours.sign(value)
        assert token == theirs.sign(value)
        assert theirs.unsign(token) == value.encode()
        assert ours.unsign(theirs.sign(value)) == value.encode()
    # Signing again after many signatures still gives the same token (the keyed HMAC is copied,
    # never updated in place).
    assert ours.sign(VALUES[0]) == theirs.sign(VALUES[0])


def test_another_salt_or_key_does_not_read_the_token():
    token = ReusableSigner("sleutel-een", salt="unsubscribe").sign("12-3")

    with pytest.raises(BadSignature):
        ReusableSigner("sleutel-een", salt="answer").unsign(token)
    with pytest.raises(BadSignature):
        ReusableSigner("sleutel-twee", salt="unsubscribe").unsign(token)
    with pytest.raises(BadSignature):
        ReusableSigner("sleutel-een", salt="unsubscribe").unsign(token.replace(b"12", b"13"))
