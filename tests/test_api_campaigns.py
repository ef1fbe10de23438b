"""/api/v1/campaigns: list, create, read, change and preview campaigns."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from service.campaigns.lifecycle import relay_said
from service.delivery.queue import pause_by_itself
from service.models import (
    AuditEntry,
    Campaign,
    CampaignStatus,
    Consent,
    Delivery,
    MeetingStatus,
    Role,
)
from tests.api_helpers import api_client
from tests.builders import amsterdam, demo_recap_blocks, make_contact, make_meeting
from tests.mail_helpers import drain

CAMPAIGN_FIELDS = {
    "id",
    "kind",
    "subject",
    "preheader",
    "sender_name",
    "meeting_id",
    "blocks",
    "audience",
    "count_clicks",
    "language",
    "translations",
    "status",
    "status_reason",
    "scheduled_at",
    "sent_at",
    "version",
    "created_at",
    "updated_at",
}
# Answers about one campaign also say how its sending stands.
DETAIL_FIELDS = CAMPAIGN_FIELDS | {"progress"}
PROGRESS_FIELDS = {
    "total",
    "sent",
    "failed",
    "skipped",
    "cancelled",
    "waiting",
    "rate_per_minute",
    "expected_end",
}
SUBJECT = "Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland"


@pytest.fixture
def api(app):
    return api_client(app, Role.ORGANISER)


def _seed_body(**overrides) -> dict:
    return {
        "kind": "recap",
        "subject": SUBJECT,
        "preheader": "Wat als alles een opgave is?",
        "sender_name": "Opgavebeweging",
        "blocks": demo_recap_blocks(),
    } | overrides


def test_create_read_and_list(api, db):
    created = api.post("/api/v1/campaigns", json=_seed_body())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert set(body) == DETAIL_FIELDS
    assert body["status"] == "draft" and body["version"] == 1
    assert body["audience"] == {"all": True}
    assert body["blocks"][0]["type"] == "header"
    assert created.headers["Location"].endswith(f"/api/v1/campaigns/{body['id']}")

    read = api.get(f"/api/v1/campaigns/{body['id']}")
    assert read.status_code == 200 and read.get_json()["subject"] == SUBJECT

    sent = db.get(Campaign, body["id"])
    other = api.post("/api/v1/campaigns", json={"subject": "Uitnodiging", "kind": "invitation"})
    assert other.status_code == 201
    sent.status = CampaignStatus.SENT
    db.commit()
    listed = api.get("/api/v1/campaigns").get_json()["items"]
    assert {c["id"] for c in listed} == {body["id"], other.get_json()["id"]}
    only_sent = api.get("/api/v1/campaigns?status=sent").get_json()["items"]
    assert [c["id"] for c in only_sent] == [body["id"]]
    assert api.get("/api/v1/campaigns?status=verzonden").status_code == 422
    actions = set(db.scalars(select(AuditEntry.action)))
    assert "campaign.create" in actions


def test_patch_changes_fields_and_checks_the_version(api):
    campaign = api.post("/api/v1/campaigns", json=_seed_body()).get_json()
    path = f"/api/v1/campaigns/{campaign['id']}"
    changed = api.patch(path, json={"subject": "Terugblik 4 maart", "version": 1})
    assert changed.status_code == 200
    assert changed.get_json()["subject"] == "Terugblik 4 maart"
    assert changed.get_json()["version"] == 2
    assert changed.get_json()["preheader"] == "Wat als alles een opgave is?"

    stale = api.patch(path, json={"subject": "Oude versie", "version": 1})
    assert stale.status_code == 409
    assert stale.get_json()["code"] == 409
    assert "2" in stale.get_json()["message"]
    assert api.get(path).get_json()["subject"] == "Terugblik 4 maart"


def test_invalid_content_is_422_with_the_field_named(api):
    refused = api.post(
        "/api/v1/campaigns",
        json=_seed_body(blocks=[{"type": "marquee", "text": "hallo"}], kind="flyer"),
    )
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert "kind" in errors
    assert any(path.startswith("blocks") for path in errors)
    unknown = api.post("/api/v1/campaigns", json={"subject": "x", "colour": "rood"})
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["errors"]


def test_a_block_type_that_is_not_text_is_422_with_the_field_named(api):
    refused = api.post("/api/v1/campaigns", json=_seed_body(blocks=[{"type": ["text"]}]))
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert "blocks[0].type" in refused.get_json()["errors"]


def test_sent_campaign_cannot_change(app, api, db):
    campaign = api.post("/api/v1/campaigns", json=_seed_body()).get_json()
    db.get(Campaign, campaign["id"]).status = CampaignStatus.SENT
    db.commit()
    response = api.patch(f"/api/v1/campaigns/{campaign['id']}", json={"subject": "Anders"})
    assert response.status_code == 409
    # The status is named in the organiser's language, as the pages name it.
    assert 'heeft de status "Verstuurd"' in response.get_json()["message"]
    english = api_client(app, Role.ORGANISER, "en")
    refused = english.patch(f"/api/v1/campaigns/{campaign['id']}", json={"subject": "Other"})
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (
        'This campaign has the status "Sent" and can no longer be changed; duplicate it instead.'
    )


def test_preview_gives_subject_html_text_and_lint(api, db):
    meeting = make_meeting(
        db,
        title="De Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        host_organisation="Provincie Zuid-Holland",
        city="Den Haag",
        starts_at=amsterdam(date(2025, 3, 4), time(10, 0)),
        ends_at=amsterdam(date(2025, 3, 4), time(13, 0)),
    )
    # Gemeente Zwolle, ahead of today: the upcoming table (meetings after the send) picks it up.
    make_meeting(
        db,
        starts_at=amsterdam(date(2099, 6, 2), time(10, 0)),
        ends_at=amsterdam(date(2099, 6, 2), time(13, 0)),
    )
    campaign = api.post("/api/v1/campaigns", json=_seed_body(meeting_id=meeting.id)).get_json()
    response = api.get(f"/api/v1/campaigns/{campaign['id']}/preview")
    assert response.status_code == 200
    preview = response.get_json()
    assert set(preview) == {"language", "subject", "html", "text", "lint"}
    assert preview["language"] == "nl"
    assert preview["subject"] == SUBJECT
    assert 'lang="nl"' in preview["html"]
    assert "Dinsdag 2 juni 2099" in preview["html"]
    assert "Gemeente Zwolle" in preview["text"]
    codes = {finding["code"] for finding in preview["lint"]}
    assert codes  # the seed links "Klik hier" to "#"
    assert all({"level", "code", "block", "message"} == set(f) for f in preview["lint"])

    # Without an English version, readers of English get the whole email in Dutch.
    english = api.get(f"/api/v1/campaigns/{campaign['id']}/preview?language=en").get_json()
    assert english["language"] == "nl" and 'lang="nl"' in english["html"]
    assert "Dinsdag 2 juni 2099" in english["html"]
    version = {"subject": "Looking back", "blocks": [{"type": "upcoming_meetings"}]}
    patched = api.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"translations": {"en": version}}
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["translations"]["en"]["subject"] == "Looking back"
    english = api.get(f"/api/v1/campaigns/{campaign['id']}/preview?language=en").get_json()
    assert english["language"] == "en" and 'lang="en"' in english["html"]
    assert english["subject"] == "Looking back"
    assert "Tuesday 2 June 2099" in english["html"]
    refused = api.patch(
        f"/api/v1/campaigns/{campaign['id']}",
        json={"translations": {"en": {"blocks": [{"type": "vlog"}]}}},
    )
    assert refused.status_code == 422
    assert "translations.en.blocks[0].type" in refused.get_json()["errors"]
    assert api.get(f"/api/v1/campaigns/{campaign['id']}/preview?language=de").status_code == 422


def test_unknown_campaign_is_404_and_a_token_is_needed(api, client):
    assert api.get("/api/v1/campaigns/999999").status_code == 404
    assert api.get("/api/v1/campaigns/999999/preview").status_code == 404
    assert api.patch("/api/v1/campaigns/999999", json={"subject": "x"}).status_code == 404
    assert client.get("/api/v1/campaigns").status_code == 401


def test_campaigns_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/campaigns"]) >= {"get", "post"}
    assert set(paths["/api/v1/campaigns/{campaign_id}"]) >= {"get", "patch"}
    assert "get" in paths["/api/v1/campaigns/{campaign_id}/preview"]
    assert set(spec["components"]["schemas"]["Campaign"]["properties"]) == CAMPAIGN_FIELDS


# --- sending -------------------------------------------------------------------------------------


def _sendable(api, **overrides) -> dict:
    """A draft that renders and passes the checks: one text block, for everyone with consent."""
    body = {
        "kind": "announcement",
        "subject": "Nieuws voor [[first_name]]",
        "preheader": "Kort nieuws",
        "sender_name": "Opgavebeweging",
        "blocks": [{"type": "text", "body": "Beste [[first_name]], hier is het nieuws."}],
    } | overrides
    created = api.post("/api/v1/campaigns", json=body)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def _deliveries(db, campaign_id: int) -> list[Delivery]:
    db.expire_all()
    return list(db.scalars(select(Delivery).where(Delivery.campaign_id == campaign_id)))


def test_send_starts_it_and_a_second_send_is_409(api, db):
    people = [make_contact(db) for _ in range(3)]
    make_contact(db, consent=Consent.WITHDRAWN)
    db.commit()
    campaign = _sendable(api)
    path = f"/api/v1/campaigns/{campaign['id']}"
    assert api.get(path).get_json()["progress"]["total"] == 0

    started = api.post(f"{path}/send", json={})
    assert started.status_code == 202, started.get_json()
    body = started.get_json()
    assert set(body) == DETAIL_FIELDS and set(body["progress"]) == PROGRESS_FIELDS
    assert body["status"] == "sending" and body["status_reason"] == ""
    assert body["progress"]["total"] == 3 and body["progress"]["waiting"] == 3
    assert sorted(d.email for d in _deliveries(db, campaign["id"])) == sorted(
        p.email for p in people
    )

    again = api.post(f"{path}/send", json={})
    assert again.status_code == 409
    assert again.get_json()["code"] == 409
    assert again.get_json()["message"] == (
        'Deze campagne heeft de status "Wordt verstuurd"; alleen concepten en ingeplande '
        "campagnes kunnen beginnen."
    )
    assert len(_deliveries(db, campaign["id"])) == 3
    assert api.post("/api/v1/campaigns/999999/send", json={}).status_code == 404


def test_a_campaign_that_cannot_render_or_has_lint_errors_is_422_and_nothing_recorded(api, db):
    make_contact(db)
    db.commit()
    broken = _sendable(api)
    # A placeholder the renderer does not know, written past the store's checks.
    db.get(Campaign, broken["id"]).subject = "Hallo [[schoenmaat]]"
    db.commit()
    refused = api.post(f"/api/v1/campaigns/{broken['id']}/send", json={})
    assert refused.status_code == 422
    assert "schoenmaat" in refused.get_json()["message"]

    faulty = _sendable(
        api, blocks=[{"type": "image", "src": "https://example.org/foto.jpg", "alt": ""}]
    )
    lint = api.post(f"/api/v1/campaigns/{faulty['id']}/send", json={})
    assert lint.status_code == 422
    assert lint.get_json()["errors"]["lint"]  # says which check failed
    for campaign in (broken, faulty):
        assert _deliveries(db, campaign["id"]) == []
        assert api.get(f"/api/v1/campaigns/{campaign['id']}").get_json()["status"] == "draft"


def test_pause_resume_and_cancel_move_the_status_or_answer_409(api, db):
    make_contact(db)
    make_contact(db)
    db.commit()
    campaign = _sendable(api)
    path = f"/api/v1/campaigns/{campaign['id']}"
    for action in ("pause", "resume", "cancel"):
        draft = api.post(f"{path}/{action}", json={})
        assert draft.status_code == 409, action
        assert draft.get_json()["message"]
    assert api.post(f"{path}/send", json={}).status_code == 202

    assert api.post(f"{path}/resume", json={}).status_code == 409
    paused = api.post(f"{path}/pause", json={})
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    assert api.post(f"{path}/pause", json={}).status_code == 409
    resumed = api.post(f"{path}/resume", json={})
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "sending"
    cancelled = api.post(f"{path}/cancel", json={})
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["progress"]["cancelled"] == 2
    assert cancelled.get_json()["progress"]["waiting"] == 0
    assert api.post(f"{path}/cancel", json={}).status_code == 409
    assert api.post("/api/v1/campaigns/999999/pause", json={}).status_code == 404


def test_read_says_why_a_send_paused_itself(api, db):
    make_contact(db)
    db.commit()
    campaign = _sendable(api)
    path = f"/api/v1/campaigns/{campaign['id']}"
    assert api.post(f"{path}/send", json={}).status_code == 202
    pause_by_itself(db, campaign["id"], relay_said("535 5.7.8 authentication failed"))
    db.commit()
    body = api.get(path).get_json()
    assert body["status"] == "paused"
    assert body["status_reason"] == "535 5.7.8 authentication failed"
    assert body["progress"]["waiting"] == 1


def test_progress_counts_what_the_relay_said(app, api, db, smtp_server):
    accepted = [make_contact(db) for _ in range(3)]
    gone = make_contact(db, email="bestaat.niet@example.nl")
    db.commit()
    smtp_server.handler.refused = {gone.email: "550 5.1.1 no such user"}
    campaign = _sendable(api)
    path = f"/api/v1/campaigns/{campaign['id']}"
    assert api.post(f"{path}/send", json={}).status_code == 202

    drain(app, smtp_server, batch_size=2)

    body = api.get(path).get_json()
    assert body["status"] == "sent"
    progress = body["progress"]
    assert (progress["total"], progress["sent"], progress["failed"]) == (4, 3, 1)
    assert (progress["waiting"], progress["skipped"], progress["cancelled"]) == (0, 0, 0)
    assert progress["rate_per_minute"] > 0 and progress["expected_end"] is None
    assert sorted(r for _f, rcpts, _m in smtp_server.handler.messages for r in rcpts) == sorted(
        p.email for p in accepted
    )


def test_sending_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    send = paths["/api/v1/campaigns/{campaign_id}/send"]["post"]["responses"]
    assert {"202", "404", "409", "422"} <= set(send)
    for action in ("pause", "resume", "cancel"):
        assert {"200", "404", "409"} <= set(
            paths[f"/api/v1/campaigns/{{campaign_id}}/{action}"]["post"]["responses"]
        )
    schemas = spec["components"]["schemas"]
    assert set(schemas["CampaignDetail"]["properties"]) == DETAIL_FIELDS
    assert set(schemas["Progress"]["properties"]) == PROGRESS_FIELDS


def test_an_invitation_for_a_cancelled_meeting_is_422_with_the_check_that_failed(api, db):
    make_contact(db)
    meeting = make_meeting(db, status=MeetingStatus.CANCELLED)
    campaign = _sendable(api, kind="invitation", meeting_id=meeting.id)
    preview = api.get(f"/api/v1/campaigns/{campaign['id']}/preview").get_json()
    assert "meeting-cancelled" in [finding["code"] for finding in preview["lint"]]
    refused = api.post(f"/api/v1/campaigns/{campaign['id']}/send", json={})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["lint"]
    assert _deliveries(db, campaign["id"]) == []
