"""Signed links to the web version of a campaign, and the values that page is rendered with.

Every email's "bekijk in je browser" link is `/web/<campaign id>?token=<signed id>`. The token is
the campaign id signed with SECRET_KEY (salt "web-version"), so nobody can read a draft by
counting ids; it does not expire, because an email stays readable for as long as people keep it.
Sent recaps are public anyway, in the archive. Nothing here imports Flask.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from service.mail import placeholders

SALT = "web-version"
# The web version is one page for everybody, so it greets nobody in particular.
NEUTRAL_NAMES = {"nl": ("lezer", "lezer"), "en": ("reader", "reader")}


def web_version_token(campaign_id: int, secret_key: str) -> str:
    """The signed token that opens the web version of this campaign."""
    return URLSafeSerializer(secret_key, salt=SALT).dumps(campaign_id)


def token_opens(token: str, campaign_id: int, secret_key: str) -> bool:
    """Whether the token was signed by us for exactly this campaign."""
    try:
        return URLSafeSerializer(secret_key, salt=SALT).loads(token) == campaign_id
    except BadSignature:
        return False


def web_version_url(campaign_id: int, secret_key: str, base_url: str) -> str:
    """The absolute address of the campaign's web version, token included."""
    token = web_version_token(campaign_id, secret_key)
    return f"{base_url.rstrip('/')}/web/{campaign_id}?token={token}"


def archive_url(campaign_id: int, base_url: str) -> str:
    """The public archive address of a sent recap."""
    return f"{base_url.rstrip('/')}/archief/{campaign_id}"


def neutral_values(url: str, base_url: str, language: str = "nl") -> dict[str, str]:
    """Placeholder values for the web version: a neutral name and no personal unsubscribe link."""
    first, name = NEUTRAL_NAMES.get(language, NEUTRAL_NAMES["en"])
    return {
        placeholders.FIRST_NAME: first,
        placeholders.NAME: name,
        placeholders.WEB_VERSION_URL: url,
        # The page says in general words how to stop receiving the newsletter; this link only
        # leads to the archive, never to someone's unsubscribe page.
        placeholders.UNSUBSCRIBE_URL: f"{base_url.rstrip('/')}/archief",
        # Not a personal invitation: the answer page explains where the personal links are.
        **dict.fromkeys(placeholders.ANSWER_NAMES, f"{base_url.rstrip('/')}/antwoord"),
        # Nobody's own pages: the signup page, where anyone chooses what to receive.
        **dict.fromkeys(placeholders.LINK_NAMES, f"{base_url.rstrip('/')}/aanmelden"),
    }
