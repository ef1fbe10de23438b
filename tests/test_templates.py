"""Campaign templates: "Opslaan als sjabloon" keeps a campaign's content under a name, "Nieuwe
campagne" starts a draft from it, templates are renamed and deleted, on the pages and through
/api/v1/templates, each for the roles that may."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from service.auth.users import create_user
from service.campaigns import templates
from service.models import (
    AuditEntry,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignTemplate,
    Role,
)
from tests.api_helpers import api_client
from tests.builders import make_campaign, make_demo_recap
from tests.conftest import csrf_token_from, login

BLOCKS = [
    {"type": "text", "body": "Beste [[voornaam]], dank voor je komst."},
    {"type": "button", "label": "Bekijk de netwerkmuur", "url": "[[muur_url]]"},
]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_template_keeps_the_content_and_starts_an_equal_draft(db):
    campaign = make_demo_recap(db)
    campaign.audience = {"provinces": ["Utrecht"]}
    db.commit()
    template = templates.save_campaign_as(db, campaign, "  Terugblik   standaard ")
    db.commit()
    assert template.name == "Terugblik standaard"
    assert (template.kind, template.subject, template.preheader) == (
        campaign.kind,
        campaign.subject,
        campaign.preheader,
    )
    assert template.blocks == campaign.blocks and len(template.blocks) == 25
    draft = templates.start_campaign(db, template, sender_name="Opgavebeweging", actor=None)
    db.commit()
    assert draft.id != campaign.id and draft.status == CampaignStatus.DRAFT
    assert draft.blocks == campaign.blocks and draft.subject == campaign.subject
    # The audience and the meeting belong to one send, not to the template.
    assert draft.audience == {"all": True} and draft.meeting_id is None
    # Changing the draft leaves the template as it was.
    draft.blocks = BLOCKS
    db.commit()
    db.refresh(template)
    assert len(template.blocks) == 25


def test_names_are_unique_and_checked_and_content_is_checked(db):
    templates.create_template(db, name="Uitnodiging", kind="invitation", blocks=BLOCKS)
    db.commit()
    with pytest.raises(templates.TemplateValidationError) as taken:
        templates.create_template(db, name="uitnodiging")
    assert "already a template named" in taken.value.messages()["name"]
    with pytest.raises(templates.TemplateValidationError) as empty:
        templates.create_template(db, name="   ")
    assert "name" in empty.value.messages()
    with pytest.raises(templates.TemplateValidationError) as bad:
        templates.create_template(
            db, name="Kapot", blocks=[{"type": "text", "body": "[[achternaam]]"}]
        )
    assert "[[achternaam]]" in bad.value.messages()["blocks[0].body"]
    assert [t.name for t in templates.list_templates(db)] == ["Uitnodiging"]


def test_rename_and_delete_are_audited(db):
    template = templates.create_template(db, name="Oud", blocks=BLOCKS)
    other = templates.create_template(db, name="Ander")
    db.commit()
    assert templates.update_template(db, template, name="Nieuw") == ["name"]
    assert templates.update_template(db, template, name="Nieuw") == []
    with pytest.raises(templates.TemplateValidationError):
        templates.update_template(db, template, name="ANDER")
    templates.delete_template(db, other, actor=None)
    db.commit()
    assert [t.name for t in templates.list_templates(db)] == ["Nieuw"]
    actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [
        "campaign_template.create",
        "campaign_template.create",
        "campaign_template.update",
        "campaign_template.delete",
    ]


def test_an_organiser_saves_reuses_renames_and_deletes_a_template_on_the_pages(organiser, db):
    campaign = make_campaign(
        db, kind="announcement", subject="Nieuws", preheader="Kort", blocks=BLOCKS
    )
    composer = organiser.get(f"/campaigns/{campaign.id}")
    assert "Opslaan als sjabloon" in _text(composer)
    token = csrf_token_from(composer.get_data(as_text=True))
    saved = organiser.post(
        f"/campaigns/{campaign.id}/save-template", data={"csrf_token": token, "name": "Nieuwsbrief"}
    )
    assert saved.status_code == 302
    assert "Opgeslagen als het sjabloon “Nieuwsbrief”" in _text(organiser.get(saved.location))
    # The same name again is refused on the form, with the name kept.
    again = organiser.post(
        f"/campaigns/{campaign.id}/save-template", data={"csrf_token": token, "name": "nieuwsbrief"}
    )
    assert again.status_code == 422
    assert "Er is al een sjabloon met de naam “nieuwsbrief”" in _text(again)
    [template] = db.scalars(select(CampaignTemplate))
    assert template.kind == CampaignKind.ANNOUNCEMENT and template.blocks == campaign.blocks

    new_page = _text(organiser.get("/campaigns/new"))
    assert "Vanuit het sjabloon “Nieuwsbrief”" in new_page
    made = organiser.post(f"/campaigns/templates/{template.id}/use", data={"csrf_token": token})
    assert made.status_code == 302
    db.expire_all()
    draft = db.scalars(select(Campaign).order_by(Campaign.id.desc())).first()
    assert draft.id != campaign.id and made.location.endswith(f"/campaigns/{draft.id}")
    assert (draft.kind, draft.subject, draft.preheader, draft.blocks) == (
        CampaignKind.ANNOUNCEMENT,
        "Nieuws",
        "Kort",
        campaign.blocks,
    )

    listing = _text(organiser.get("/campaigns/templates"))
    assert "Nieuwsbrief" in listing and "Naam wijzigen" in listing
    renamed = organiser.post(
        f"/campaigns/templates/{template.id}/rename",
        data={"csrf_token": token, "name": "Maandelijks nieuws"},
    )
    assert renamed.status_code == 302
    assert "Maandelijks nieuws" in _text(organiser.get("/campaigns/templates"))
    deleted = organiser.post(
        f"/campaigns/templates/{template.id}/delete", data={"csrf_token": token}
    )
    assert deleted.status_code == 302
    assert "Er zijn nog geen sjablonen" in _text(organiser.get(deleted.location))
    # The campaign made from it keeps its content.
    db.expire_all()
    assert db.get(Campaign, draft.id).blocks == campaign.blocks


def test_a_viewer_reads_the_templates_and_changes_nothing(app, client, db):
    template = templates.create_template(db, name="Terugblik", blocks=BLOCKS)
    create_user(db, "kijker@example.nl", "een-lang-wachtwoord", Role.VIEWER, "Kijker")
    db.commit()
    login(client, "kijker@example.nl", "een-lang-wachtwoord")
    listing = client.get("/campaigns/templates")
    assert listing.status_code == 200
    assert "Terugblik" in _text(listing) and "Naam wijzigen" not in _text(listing)
    token = csrf_token_from(listing.get_data(as_text=True))
    for action in ("rename", "delete", "use"):
        response = client.post(
            f"/campaigns/templates/{template.id}/{action}", data={"csrf_token": token, "name": "X"}
        )
        assert response.status_code == 403, action
    db.expire_all()
    assert [t.name for t in templates.list_templates(db)] == ["Terugblik"]


def test_the_api_lists_creates_reads_renames_and_deletes_templates(app, db):
    api = api_client(app, Role.ORGANISER)
    created = api.post(
        "/api/v1/templates",
        json={
            "name": "Uitnodiging",
            "kind": "invitation",
            "subject": "Kom je?",
            "preheader": "Op 3 juni",
            "blocks": BLOCKS,
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert {k: body[k] for k in ("name", "kind", "subject", "preheader", "blocks")} == {
        "name": "Uitnodiging",
        "kind": "invitation",
        "subject": "Kom je?",
        "preheader": "Op 3 juni",
        "blocks": BLOCKS,
    }
    url = created.headers["Location"]
    assert url.endswith(f"/api/v1/templates/{body['id']}")
    assert api.get(url).get_json()["name"] == "Uitnodiging"
    taken = api.post("/api/v1/templates", json={"name": "uitnodiging"})
    assert taken.status_code == 422 and "name" in taken.get_json()["errors"]
    wrong = api.post("/api/v1/templates", json={"name": "Fout", "blocks": [{"type": "x"}]})
    assert wrong.status_code == 422
    assert api.post("/api/v1/templates", json={"kind": "recap"}).status_code == 422
    renamed = api.patch(url, json={"name": "Uitnodiging juni"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Uitnodiging juni"
    assert renamed.get_json()["blocks"] == BLOCKS
    assert [t["name"] for t in api.get("/api/v1/templates").get_json()["items"]] == [
        "Uitnodiging juni"
    ]
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert api.get("/api/v1/templates").get_json()["items"] == []


def test_the_api_roles_viewer_reads_organiser_writes(app, db):
    template = templates.create_template(db, name="Terugblik", blocks=BLOCKS)
    db.commit()
    url = f"/api/v1/templates/{template.id}"
    viewer = api_client(app, Role.VIEWER)
    assert viewer.get("/api/v1/templates").status_code == 200
    assert viewer.get(url).get_json()["blocks"] == BLOCKS
    assert viewer.post("/api/v1/templates", json={"name": "X"}).status_code == 403
    assert viewer.patch(url, json={"name": "X"}).status_code == 403
    assert viewer.delete(url).status_code == 403
    assert app.test_client().get("/api/v1/templates").status_code == 401
    admin = api_client(app, Role.ADMIN)
    assert admin.patch(url, json={"subject": "Terugblik op juni"}).status_code == 200
    db.expire_all()
    assert db.get(CampaignTemplate, template.id).subject == "Terugblik op juni"
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = document["paths"]["/api/v1/templates/{template_id}"]
    assert operations["get"]["x-role"] == "viewer"
    assert {operations[m]["x-role"] for m in ("patch", "delete")} == {"organiser"}
    assert document["paths"]["/api/v1/templates"]["post"]["x-role"] == "organiser"
