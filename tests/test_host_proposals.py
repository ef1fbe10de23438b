"""Organisations offering to host: the public form, and organisers turning it into a meeting."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from service.models import AuditEntry, HostProposal, Meeting, MeetingStatus
from service.nominations.views import PUBLIC_FORM_LIMIT
from tests.builders import count_rows
from tests.conftest import csrf_token_from

ENGLISH = {"Accept-Language": "en"}


def _form(**overrides) -> dict[str, str]:
    return {
        "organisation": "Provincie Overijssel",
        "city": "Zwolle",
        "contact_name": "Sanne Jansen",
        "contact_email": "sanne@overijssel.example.nl",
        "proposed_period": "najaar 2026",
        "theme": "Samen werken aan de energietransitie",
        "message": "We hebben een mooie zaal aan het water.",
        "website": "",
    } | overrides


def _post(client, **overrides):
    token = csrf_token_from(client.get("/gastheer-worden").get_data(as_text=True))
    return client.post(
        "/gastheer-worden", data=_form(csrf_token=token, **overrides), headers=ENGLISH
    )


def test_a_proposal_is_stored_and_thanked(client, db):
    page = client.get("/gastheer-worden", headers=ENGLISH)
    assert page.status_code == 200
    response = _post(client)
    assert response.status_code == 302
    thanks = client.get(response.headers["Location"], headers=ENGLISH)
    assert "Thank you!" in thanks.get_data(as_text=True)
    proposal = db.scalars(select(HostProposal)).one()
    assert (proposal.organisation, proposal.city, proposal.status) == (
        "Provincie Overijssel",
        "Zwolle",
        "new",
    )
    assert proposal.proposed_period == "najaar 2026"
    assert proposal.contact_email == "sanne@overijssel.example.nl"


def test_honeypot_csrf_and_errors(client, db):
    bot = _post(client, website="spam")
    assert bot.status_code == 302 and bot.headers["Location"].endswith("/gastheer-worden/bedankt")
    assert count_rows(db, HostProposal) == 0

    assert client.post("/gastheer-worden", data=_form()).status_code == 400
    assert count_rows(db, HostProposal) == 0

    wrong = _post(client, organisation="", contact_email="sanne@")
    assert wrong.status_code == 400
    html = wrong.get_data(as_text=True)
    assert "Enter the name of your organisation." in html
    assert "Enter an email address like name@example.nl." in html
    assert count_rows(db, HostProposal) == 0


def test_posts_are_rate_limited(client, db):
    limit = int(PUBLIC_FORM_LIMIT.split()[0])
    for _ in range(limit):
        assert _post(client).status_code == 302
    assert _post(client).status_code == 429
    assert count_rows(db, HostProposal) == limit


def test_organiser_pages_need_a_login(client, db):
    _post(client)
    proposal_id = db.scalars(select(HostProposal.id)).one()
    for path in ("/nominations/hosts", f"/nominations/hosts/{proposal_id}/meeting"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _plan(organiser, proposal_id: int, **fields):
    path = f"/nominations/hosts/{proposal_id}/meeting"
    token = csrf_token_from(organiser.get(path).get_data(as_text=True))
    return organiser.post(
        path,
        data={"csrf_token": token, "date": "2026-10-15", "start_time": "13:30", "end_time": "17:00"}
        | fields,
    )


def test_a_proposal_becomes_a_draft_meeting_with_its_values(organiser, client, db):
    _post(client)
    proposal = db.scalars(select(HostProposal)).one()
    assert "Provincie Overijssel" in organiser.get("/nominations/hosts").get_data(as_text=True)

    response = _plan(organiser, proposal.id)
    assert response.status_code == 302
    meeting = db.scalars(select(Meeting)).one()
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}/edit")
    assert meeting.title == "Opgavebeweging bij Provincie Overijssel"
    assert meeting.host_organisation == "Provincie Overijssel"
    assert meeting.city == "Zwolle"
    assert meeting.theme == "Samen werken aan de energietransitie"
    assert meeting.status == MeetingStatus.DRAFT
    # 13:30 in Amsterdam on 15 October (summer time) is 11:30 UTC.
    assert meeting.starts_at.astimezone(UTC) == datetime(2026, 10, 15, 11, 30, tzinfo=UTC)
    db.refresh(proposal)
    assert (proposal.status, proposal.meeting_id) == ("planned", meeting.id)
    actions = db.scalars(select(AuditEntry.action)).all()
    assert "host_proposal.plan" in actions and "meeting.create" in actions
    assert organiser.get(response.headers["Location"]).status_code == 200

    # Decided once: a second attempt makes no second meeting.
    again = organiser.get(f"/nominations/hosts/{proposal.id}/meeting")
    assert again.status_code == 302
    assert count_rows(db, Meeting) == 1


def test_planning_asks_for_a_valid_moment(organiser, client, db):
    _post(client)
    proposal = db.scalars(select(HostProposal)).one()
    response = _plan(organiser, proposal.id, start_time="17:00", end_time="13:00")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert count_rows(db, Meeting) == 0
    db.refresh(proposal)
    assert proposal.status == "new"


def test_a_proposal_can_be_declined(organiser, client, db):
    _post(client)
    proposal = db.scalars(select(HostProposal)).one()
    token = csrf_token_from(organiser.get("/nominations/hosts").get_data(as_text=True))
    assert organiser.post(f"/nominations/hosts/{proposal.id}/decline").status_code == 400
    response = organiser.post(
        f"/nominations/hosts/{proposal.id}/decline", data={"csrf_token": token}
    )
    assert response.status_code == 302
    db.refresh(proposal)
    assert proposal.status == "declined" and proposal.meeting_id is None
    assert count_rows(db, Meeting) == 0
    assert "host_proposal.decline" in db.scalars(select(AuditEntry.action)).all()
