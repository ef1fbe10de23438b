"""The web version of a campaign and the public archive of sent recaps.

The web version is the email itself, rendered for nobody in particular: a neutral name, the
network's default language, and no personal unsubscribe link. The email's footer link to
unsubscribe is swapped for a general sentence, and "view in your browser" (pointless on the web)
for a link to the archive. Both links are found by sentinel addresses that only this module
hands to the renderer, so the swap cannot hit an organiser's own link. Nothing here imports Flask.
"""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns.store import preview_campaign
from service.mail import placeholders
from service.mail.render import Network
from service.models import Campaign, CampaignKind, CampaignStatus
from service.public.webversion import NEUTRAL_NAMES

_UNSUBSCRIBE_SENTINEL = "https://unsubscribe.invalid/web-version"
_WEB_SENTINEL = "https://web-version.invalid/web-version"
_BODY_OPEN = re.compile(r"<body\b[^>]*>")


def sent_recaps(session: Session) -> list[Campaign]:
    """Sent recaps, newest first: the public archive."""
    query = (
        select(Campaign)
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
    session: Session,
    campaign: Campaign,
    *,
    network: Network,
    base_url: str,
    language: str,
    archive_url: str,
    archive_text: str,
    unsubscribe_text: str,
) -> str:
    """The campaign as a web page: the email's HTML with neutral values and no personal links.

    Raises service.mail.render.TemplateError when the campaign cannot be rendered.
    """
    first, name = NEUTRAL_NAMES.get(language, NEUTRAL_NAMES["en"])
    preview = preview_campaign(
        session,
        campaign,
        language=language,
        network=network,
        base_url=base_url,
        sample={
            placeholders.FIRST_NAME: first,
            placeholders.NAME: name,
            placeholders.WEB_VERSION_URL: _WEB_SENTINEL,
            placeholders.UNSUBSCRIBE_URL: _UNSUBSCRIBE_SENTINEL,
            # Nobody's own pages: the signup page, where anyone chooses what to receive.
            **dict.fromkeys(placeholders.LINK_NAMES, f"{base_url.rstrip('/')}/aanmelden"),
        },
    )
    page = _replace_link(
        preview.html,
        _UNSUBSCRIBE_SENTINEL,
        lambda attrs, _text: html.escape(unsubscribe_text),
        whole_paragraph=True,
    )
    page = _replace_link(
        page,
        _WEB_SENTINEL,
        lambda attrs, _text: (
            f'<a href="{html.escape(archive_url)}"{attrs}>{html.escape(archive_text)}</a>'
        ),
    )
    # A web page needs a main landmark for screen readers; a mail client ignores it, a page not.
    page = _BODY_OPEN.sub(lambda m: m[0] + "<main>", page, count=1)
    return page.replace("</body>", "</main></body>", 1)


def _replace_link(page: str, href: str, make, *, whole_paragraph: bool = False) -> str:
    link = rf'<a href="{re.escape(href)}"([^>]*)>(.*?)</a>'
    if whole_paragraph:
        # The unsubscribe link is the only content of its paragraph; the sentence replaces it.
        pattern = re.compile(rf"(<p\b[^>]*>)\s*{link}\s*(</p>)", re.S)
        return pattern.sub(lambda m: m[1] + make(m[2], m[3]) + m[4], page)
    return re.sub(link, lambda m: make(m[1], m[2]), page, flags=re.S)
