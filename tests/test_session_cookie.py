"""The session cookie: a notice stored by one request is not lost to another that was under way.

A page's own requests (the composer's preview frame and autosave, the progress poll, the images)
leave with the cookie as it was. When one of them is answered after a request that stored a notice
("A test email was sent to ..."), its answer must not put the old cookie back.
"""

from __future__ import annotations

import pytest

from service.settings import change_settings
from tests.builders import make_campaign
from tests.conftest import ADMIN_EMAIL, csrf_token_from

# What Chromium, Firefox and Safari send with the requests a page makes by itself.
SAME_SITE = {"Sec-Fetch-Site": "same-origin"}
FRAME = SAME_SITE | {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"}
FETCH = SAME_SITE | {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "same-origin"}
PAGE = SAME_SITE | {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}


def _session_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return header.split(";", 1)[0].removeprefix("session=")
    return None


def _answered_late(app, stale_cookie: str, method: str, path: str, headers: dict, data=None):
    """Send a request with the cookie it left with; return the cookie its answer sets, if any."""
    other = app.test_client()
    other.set_cookie("session", stale_cookie)
    return _session_cookie(other.open(path, method=method, headers=headers, data=data))


@pytest.mark.parametrize("request_kind", ["preview frame", "autosave", "progress poll"])
def test_a_test_send_keeps_its_notice_when_a_request_of_the_page_is_answered_after_it(
    organiser, db, app, smtp_server, request_kind
):
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    campaign = make_campaign(db)
    page = organiser.get(f"/campaigns/{campaign.id}", headers=PAGE).get_data(as_text=True)
    token = csrf_token_from(page)
    stale = organiser.get_cookie("session").value

    organiser.post(f"/campaigns/{campaign.id}/send-test", data={"csrf_token": token}, headers=PAGE)
    late = {
        "preview frame": ("GET", f"/campaigns/{campaign.id}/preview?v=2", FRAME, None),
        "autosave": (
            "POST",
            f"/campaigns/{campaign.id}/autosave",
            FETCH | {"X-CSRFToken": token, "Accept": "application/json"},
            {"subject": "Terugblik", "version": str(campaign.version), "action": "autosave"},
        ),
        "progress poll": ("GET", f"/campaigns/{campaign.id}/progress.json", FETCH, None),
    }[request_kind]
    overwritten = _answered_late(app, stale, *late)
    if overwritten is not None:  # what the browser does with the late answer's cookie
        organiser.set_cookie("session", overwritten)

    shown = organiser.get(f"/campaigns/{campaign.id}", headers=PAGE).get_data(as_text=True)
    assert f"Er is een testmail verstuurd naar {ADMIN_EMAIL}." in shown


@pytest.mark.parametrize("headers", [PAGE, {}], ids=["page", "browser without Sec-Fetch"])
def test_opening_a_page_keeps_the_session_alive(organiser, headers):
    # The session lasts SESSION_HOURS after the last page opened: each page sends the cookie again.
    assert _session_cookie(organiser.get("/contacts/", headers=headers)) is not None


def test_a_request_of_the_page_that_changes_nothing_sends_no_cookie(organiser, db):
    campaign = make_campaign(db)
    preview = organiser.get(f"/campaigns/{campaign.id}/preview", headers=FRAME)
    assert _session_cookie(preview) is None
    poll = organiser.get(f"/campaigns/{campaign.id}/progress.json", headers=FETCH)
    assert poll.status_code == 200
    assert _session_cookie(poll) is None
