"""A campaign's lifecycle: the table of transitions, its one error, and reasons stored as codes
and put into the reader's words where they are shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select, update

from service.campaigns import store
from service.campaigns.lifecycle import (
    Action,
    Reason,
    ReasonCode,
    TransitionError,
    reason_columns,
    reason_of,
    relay_said,
    status_reason,
    transition,
)
from service.delivery.queue import pause_by_itself, start_sending
from service.mail.smtp import SmtpTransport
from service.models import Campaign, CampaignStatus, Delivery, User
from service.scheduler.jobs import run_due
from service.settings import settings_of
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_announcement, make_contact
from tests.mail_helpers import send_loop

DRAFT, SCHEDULED, SENDING = CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING
PAUSED, SENT, CANCELLED = CampaignStatus.PAUSED, CampaignStatus.SENT, CampaignStatus.CANCELLED

# Written out, not read from the table: a change to the lifecycle has to change this as well.
EXPECTED = {
    Action.SCHEDULE: ({DRAFT, SCHEDULED}, SCHEDULED),
    Action.UNSCHEDULE: ({SCHEDULED}, DRAFT),
    Action.START: ({DRAFT, SCHEDULED}, SENDING),
    Action.SEND_BACK: ({SCHEDULED}, DRAFT),
    Action.LEAVE_LATE: ({SCHEDULED}, SCHEDULED),
    Action.NOTE: ({SENDING}, SENDING),
    Action.PAUSE: ({SENDING}, PAUSED),
    Action.PAUSE_BY_ITSELF: ({SENDING}, PAUSED),
    Action.RESUME: ({PAUSED}, SENDING),
    Action.CANCEL: ({SENDING, PAUSED}, CANCELLED),
    Action.FINISH: ({SENDING}, SENT),
}
# The moves that record the reason given; a cancel keeps why it had paused; the rest clear it.
RECORDS = {Action.SEND_BACK, Action.LEAVE_LATE, Action.NOTE, Action.PAUSE_BY_ITSELF}
KEEPS = {Action.CANCEL}
NOW = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)
EARLIER = relay_said("421 4.7.0 try again later")
GIVEN = relay_said("554 5.7.1 refused")


def _arrange(db, campaign_id: int, status: CampaignStatus) -> Campaign:
    """The campaign in `status` with a reason stored, written past the lifecycle."""
    db.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(status=status, **reason_columns(EARLIER))
    )
    db.commit()
    db.expire_all()
    return db.get(Campaign, campaign_id)


@pytest.mark.parametrize("action", list(EXPECTED), ids=str)
def test_each_action_moves_a_campaign_only_from_its_statuses(db, action):
    sources, target = EXPECTED[action]
    campaign_id = make_announcement(db).id
    reason = GIVEN if action in RECORDS else None
    for status in CampaignStatus:
        campaign = _arrange(db, campaign_id, status)
        if status not in sources:
            with pytest.raises(TransitionError) as refused:
                transition(db, campaign, action, reason=reason, now=NOW, at=NOW)
            db.rollback()
            assert refused.value.status == status
            assert str(refused.value)
            db.expire_all()
            left = db.get(Campaign, campaign_id)
            assert (left.status, reason_of(left)) == (status, EARLIER), (action, status)
            continue
        transition(db, campaign, action, reason=reason, now=NOW, at=NOW)
        db.commit()
        db.expire_all()
        moved = db.get(Campaign, campaign_id)
        assert moved.status == target, (action, status)
        kept = EARLIER if action in KEEPS else None
        assert reason_of(moved) == (reason if action in RECORDS else kept), (action, status)
        if action == Action.START:
            assert (moved.send_started_at, moved.failure_streak) == (NOW, 0)
        if action == Action.FINISH:
            assert moved.sent_at == NOW
        if action == Action.SCHEDULE:
            assert moved.scheduled_at == NOW


def test_only_drafts_scheduled_and_paused_campaigns_change_and_only_drafts_are_deleted(db):
    for status in CampaignStatus:
        campaign = _arrange(db, make_announcement(db).id, status)
        if status in {DRAFT, SCHEDULED, PAUSED}:
            store.update_campaign(db, campaign, expected_version=None, subject="Anders")
            db.commit()
        else:
            with pytest.raises(TransitionError):
                store.update_campaign(db, campaign, expected_version=None, subject="Anders")
            db.rollback()
        if status == DRAFT:
            store.delete_campaign(db, campaign, actor=None)
            db.commit()
            continue
        with pytest.raises(TransitionError) as refused:
            store.delete_campaign(db, campaign, actor=None)
        db.rollback()
        assert "Only drafts can be deleted" in str(refused.value)


def test_a_campaign_another_process_moved_is_refused_with_the_status_it_has_now(app, db):
    make_contact(db)
    campaign = make_announcement(db)  # read here as a draft
    with app.extensions["db_sessionmaker"]() as elsewhere:
        start_sending(elsewhere, elsewhere.get(Campaign, campaign.id), actor=None, now=NOW)
        elsewhere.commit()

    with pytest.raises(TransitionError) as refused:
        start_sending(db, campaign, actor=None, now=NOW)
    db.rollback()
    assert refused.value.status == SENDING
    assert str(refused.value) == (
        'This campaign has the status "Sending"; only drafts and scheduled campaigns can start.'
    )
    # Started once: the deliveries recorded elsewhere are all there are.
    assert len(list(db.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id)))) == 1


def test_the_scheduler_leaves_a_campaign_an_organiser_started_meanwhile_as_it_is(app, db):
    make_contact(db, email="lid@example.nl")
    campaign = make_announcement(db)
    at = amsterdam(date(2026, 6, 2), time(8, 30))
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    engine = app.extensions["db_engine"]
    pressed: list[bool] = []

    def organiser_sends_it_now(_conn, _cursor, statement, *_args) -> None:
        # Just before the scheduler's first change to the campaign, an organiser presses
        # "Nu versturen" in another process.
        if pressed or not statement.lstrip().upper().startswith("UPDATE CAMPAIGNS"):
            return
        pressed.append(True)
        with app.extensions["db_sessionmaker"]() as organiser:
            start_sending(organiser, organiser.get(Campaign, campaign.id), actor=None, now=at)
            organiser.commit()

    event.listen(engine, "before_cursor_execute", organiser_sends_it_now)
    try:
        with app.extensions["db_sessionmaker"]() as scheduler:
            report = run_due(scheduler, now=at + timedelta(minutes=1), settings=settings_of(app))
    finally:
        event.remove(engine, "before_cursor_execute", organiser_sends_it_now)

    assert pressed
    assert report.started == [] and report.refused == []
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == SENDING
    deliveries = db.scalars(select(Delivery.email).where(Delivery.campaign_id == campaign.id))
    assert list(deliveries) == ["lid@example.nl"]


def test_the_scheduler_decides_on_the_code_and_stores_the_moment_as_a_parameter(app, db):
    make_contact(db)
    late, noted = make_announcement(db), make_announcement(db, subject="Al gemeld")
    at = datetime(2026, 6, 2, 6, 30, tzinfo=UTC)
    for campaign in (late, noted):
        store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    # Left for an organiser before, by whatever words that reason was shown with then.
    db.execute(
        update(Campaign)
        .where(Campaign.id == noted.id)
        .values(**reason_columns(Reason(ReasonCode.DUE_TOO_LATE, {"due_at": "earlier"})))
    )
    db.commit()

    report = run_due(db, now=at + timedelta(hours=7), settings=settings_of(app))

    assert report.too_late == [late.id] and report.started == []
    db.expire_all()
    left = db.get(Campaign, late.id)
    assert (left.status_reason_code, left.status_reason_params) == (
        "due-too-late",
        {"due_at": "2026-06-02T06:30:00+00:00"},
    )
    assert db.get(Campaign, noted.id).status_reason_params == {"due_at": "earlier"}
    assert run_due(db, now=at + timedelta(hours=8), settings=settings_of(app)).too_late == []


class _PausedMeanwhile(SmtpTransport):
    """A relay that accepts the chunk while another worker pauses the campaign by itself."""

    def __init__(self, sessions, campaign_id: int, port: int):
        super().__init__("127.0.0.1", port, timeout=5)
        self.sessions = sessions
        self.campaign_id = campaign_id

    def send_batch(self, messages):
        with self.sessions() as other_worker:
            pause_by_itself(other_worker, self.campaign_id, relay_said("535 5.7.8 login refused"))
            other_worker.commit()
        return super().send_batch(messages)


def test_a_chunk_accepted_after_the_campaign_paused_itself_keeps_the_reason(app, db, smtp_server):
    make_contact(db)
    campaign = make_announcement(db)
    start_sending(db, campaign, actor=None)
    db.commit()
    sessions = app.extensions["db_sessionmaker"]
    transport = _PausedMeanwhile(sessions, campaign.id, smtp_server.port)
    loop = send_loop(app, transport, batch_size=3)
    loop.run_once()
    transport.close()

    assert len(smtp_server.handler.messages) == 1
    db.expire_all()
    paused = db.get(Campaign, campaign.id)
    assert paused.status == PAUSED
    # The organiser still reads why it paused, although a message went out after it.
    assert status_reason(paused) == "535 5.7.8 login refused"


# ---------------------------------------------------------------------------------------------
# Reasons in the reader's language

CHECKS_NL = (
    "De controles vóór verzending vonden 2 fout(en), dus er is niets verstuurd. Herstel ze "
    "eerst in de editor."
)
CHECKS_EN = (
    "The checks before sending found 2 error(s), so nothing was sent. Mend them in the "
    "composer first."
)
REASONS = {
    "relay-said": (
        relay_said("550 5.1.1 <anna@example.nl>: no such user"),
        "550 5.1.1 <anna@example.nl>: no such user",
        "550 5.1.1 <anna@example.nl>: no such user",
    ),
    "failures-in-a-row": (
        Reason(ReasonCode.FAILURES_IN_A_ROW, {"count": 25, "reply": "554 Refused by policy"}),
        "25 keer op rij mislukt; de laatste keer: 554 Refused by policy",
        "25 failures in a row; the last: 554 Refused by policy",
    ),
    "meeting-closed": (
        Reason(ReasonCode.MEETING_CLOSED, {"check": "meeting-cancelled"}),
        "Op de bijeenkomst kan niet meer worden geantwoord: De bijeenkomst is afgelast; er kan "
        "geen uitnodiging of herinnering meer voor uit.",
        "The meeting can no longer be answered: The meeting has been cancelled; no invitation "
        "or reminder can go out for it.",
    ),
    "render-failed": (
        Reason(ReasonCode.RENDER_FAILED, {"error": "unknown placeholder [[schoenmaat]]"}),
        "De e-mail kon niet worden opgemaakt: unknown placeholder [[schoenmaat]]",
        "The email could not be rendered: unknown placeholder [[schoenmaat]]",
    ),
    "start-refused": (
        Reason(
            ReasonCode.START_REFUSED,
            {"cause": Reason(ReasonCode.CHECKS_FAILED, {"count": 2}).as_dict()},
        ),
        f"Hij kon niet starten op het ingeplande moment: {CHECKS_NL}",
        f"It could not start at its scheduled time: {CHECKS_EN}",
    ),
    "due-too-late": (
        Reason(ReasonCode.DUE_TOO_LATE, {"due_at": "2026-06-02T06:30:00+00:00"}),
        "Hij stond ingepland voor dinsdag 2 juni 2026, 08:30, meer dan 6 uur voordat de "
        "planner hem kon starten; verstuur hem nu of plan hem opnieuw in.",
        "It was due at Tuesday 2 June 2026, 08:30, more than 6 hours before the scheduler "
        "could start it; start it or schedule it again.",
    ),
    # Written by a newer version: the page still opens and names what it knows.
    "unknown": (
        Reason("bounced-too-often", {"count": 3}),
        "bounced-too-often",
        "bounced-too-often",
    ),
}


@pytest.mark.parametrize("code", list(REASONS))
def test_the_api_gives_each_reason_in_the_clients_language(app, db, code):
    reason, dutch, english = REASONS[code]
    campaign = make_announcement(db)
    db.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(status=PAUSED, **reason_columns(reason))
    )
    db.commit()
    path = f"/api/v1/campaigns/{campaign.id}"
    dutch_client, english_client = api_client(app, language="nl"), api_client(app, language="en")
    assert dutch_client.get(path).get_json()["status_reason"] == dutch
    assert english_client.get(path).get_json()["status_reason"] == english
    listed = english_client.get("/api/v1/campaigns").get_json()["items"]
    assert [item["status_reason"] for item in listed] == [english]


def test_the_progress_page_gives_the_reason_in_the_organisers_language(app, organiser, db):
    campaign = make_announcement(db)
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(status=SENDING))
    pause_by_itself(db, campaign.id, REASONS["failures-in-a-row"][0])
    db.commit()
    page = organiser.get(f"/campaigns/{campaign.id}/sending").get_data(as_text=True)
    assert REASONS["failures-in-a-row"][1] in page

    db.execute(update(User).values(language="en"))
    db.commit()
    data = organiser.get(f"/campaigns/{campaign.id}/progress.json").get_json()
    assert data["status_reason"] == REASONS["failures-in-a-row"][2]


def test_the_composer_says_in_dutch_why_the_scheduler_left_or_sent_back_a_campaign(
    app, organiser, db
):
    make_contact(db)
    late = make_announcement(db)
    at = datetime(2026, 6, 2, 6, 30, tzinfo=UTC)
    store.schedule_campaign(db, late, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    run_due(db, now=at + timedelta(hours=7), settings=settings_of(app))

    page = organiser.get(f"/campaigns/{late.id}").get_data(as_text=True)
    assert 'id="schedule-late"' in page
    assert REASONS["due-too-late"][1] in page

    sent_back = make_announcement(db, subject="Terug")
    db.execute(
        update(Campaign)
        .where(Campaign.id == sent_back.id)
        .values(**reason_columns(REASONS["start-refused"][0]))
    )
    db.commit()
    page = organiser.get(f"/campaigns/{sent_back.id}").get_data(as_text=True)
    assert 'id="schedule-refused"' in page and REASONS["start-refused"][1] in page
