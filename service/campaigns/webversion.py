"""Signed links to the web version of a campaign.

Every email's "bekijk in je browser" link is `/web/<campaign id>?token=<signed id>&lang=<nl|en>`,
in the language the email was in. The token is the campaign id signed with SECRET_KEY (salt
"web-version"), so nobody can read a draft by counting ids; it does not expire, because an email
stays readable for as long as people keep it. Sent recaps are public anyway, in the archive. What
the page shows instead of personal values is service/rendering/placeholders.py's `stand_in`. Nothing
here imports Flask.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "web-version"


def web_version_token(campaign_id: int, secret_key: str) -> str:
    """The signed token that opens the web version of this campaign."""
    return URLSafeSerializer(secret_key, salt=SALT).dumps(campaign_id)


def token_opens(token: str, campaign_id: int, secret_key: str) -> bool:
    """Whether the token was signed by us for exactly this campaign."""
    try:
        return URLSafeSerializer(secret_key, salt=SALT).loads(token) == campaign_id
    except BadSignature:
        return False


def web_version_url(campaign_id: int, secret_key: str, base_url: str, language: str = "") -> str:
    """The absolute address of the campaign's web version, token included.

    With a language the page is shown in it (the language the email was in); the language is not
    signed, as anyone may read the page in either.
    """
    token = web_version_token(campaign_id, secret_key)
    url = f"{base_url.rstrip('/')}/web/{campaign_id}?token={token}"
    return f"{url}&lang={language}" if language else url


def archive_url(campaign_id: int, base_url: str) -> str:
    """The public archive address of a sent recap."""
    return f"{base_url.rstrip('/')}/archief/{campaign_id}"
