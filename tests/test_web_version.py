"""The web version behind "bekijk in je browser" and the public archive of sent recaps."""

from __future__ import annotations

from datetime import UTC, datetime

from service.campaigns import store
from service.campaigns.blocks import block_to_dict
from service.campaigns.seed_recap import seed_recap
from service.models import CampaignStatus
from service.public.webversion import web_version_token, web_version_url


def _campaign(db, *, status=CampaignStatus.DRAFT, sent_at=None, kind="recap", **fields):
    values = {
        "kind": kind,
        "subject": "Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        "preheader": "Wat als alles een opgave is?",
        "sender_name": "Opgavebeweging",
        "blocks": [block_to_dict(block) for block in seed_recap().blocks]
        + [{"type": "text", "body": "Tot ziens, [[first_name]]!"}],
    } | fields
    campaign = store.create_campaign(db, **values)
    campaign.status = status
    campaign.sent_at = sent_at
    db.commit()
    return campaign


def _path(app, campaign_id: int) -> str:
    return web_version_url(campaign_id, app.config["SECRET_KEY"], "")


def test_signed_link_opens_the_web_version_without_personal_values(app, client, db):
    campaign = _campaign(db)
    response = client.get(_path(app, campaign.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="nl"' in page
    assert "Provincie Zuid-Holland" in page
    assert "Met de Opgavebeweging hadden we zomaar een hele grote denktank in huis!" in page
    # A neutral name and no placeholder left over.
    assert "Tot ziens, lezer!" in page
    assert page.count("<main>") == 1 and page.count("</main>") == 1
    assert "[[" not in page
    # No personal unsubscribe link: no link to an unsubscribe page, no sentinel left over.
    assert ".invalid" not in page
    assert "unsubscribe" not in page.lower().replace("unsubscribe link", "")
    # "View in your browser" became a link to the archive.
    assert 'href="/archief"' in page
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_a_token_for_another_campaign_or_an_altered_one_is_refused(app, client, db):
    first = _campaign(db)
    second = _campaign(db)
    other = web_version_token(first.id, app.config["SECRET_KEY"])
    for path in (
        f"/web/{second.id}?token={other}",
        f"/web/{first.id}?token={other[:-2]}xx",
        f"/web/{first.id}",
        f"/web/{first.id}?token=" + web_version_token(first.id, "another-secret"),
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        page = response.get_data(as_text=True)
        assert "<h1>" in page and 'href="/archief"' in page
        assert "Provincie Zuid-Holland" not in page


def test_archive_lists_sent_recaps_newest_first_and_opens_them_without_token(client, db):
    older = _campaign(
        db,
        subject="Terugblik maart",
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
    )
    newer = _campaign(
        db,
        subject="Terugblik juni",
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 6, 10, 9, 0, tzinfo=UTC),
    )
    draft = _campaign(db, subject="Terugblik concept")
    invitation = _campaign(
        db,
        kind="invitation",
        subject="Uitnodiging september",
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 8, 1, 9, 0, tzinfo=UTC),
    )
    page = client.get("/archief").get_data(as_text=True)
    assert page.index("Terugblik juni") < page.index("Terugblik maart")
    assert "Terugblik concept" not in page and "Uitnodiging september" not in page
    assert page.count("<h1>") == 1
    assert f'href="/archief/{newer.id}"' in page

    opened = client.get(f"/archief/{older.id}")
    assert opened.status_code == 200
    assert "Provincie Zuid-Holland" in opened.get_data(as_text=True)
    assert client.get(f"/archief/{draft.id}").status_code == 404
    assert client.get(f"/archief/{invitation.id}").status_code == 404
    assert client.get("/archief/999999").status_code == 404


def test_web_version_of_a_deleted_campaign_is_404(app, client, db):
    campaign = _campaign(db)
    path = _path(app, campaign.id)
    store.delete_campaign(db, campaign, actor=None)
    db.commit()
    assert client.get(path).status_code == 404
