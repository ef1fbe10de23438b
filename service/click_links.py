"""Counted links: when an organiser switches counting on, a campaign's links go through /k/<token>.

Privacy first, so the token carries only the campaign id and the link's number ("<campaign>-<n>",
signed with SECRET_KEY under the salt "link-click") and nothing about the recipient: every
recipient gets the very same address, and a click can be added to a total per link
(CampaignLinkClicks) but never be traced to a person. The number is the link's place among the
content's own web links (service.rendering.versions.campaign_links: reading order, from 1, each
address once, those of a version in another language after), which the redirect finds again in
the campaign's stored content; a sent campaign's content is frozen, so the numbers hold.

Only the content's links are counted: not mailto:, not the links the templates add that act for
the recipient (unsubscribe, preferences, answers, calendar) or lead to the web version.

The rewrite is made once per rendering of a campaign (`counted_links` gives the addresses to
replace, service.rendering.render takes them), never per recipient. Only the send loop's own
rendering counts. The composer's preview, the test send and the web version show the real links:
clicks there are the organisers' own or anybody's reading the page, not recipients' reading
their email, and a preview should show where each link really leads, so it can be checked.

Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature

from service.ids import parse_id
from service.signing import ReusableSigner

SALT = "link-click"
PATH = "k"


@dataclass(frozen=True)
class ClickToken:
    """What a counted link's token stands for: a campaign and the number of one of its links."""

    campaign_id: int
    link_number: int


class ClickSigner:
    """Signs and reads the tokens of counted links; make one per secret key."""

    def __init__(self, secret_key: str):
        self._signer = ReusableSigner(secret_key, salt=SALT)

    def token(self, campaign_id: int, link_number: int) -> str:
        """The signed token of link `link_number` (from 1) of a campaign."""
        return self._signer.sign(f"{campaign_id}-{link_number}").decode("ascii")

    def read(self, token: str) -> ClickToken | None:
        """The campaign and link number a token was signed for, or None when it is not ours."""
        try:
            value = self._signer.unsign(token).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        campaign, _, number = value.partition("-")
        campaign_id, link_number = parse_id(campaign), parse_id(number)
        if campaign_id is None or link_number is None or link_number < 1:
            return None
        return ClickToken(campaign_id=campaign_id, link_number=link_number)

    def url(self, campaign_id: int, link_number: int, base_url: str) -> str:
        """The absolute address of a counted link: `<BASE_URL>/k/<token>`."""
        return f"{base_url.rstrip('/')}/{PATH}/{self.token(campaign_id, link_number)}"


def counted_links(
    campaign_id: int, links: Sequence[str], secret_key: str, base_url: str
) -> dict[str, str]:
    """The rewrite of a counted campaign: each link's address -> its signed redirect, numbered
    by its place in `links` from 1 (versions.campaign_links: every language version's links).

    The same for every recipient and every language; give it to render_campaign(links=...).
    """
    signer = ClickSigner(secret_key)
    return {url: signer.url(campaign_id, number, base_url) for number, url in enumerate(links, 1)}


def read_click_token(token: str, secret_key: str) -> ClickToken | None:
    """The campaign and link number a token was signed for, or None when it is not ours."""
    return ClickSigner(secret_key).read(token)
