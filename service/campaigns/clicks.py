"""Following a counted link: find where it leads, add one to its total, and nothing else.

The token of `/k/<token>` (service/click_links.py) names a campaign and a link's number; the
address is found again in the campaign's stored content with the same list the rewrite numbered
(service.rendering.versions.campaign_links: the links of every language version). The click
is added to CampaignLinkClicks in one atomic upsert, only while the campaign counts clicks.
Nothing about the person who clicked is read or kept: no contact, address, cookie or IP address.
Nothing here imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.click_links import read_click_token
from service.dml import insert_or_add
from service.models import Campaign, CampaignLinkClicks
from service.rendering.versions import campaign_links


@dataclass(frozen=True)
class FollowedLink:
    """Where a counted link leads, and whether this click was counted."""

    url: str
    counted: bool


def follow_link(session: Session, token: str, secret_key: str) -> FollowedLink | None:
    """The address behind a counted link, its click added to the total; None for a token that
    is not ours or a link that does not exist (then nothing is counted).

    A campaign that no longer counts (or never did: a link copied from elsewhere) still leads
    on, uncounted. The caller commits.
    """
    signed = read_click_token(token, secret_key)
    if signed is None:
        return None
    campaign = session.get(Campaign, signed.campaign_id)
    if campaign is None:
        return None
    links = campaign_links(campaign)
    if signed.link_number > len(links):
        return None
    url = links[signed.link_number - 1]
    if not campaign.count_clicks:
        return FollowedLink(url=url, counted=False)
    insert_or_add(
        session,
        CampaignLinkClicks,
        {"campaign_id": campaign.id, "link_number": signed.link_number},
        counter="clicks",
        values={"url": url},
    )
    return FollowedLink(url=url, counted=True)


def link_clicks(session: Session, campaign_id: int) -> list[CampaignLinkClicks]:
    """The counted links of a campaign with their totals, in the order of the email."""
    query = (
        select(CampaignLinkClicks)
        .where(CampaignLinkClicks.campaign_id == campaign_id)
        .order_by(CampaignLinkClicks.link_number)
    )
    return list(session.scalars(query))
