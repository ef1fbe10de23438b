"""Campaign logic on a real database: create, edit with version checks, copy, delete, preview."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from service.campaigns import store
from service.campaigns.lifecycle import TransitionError
from service.models import AuditEntry, Campaign, CampaignStatus, MeetingStatus, Tag, User
from service.rendering.render import Network
from tests.builders import amsterdam, demo_recap_blocks, make_campaign, make_meeting

NETWORK = Network(name="Opgavebeweging", email="grenzeloossamenwerken@rijksoverheid.nl")
BASE_URL = "https://post.example.org"


def _actor(db) -> User:
    user = User(email="editor@example.org", password_hash="x", name="Editor")
    db.add(user)
    db.commit()
    return user


def _draft(db, **fields) -> Campaign:
    """A draft recap "Terugblik" that greets its reader; any field can be changed."""
    values = {"subject": "Terugblik", "blocks": [{"type": "text", "body": "Hallo [[first_name]]"}]}
    return make_campaign(db, **(values | fields))


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_create_stores_a_checked_draft_and_audits_it(db):
    actor = _actor(db)
    campaign = _draft(db, blocks=demo_recap_blocks(), actor=actor)
    stored = db.get(Campaign, campaign.id)
    assert stored.status == CampaignStatus.DRAFT
    assert stored.version == 1
    assert stored.audience == {"all": True}
    assert stored.blocks[0]["type"] == "header"
    assert stored.blocks[0]["date"] == "2025-03-04"
    [entry] = _audit(db, "campaign.create")
    assert entry.object_id == campaign.id and entry.user_id == actor.id


def test_create_refuses_unsafe_blocks_naming_each_field(db):
    with pytest.raises(store.CampaignValidationError) as caught:
        store.create_campaign(
            db,
            kind="recap",
            subject="x",
            blocks=[
                {"type": "text", "body": "ok"},
                {"type": "button", "label": "Go", "url": "javascript:alert(1)"},
            ],
            meeting_id=999,
        )
    messages = caught.value.messages(language="en")
    assert "blocks[1].url" in messages
    assert "javascript" in messages["blocks[1].url"]
    assert "999" in messages["meeting_id"]
    assert db.scalars(select(Campaign)).first() is None


def test_update_raises_the_version_and_lists_changed_fields(db):
    campaign = _draft(db)
    changed = store.update_campaign(
        db, campaign, expected_version=1, subject="Nieuw onderwerp", preheader="Wat we deden"
    )
    db.commit()
    assert changed == ["subject"]
    assert db.get(Campaign, campaign.id).version == 2
    assert db.get(Campaign, campaign.id).subject == "Nieuw onderwerp"
    [entry] = _audit(db, "campaign.update")
    assert entry.detail["fields"] == ["subject"]
    # Saving the same values again changes nothing and keeps the version.
    assert store.update_campaign(db, campaign, expected_version=2, subject="Nieuw onderwerp") == []
    assert campaign.version == 2


def test_a_second_editor_on_an_old_version_is_told_not_overwritten(db):
    campaign = _draft(db)
    store.update_campaign(db, campaign, expected_version=1, subject="Eerste editor")
    db.commit()
    with pytest.raises(store.StaleVersionError) as caught:
        store.update_campaign(db, campaign, expected_version=1, subject="Tweede editor")
    assert caught.value.current == 2
    assert "version 2" in str(caught.value)
    db.rollback()
    assert db.get(Campaign, campaign.id).subject == "Eerste editor"


def test_invalid_blocks_store_nothing(db):
    campaign = _draft(db)
    with pytest.raises(store.CampaignValidationError) as caught:
        store.update_campaign(
            db,
            campaign,
            expected_version=1,
            blocks=[{"type": "image", "src": "javascript:x", "alt": "", "width": 9000}],
        )
    messages = caught.value.messages(language="nl")
    assert "blocks[0].src" in messages and "blocks[0].width" in messages
    db.rollback()
    assert db.get(Campaign, campaign.id).version == 1


def test_sent_campaigns_are_read_only_and_only_drafts_are_deleted(db):
    campaign = _draft(db)
    campaign.status = CampaignStatus.SENT
    db.commit()
    with pytest.raises(TransitionError):
        store.update_campaign(db, campaign, expected_version=1, subject="Te laat")
    with pytest.raises(TransitionError) as caught:
        store.delete_campaign(db, campaign, actor=None)
    assert "drafts" in str(caught.value)
    campaign.status = CampaignStatus.PAUSED
    db.commit()
    store.update_campaign(db, campaign, expected_version=1, subject="Gepauzeerd, aangepast")


def test_duplicate_makes_an_independent_draft_and_delete_removes_it(db):
    original = _draft(db, blocks=demo_recap_blocks())
    original.status = CampaignStatus.SENT
    db.commit()
    copy = store.duplicate_campaign(db, original, actor=None)
    db.commit()
    assert copy.status == CampaignStatus.DRAFT and copy.id != original.id
    assert copy.blocks == original.blocks
    store.update_campaign(db, copy, expected_version=1, blocks=copy.blocks[:1])
    db.commit()
    assert len(db.get(Campaign, original.id).blocks) == len(demo_recap_blocks())
    store.delete_campaign(db, copy, actor=None)
    db.commit()
    assert db.get(Campaign, copy.id) is None
    assert [e.object_id for e in _audit(db, "campaign.delete")] == [copy.id]


def test_list_by_status_newest_change_first(db):
    first = _draft(db, subject="Eerste")
    second = _draft(db, subject="Tweede")
    store.update_campaign(db, first, expected_version=1, subject="Eerste, bewerkt")
    db.commit()
    assert [c.id for c in store.list_campaigns(db)] == [first.id, second.id]
    second.status = CampaignStatus.SENT
    db.commit()
    assert [c.id for c in store.list_campaigns(db, CampaignStatus.SENT)] == [second.id]


def test_audience_by_province_and_tag(db):
    db.add(Tag(name="trekker"))
    db.commit()
    campaign = _draft(db, audience={"provinces": ["zuid-holland"], "tags": ["trekker"]})
    assert campaign.audience == {"provinces": ["zuid-holland"], "tags": ["trekker"]}
    with pytest.raises(store.CampaignValidationError) as caught:
        store.update_campaign(db, campaign, expected_version=1, audience={"tags": ["onbekend"]})
    assert "onbekend" in caught.value.messages()["audience"]
    with pytest.raises(store.CampaignValidationError) as caught:
        store.update_campaign(db, campaign, expected_version=1, audience={"provinces": []})
    assert "at least one province or tag" in caught.value.messages()["audience"]


def test_upcoming_meetings_follow_the_campaign_meeting(db):
    held = make_meeting(
        db,
        title="PZH",
        host_organisation="Provincie Zuid-Holland",
        city="Den Haag",
        starts_at=amsterdam(date(2025, 3, 4), time(9, 30)),
        ends_at=amsterdam(date(2025, 3, 4), time(12, 30)),
        status=MeetingStatus.HELD,
    )
    make_meeting(db)  # Zwolle, 3 June 2025
    make_meeting(
        db,
        host_organisation="Hogeschool van Amsterdam",
        city="Amsterdam",
        starts_at=amsterdam(date(2025, 9, 16), time(10, 0)),
        ends_at=amsterdam(date(2025, 9, 16), time(13, 0)),
    )
    make_meeting(
        db,
        host_organisation="Afgelast",
        starts_at=amsterdam(date(2025, 7, 1), time(10, 0)),
        ends_at=amsterdam(date(2025, 7, 1), time(13, 0)),
        status=MeetingStatus.CANCELLED,
    )
    campaign = _draft(db, blocks=demo_recap_blocks())
    assert campaign.meeting is None
    store.update_campaign(db, campaign, expected_version=1, meeting_id=held.id)
    # The meetings after the send: before Zwolle both, after it only the HvA (issue 15: a
    # recap sent late lists no meeting that is already past).
    may = amsterdam(date(2025, 5, 1), time(9, 0))
    hosts = [m.host_organisation for m in store.upcoming_for(db, campaign, now=may)]
    assert hosts == ["Gemeente Zwolle", "Hogeschool van Amsterdam"]
    july = amsterdam(date(2025, 7, 1), time(9, 0))
    assert [m.host_organisation for m in store.upcoming_for(db, campaign, now=july)] == [
        "Hogeschool van Amsterdam"
    ]
    assert store.upcoming_for(db, campaign) == []  # today, all of them lie behind

    preview = store.preview_campaign(
        db, campaign, language="nl", network=NETWORK, base_url=BASE_URL, now=may
    )
    assert "Dinsdag 3 juni 2025" in preview.html and "Gemeente Zwolle" in preview.text
    assert "Hogeschool van Amsterdam" in preview.html
    assert "Afgelast" not in preview.html


def test_preview_is_personalised_for_a_marked_sample_and_linted(db):
    campaign = _draft(db, blocks=[*demo_recap_blocks(), {"type": "text", "body": "Dag [[name]]"}])
    preview = store.preview_campaign(
        db, campaign, language="nl", network=NETWORK, base_url=BASE_URL
    )
    assert preview.subject == "Terugblik"
    assert "Dag Voorbeeld Ontvanger (voorbeeld)" in preview.text
    assert "[[" not in preview.html and "[[" not in preview.text
    assert f"{BASE_URL}/sample/unsubscribe?sample=1" in preview.html
    codes = {(f.code, f.level) for f in preview.lint}
    assert ("link-to-anchor", "error") in codes
    assert ("vague-link-text", "warning") in codes
    english = store.preview_campaign(
        db,
        campaign,
        language="en",
        network=NETWORK,
        base_url=BASE_URL,
        sample=store.sample_values(BASE_URL, language="en", email="me@example.org"),
    )
    assert "Dag Sample Recipient (sample)" in english.text
