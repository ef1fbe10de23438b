"""The answer to too many posts: the limit in the reader's words, and when to try again."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from

DUTCH = {"Accept-Language": "nl-NL"}
ENGLISH = {"Accept-Language": "en-GB"}

# Each public form allows 5 posts an hour per address; the login and the forgotten-password form
# 10 a minute (LOGIN_RATE_LIMIT).
FORMS = {
    "/aanmelden": (5, "5 keer per uur", "5 times per hour", 3600),
    "/aandragen": (5, "5 keer per uur", "5 times per hour", 3600),
    "/gastheer-worden": (5, "5 keer per uur", "5 times per hour", 3600),
    "/login": (10, "10 keer per minuut", "10 times per minute", 60),
    "/password/forgot": (10, "10 keer per minuut", "10 times per minute", 60),
}


def _post_until_refused(client, path: str, allowed: int, headers: dict[str, str]):
    token = csrf_token_from(client.get(path, headers=headers).get_data(as_text=True))
    for _ in range(allowed):
        # An empty form: refused by its checks, but every post counts.
        assert client.post(path, data={"csrf_token": token}, headers=headers).status_code != 429
    return client.post(path, data={"csrf_token": token}, headers=headers)


@pytest.mark.parametrize("path", list(FORMS))
def test_too_many_posts_say_the_limit_in_dutch_and_when_to_try_again(client, admin_user, path):
    allowed, dutch, _english, window = FORMS[path]
    refused = _post_until_refused(client, path, allowed, DUTCH)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert f"Te veel pogingen: hooguit {dutch}." in page
    assert "per 1" not in page and "hour" not in page
    assert "Probeer het over " in page
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= window


@pytest.mark.parametrize("path", ["/aanmelden", "/login"])
def test_too_many_posts_in_english_for_an_english_reader(client, admin_user, path):
    allowed, _dutch, english, window = FORMS[path]
    if path == "/login":
        client.post("/language", data={"language": "en"})  # chosen on the page, as people do
    refused = _post_until_refused(client, path, allowed, ENGLISH)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert f"Too many attempts: at most {english}." in page
    assert "Try again in " in page
    assert 0 < int(refused.headers["Retry-After"]) <= window
