"""/api/v1/campaigns: list, create, read, change and preview campaigns."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from service.campaigns.blocks import block_to_dict
from service.campaigns.seed_recap import seed_recap
from service.models import AuditEntry, Campaign, CampaignStatus, Role
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_meeting

CAMPAIGN_FIELDS = {
    "id",
    "kind",
    "subject",
    "preheader",
    "sender_name",
    "meeting_id",
    "blocks",
    "audience",
    "status",
    "scheduled_at",
    "sent_at",
    "version",
    "created_at",
    "updated_at",
}
SUBJECT = "Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland"


@pytest.fixture
def api(app):
    return api_client(app, Role.EDITOR)


def _seed_body(**overrides) -> dict:
    return {
        "kind": "recap",
        "subject": SUBJECT,
        "preheader": "Wat als alles een opgave is?",
        "sender_name": "Opgavebeweging",
        "blocks": [block_to_dict(block) for block in seed_recap().blocks],
    } | overrides


def test_create_read_and_list(api, db):
    created = api.post("/api/v1/campaigns", json=_seed_body())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert set(body) == CAMPAIGN_FIELDS
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


def test_sent_campaign_cannot_change(api, db):
    campaign = api.post("/api/v1/campaigns", json=_seed_body()).get_json()
    db.get(Campaign, campaign["id"]).status = CampaignStatus.SENT
    db.commit()
    response = api.patch(f"/api/v1/campaigns/{campaign['id']}", json={"subject": "Anders"})
    assert response.status_code == 409


def test_preview_gives_subject_html_text_and_lint(api, db):
    meeting = make_meeting(
        db,
        title="De Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        host_organisation="Provincie Zuid-Holland",
        city="Den Haag",
        starts_at=amsterdam(date(2025, 3, 4), time(10, 0)),
        ends_at=amsterdam(date(2025, 3, 4), time(13, 0)),
    )
    make_meeting(db)  # Gemeente Zwolle, 3 June 2025: the upcoming table picks it up
    campaign = api.post("/api/v1/campaigns", json=_seed_body(meeting_id=meeting.id)).get_json()
    response = api.get(f"/api/v1/campaigns/{campaign['id']}/preview")
    assert response.status_code == 200
    preview = response.get_json()
    assert set(preview) == {"subject", "html", "text", "lint"}
    assert preview["subject"] == SUBJECT
    assert 'lang="nl"' in preview["html"]
    assert "Dinsdag 3 juni 2025" in preview["html"]
    assert "Gemeente Zwolle" in preview["text"]
    codes = {finding["code"] for finding in preview["lint"]}
    assert codes  # the seed links "Klik hier" to "#"
    assert all({"level", "code", "block", "message"} == set(f) for f in preview["lint"])

    english = api.get(f"/api/v1/campaigns/{campaign['id']}/preview?language=en").get_json()
    assert 'lang="en"' in english["html"]
    assert "Tuesday 3 June 2025" in english["html"]
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
