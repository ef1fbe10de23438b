"""A campaign's report: the figures, the page, the API, the CSV, the campaign list's figures and
a meeting's funnel."""

from __future__ import annotations

import csv
import io
import re
from html import escape

import pytest
from sqlalchemy import event

from service.campaigns.report import campaign_report, list_figures
from service.campaigns.webversion import web_version_token
from service.meetings.invitations import meeting_funnel
from service.models import Campaign, Delivery, DeliveryStatus, Role
from service.translation import translator
from tests.api_helpers import api_client
from tests.report_helpers import EXPECTED, LINKS, NO_SUCH_USER, seed_report


@pytest.fixture
def seeded(db):
    return seed_report(db)


# The twelve provinces from the south up, as the report names those it did not reach.
SOUTH_TO_NORTH = [
    "zeeland",
    "limburg",
    "noord-brabant",
    "zuid-holland",
    "utrecht",
    "gelderland",
    "noord-holland",
    "flevoland",
    "overijssel",
    "drenthe",
    "friesland",
    "groningen",
]
RECAP_EXPECTED = {
    "recipients": 2,
    "delivered": 1,
    "failed": 1,
    "failed_reasons": [{"reason": "the relay said no", "count": 1}],
    # A bounce tied to the campaign but not to its delivery still counts, by its address.
    "bounced": {"hard": 1, "soft": 0, "total": 1},
    "complaints": 0,
    "unsubscribed": {"total": 1, "by_mailing": {"news": 0, "invitations": 1, "all": 0}},
    "answers": None,
    # Its one delivered message bounced hard later, so it reached nobody.
    "provinces": [{"province": p["province"], "recipients": 0} for p in EXPECTED["provinces"]],
    "provinces_not_reached": SOUTH_TO_NORTH,
    "clicks": None,
}


# --- the figures -------------------------------------------------------------------------------


def test_report_counts_every_figure_of_a_sent_invitation(db, seeded):
    report = campaign_report(db, seeded.invitation)
    nl = translator("nl").gettext
    assert report.as_dict(lambda reason: nl(reason) if "SMTPUTF8" in reason else reason) == (
        EXPECTED
    )
    # The address is gone from the grouped reason, so the report names nobody.
    assert all("@example.nl" not in r.reason for r in report.failed_reasons)
    assert report.without_province == 1 and report.reached == 8
    assert report.clicks_total == sum(clicks for _url, clicks in LINKS)
    assert report.answers is not None and report.answers.answered == 4


def test_report_of_a_recap_has_no_answers_and_no_clicks_when_counting_is_off(db, seeded):
    assert campaign_report(db, seeded.recap).as_dict() == RECAP_EXPECTED


def test_counting_clicks_off_hides_stored_clicks(db, seeded):
    seeded.invitation.count_clicks = False
    db.commit()
    assert campaign_report(db, seeded.invitation).clicks is None


def test_the_report_asks_a_few_grouped_queries_whatever_the_size(db, seeded):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        campaign_report(db, seeded.invitation)
        few = len(statements)
        # A hundred more failures with their own addresses change no query.
        for n in range(100):
            db.add(
                Delivery(
                    campaign_id=seeded.invitation.id,
                    email=f"extra{n}@example.nl",
                    status=DeliveryStatus.FAILED,
                    last_error=NO_SUCH_USER.format(email=f"extra{n}@example.nl"),
                )
            )
        db.commit()
        db.expire_all()
        db.get(Campaign, seeded.invitation.id)
        statements.clear()
        report = campaign_report(db, seeded.invitation)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few <= 8
    assert report.failed_reasons[0].count == 102


# --- the page ----------------------------------------------------------------------------------


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert match, name
    return match.group(1)


