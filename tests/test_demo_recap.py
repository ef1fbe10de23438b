"""The demo holds the seed recap as a draft: every heading, item and quote in HTML and text."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import select

from service.campaigns import store
from service.demo.recap import seed_recap
from service.demo.seed import load_demo
from service.models import Campaign, CampaignStatus
from service.rendering.blocks import BulletList, ClosingQuote, NumberedList, Quote, QuoteWall, Text
from service.rendering.network import network_from_config
from service.settings import settings_of
from tests.test_demo import _coming_days, _today


def _seed_strings() -> list[str]:
    """Headings, list items and quotes of the seed, each as one line of plain text."""
    strings = []
    for block in seed_recap().blocks:
        if isinstance(block, Text):
            strings += re.findall(r"^#+ (.+)$", block.body, re.M)
        elif isinstance(block, BulletList | NumberedList):
            strings += block.items
        elif isinstance(block, QuoteWall):
            strings += [line for quote in block.quotes for line in quote.text.splitlines()]
        elif isinstance(block, Quote | ClosingQuote):
            strings += [block.text, block.name]
    return [re.sub(r"\*\*|__", "", s) for s in strings]


def _demo_preview(app, db, language="nl"):
    load_demo(db)
    db.commit()
    (campaign,) = db.scalars(select(Campaign))
    preview = store.preview_campaign(
        db,
        campaign,
        language=language,
        network=network_from_config(settings_of(app)),
        base_url=app.config["BASE_URL"],
    )
    return campaign, preview


def _flat(text: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_demo_recap_is_a_draft_of_the_zuid_holland_meeting(app, db):
    campaign, _preview = _demo_preview(app, db)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.kind == "recap"
    assert campaign.meeting.host_organisation == "Provincie Zuid-Holland"
    assert campaign.subject == seed_recap().subject


def test_demo_recap_html_and_text_hold_everything_of_the_seed(app, db):
    _campaign, preview = _demo_preview(app, db)
    html_text = _flat(preview.html)
    plain = " ".join(preview.text.split())
    strings = _seed_strings()
    assert len(strings) > 15
    assert "Maaïke Heijnen" in strings
    assert "Met de Opgavebeweging hadden we zomaar een hele grote denktank in huis!" in strings
    for expected in strings:
        flat = " ".join(expected.split())
        assert flat in html_text, f"{flat!r} is missing from the HTML"
        assert flat in plain, f"{flat!r} is missing from the text part"
    # The table of upcoming meetings comes from the database: Zwolle and the HvA, ahead of today.
    zwolle_day, amsterdam_day = _coming_days(_today())
    for row in (zwolle_day.capitalize(), "Gemeente Zwolle", amsterdam_day.capitalize()):
        assert row in html_text and row in plain
    assert "Hogeschool van Amsterdam" in html_text and "Hogeschool van Amsterdam" in plain


def test_demo_recap_lint_shows_the_klik_hier_links_to_hash(app, db):
    _campaign, preview = _demo_preview(app, db)
    codes = [finding.code for finding in preview.lint]
    assert codes.count("link-to-anchor") >= 2
    assert "vague-link-text" in codes
