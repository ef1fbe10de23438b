"""The web version of a campaign and the public archive of sent recaps.

The web version is the email itself, drawn for nobody in particular (`for_web`, see
emails/base.html): a neutral name, the archive instead of "view in your browser", and a line
instead of every link that acts for one person (unsubscribe, preferences, the answer buttons).
Nothing here imports Flask.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.campaigns.store import web_version
from service.models import Campaign, CampaignKind, CampaignStatus
from service.rendering.render import Network

_BODY_OPEN = re.compile(r"<body\b[^>]*>")


def sent_recaps(session: Session) -> list[Campaign]:
    """Sent recaps, newest first: the public archive (with their meetings, whose date it shows)."""
    query = (
        select(Campaign)
        .options(selectinload(Campaign.meeting))
        .where(Campaign.kind == CampaignKind.RECAP, Campaign.status == CampaignStatus.SENT)
        .order_by(Campaign.sent_at.desc(), Campaign.id.desc())
    )
    return list(session.scalars(query))


def archived_recap(session: Session, campaign_id: int) -> Campaign | None:
    """The sent recap with this id, or None (drafts and other kinds are not public)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.kind != CampaignKind.RECAP:
        return None
    return campaign if campaign.status == CampaignStatus.SENT else None


def web_page(
    session: Session, campaign: Campaign, *, network: Network, base_url: str, language: str
) -> str:
    """The campaign as a web page: the email drawn for nobody in particular (its web version).

    Raises service.rendering.render.TemplateError when the campaign cannot be rendered.
    """
    _subject, page = web_version(
        session, campaign, language=language, network=network, base_url=base_url
    )
    # A web page needs a main landmark for screen readers; a mail client ignores it, a page not.
    page = _BODY_OPEN.sub(lambda m: m[0] + "<main>", page, count=1)
    return page.replace("</body>", "</main></body>", 1)