def test_report_page_shows_the_figures_chart_table_map_and_clicks(organiser, app, seeded):
    campaign_id = seeded.invitation.id
    response = organiser.get(f"/campaigns/{campaign_id}/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Rapport van “Kom naar Zwolle”" in html  # Dutch first
    for name in ("recipients", "delivered", "failed", "complaints"):
        assert _figure(html, name) == str(EXPECTED[name])
    assert _figure(html, "bounced") == "2" and _figure(html, "unsubscribed") == "3"
    assert "hard: 1, zacht: 1" in html

    # Failures grouped by reason, the address left out, our own reason in Dutch.
    reasons = re.search(r'<table id="failed-reasons">.*?</table>', html, re.S).group(0)
    assert "<caption>" in reasons and 'scope="col"' in reasons
    assert escape(NO_SUCH_USER.format(email="…")) in reasons and "@example.nl" not in reasons
    assert escape(EXPECTED["failed_reasons"][1]["reason"]) in reasons

    # Answers as cards, and per day as an SVG picture with a table beside it.
    answers = dict(re.findall(r'data-answer="([a-z_]+)">(\d+)<', html))
    assert answers == {k: str(v) for k, v in EXPECTED["answers"].items() if k != "per_day"}
    svg = re.search(
        r'<svg role="img" aria-labelledby="answers-chart-title[^>]*>.*?</svg>', html, re.S
    )
    assert svg, "no answers chart"
    assert '<title id="answers-chart-title">' in svg.group(0)
    assert '<desc id="answers-chart-desc">' in svg.group(0)
    bars = re.findall(r'<g class="bar" data-day="([\d-]+)">', svg.group(0))
    assert bars == ["2025-05-20", "2025-05-21", "2025-05-22"]
    table = re.search(r'<table id="answers-per-day">.*?</table>', html, re.S).group(0)
    assert "<caption>Antwoorden per dag</caption>" in table
    days = re.findall(
        r'<th scope="row"><time datetime="([\d-]+)">([^<]+)</time></th><td class="number">(\d+)',
        table,
    )
    assert days == [
        ("2025-05-20", "dinsdag 20 mei 2025", "0"),
        ("2025-05-21", "woensdag 21 mei 2025", "1"),
        ("2025-05-22", "donderdag 22 mei 2025", "3"),
    ]

    # Reach: the dashboard's tile map, the provinces not reached named from the south up.
    assert 'aria-labelledby="reach-map-title reach-map-desc"' in html
    tiles = dict(re.findall(r'data-province="([a-z-]+)">.*?font-weight="700">(\d+)<', html, re.S))
    assert tiles["utrecht"] == "4" and tiles["zeeland"] == "0"
    assert "Niet bereikt: Zeeland, Limburg, Noord-Brabant, Gelderland" in html
    reach = re.search(r'<table class="coverage-table" id="reach-table">.*?</table>', html, re.S)
    assert '<tr data-province="landelijk"><th scope="row">Landelijk</th><td class="number">1<' in (
        reach.group(0)
    )

    # Clicks per link with the total and the warning about mail scanners.
    clicks = re.search(r'<table id="clicks">.*?</table>', html, re.S).group(0)
    assert LINKS[0][0] in clicks and 'id="clicks-total">7<' in clicks
    assert 'id="scanner-warning"' in html and "scanners" in html

    # Onwards: the CSV, the progress page and the web version.
    assert f'href="/campaigns/{campaign_id}/report.csv"' in html
    assert f'href="/campaigns/{campaign_id}/sending"' in html
    token = web_version_token(campaign_id, app.config["SECRET_KEY"])
    assert f"/web/{campaign_id}?token={token}" in html
    # Counts only: no recipient's address is on the page.
    assert "persoon" not in html


def test_report_page_of_a_recap_says_clicks_were_not_counted(organiser, seeded):
    html = organiser.get(f"/campaigns/{seeded.recap.id}/report").get_data(as_text=True)
    assert 'id="clicks-off"' in html and 'id="clicks"' not in html
    assert 'id="report-answers"' not in html


def test_report_needs_login_and_an_existing_campaign(app, organiser, seeded):
    assert organiser.get("/campaigns/99999/report").status_code == 404
    for path in ("report", "report.csv"):
        anonymous = app.test_client().get(f"/campaigns/{seeded.invitation.id}/{path}")
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_progress_page_links_to_the_report(organiser, seeded):
    html = organiser.get(f"/campaigns/{seeded.invitation.id}/sending").get_data(as_text=True)
    assert f'href="/campaigns/{seeded.invitation.id}/report"' in html


# --- the API -----------------------------------------------------------------------------------


def test_api_report_has_the_figures_of_the_page(app, seeded):
    api = api_client(app, Role.ORGANISER, "nl")
    response = api.get(f"/api/v1/campaigns/{seeded.invitation.id}/report")
    assert response.status_code == 200
    assert response.get_json() == EXPECTED
    recap = api.get(f"/api/v1/campaigns/{seeded.recap.id}/report").get_json()
    assert recap["answers"] is None and recap["clicks"] is None
    assert api.get("/api/v1/campaigns/99999/report").status_code == 404
    assert app.test_client().get(f"/api/v1/campaigns/{seeded.recap.id}/report").status_code == 401


# --- the CSV -----------------------------------------------------------------------------------


def test_report_csv_is_utf8_with_bom_semicolons_and_crlf(organiser, seeded):
    response = organiser.get(f"/campaigns/{seeded.invitation.id}/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["sectie", "onderdeel", "aantal"]
    assert all(len(row) == 3 for row in rows)
    figures = {(section, item): count for section, item, count in rows[1:]}
    assert figures[("Overzicht", "Ontvangers")] == "15"
    assert figures[("Overzicht", "Afgeleverd")] == "9"
    assert figures[("Overzicht", "Mislukt")] == "3"
    assert figures[("Overzicht", "Gebounced (hard)")] == "1"
    assert figures[("Overzicht", "Gebounced (zacht)")] == "1"
    assert figures[("Overzicht", "Klachten")] == "1"
    assert figures[("Overzicht", "Afgemeld")] == "3"
    assert figures[("Redenen van mislukken", NO_SUCH_USER.format(email="…"))] == "2"
    assert figures[("Antwoorden", "Ja")] == "2"
    assert figures[("Antwoorden per dag", "2025-05-22")] == "3"
    assert figures[("Bereikt per provincie", "Utrecht")] == "4"
    assert figures[("Provincies niet bereikt", "Zeeland")] == "0"
    assert figures[("Linkkliks", LINKS[0][0])] == "5"
    assert figures[("Linkkliks", "Alle links")] == "7"


def test_report_csv_makes_a_formula_in_a_reason_harmless(organiser, db, seeded):
    db.add(
        Delivery(
            campaign_id=seeded.recap.id,
            email="x@example.nl",
            status=DeliveryStatus.FAILED,
            last_error="=HYPERLINK(1)",
        )
    )
    db.commit()
    text = organiser.get(f"/campaigns/{seeded.recap.id}/report.csv").get_data().decode("utf-8-sig")
    assert ";'=HYPERLINK(1);1\r\n" in text


# --- the campaign list -------------------------------------------------------------------------


def test_list_figures_come_from_one_statement_for_all_rows(db, seeded):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.get_bind()
    campaigns = [seeded.invitation, seeded.recap]
    event.listen(engine, "before_cursor_execute", count)
    try:
        figures = list_figures(db, campaigns)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert figures[seeded.invitation.id].as_dict() == {
        "recipients": 15,
        "delivered": 9,
        "failed": 3,
        "unsubscribed": 3,
        "yes": 2,
    }
    assert figures[seeded.recap.id].as_dict() == {
        "recipients": 2,
        "delivered": 1,
        "failed": 1,
        "unsubscribed": 1,
        "yes": None,
    }


def test_campaign_list_shows_figures_and_links_to_report_and_web_version(
    organiser, app, seeded, db
):
    draft = Campaign(subject="Nog een concept")
    db.add(draft)
    db.commit()
    html = organiser.get("/campaigns/").get_data(as_text=True)

    def row(campaign_id: int) -> str:
        match = re.search(rf'<tr data-campaign="{campaign_id}">.*?</tr>', html, re.S)
        assert match, campaign_id
        return match.group(0)

    def figures(campaign_id: int) -> dict[str, str]:
        return dict(re.findall(r'data-figure="([a-z]+)">(\d*)<', row(campaign_id)))

    assert figures(seeded.invitation.id) == {
        "recipients": "15",
        "delivered": "9",
        "failed": "3",
        "unsubscribed": "3",
        "yes": "2",
    }
    assert figures(seeded.recap.id) == {
        "recipients": "2",
        "delivered": "1",
        "failed": "1",
        "unsubscribed": "1",
        "yes": "",
    }
    # A draft has no figures yet, and nothing to report or read on the web.
    assert set(figures(draft.id).values()) == {""}
    assert "/report" not in row(draft.id) and "/web/" not in row(draft.id)
    invitation = row(seeded.invitation.id)
    assert "dinsdag 20 mei 2025" in invitation  # the send date
    assert f'href="/campaigns/{seeded.invitation.id}/report"' in invitation
    token = web_version_token(seeded.invitation.id, app.config["SECRET_KEY"])
    assert f'href="/web/{seeded.invitation.id}?token={token}"' in invitation


def test_api_campaign_list_carries_the_figures(app, seeded):
    api = api_client(app, Role.ORGANISER, "nl")
    items = {c["id"]: c for c in api.get("/api/v1/campaigns").get_json()["items"]}
    assert items[seeded.invitation.id]["figures"] == {
        "recipients": 15,
        "delivered": 9,
        "failed": 3,
        "unsubscribed": 3,
        "yes": 2,
    }
    assert items[seeded.recap.id]["figures"]["yes"] is None
    # The campaign's own fields are still all there.
    assert items[seeded.recap.id]["subject"] == "Terugblik Zwolle"


# --- a meeting's funnel ------------------------------------------------------------------------


def test_meeting_funnel_counts_every_invitation_of_the_meeting(db, organiser, seeded):
    funnel = meeting_funnel(db, seeded.meeting_id)
    # The campaign's five and the one invited by hand.
    assert (funnel.invited, funnel.answered, funnel.yes, funnel.attended) == (6, 5, 3, 2)
    html = organiser.get(f"/meetings/{seeded.meeting_id}/invitations").get_data(as_text=True)
    cards = re.search(r'<dl class="stats" id="meeting-funnel">.*?</dl>', html, re.S).group(0)
    assert dict(re.findall(r'data-funnel="([a-z]+)">(\d+)<', cards)) == {
        "invited": "6",
        "answered": "5",
        "yes": "3",
        "attended": "2",
    }
    assert "<dt>Uitgenodigd</dt>" in cards and "<dt>Aanwezig</dt>" in cards
