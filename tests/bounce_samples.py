"""The sample bounces of tests/data/bounces, filled in for one delivery (see the README there)."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).parent / "data" / "bounces"
# Every sample that is a bounce, with the kind it stands for.
KINDS = {
    "postfix-hard.eml": "hard_bounce",
    "postfix-soft.eml": "soft_bounce",
    "exim-hard.eml": "hard_bounce",
    "exim-soft.eml": "soft_bounce",
    "exchange-hard.eml": "hard_bounce",
    "gmail-hard.eml": "hard_bounce",
    "gmail-soft.eml": "soft_bounce",
}


def sample(name: str, *, verp: str, message_id: str, recipient: str) -> bytes:
    """The sample `name` as it would come back for this return path, message and address, with
    the CRLF line ends of the wire."""
    text = (SAMPLES / name).read_text()
    for mark, value in (
        ("{{VERP}}", verp),
        ("{{MESSAGE_ID}}", message_id),
        ("{{RECIPIENT}}", recipient),
    ):
        text = text.replace(mark, value)
    return text.replace("\n", "\r\n").encode()
