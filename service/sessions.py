"""The session cookie: sent again when the session changed or a page was opened, not otherwise.

Flask sends a permanent session's cookie with every answer, to slide its expiry. With a cookie
session that is a race: the requests a page makes by itself (the composer's preview frame and
autosave, the progress poll) leave with the cookie as it was, and when one of them is answered
after a request that stored a notice ("A test email was sent to ..."), its answer put the old
cookie back and the notice was lost. Now only opening a page slides the expiry. Browsers say which
requests open a page with Sec-Fetch-Dest; a browser that does not say keeps Flask's behaviour.
A counted link's redirect never sends the cookie (COOKIELESS_ENDPOINTS).
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin


def opens_a_page() -> bool:
    """Whether this request loads a page in a tab, rather than a frame, a fetch or an image."""
    return request.headers.get("Sec-Fetch-Dest", "document") == "document"


# Answers without any cookie, even to a logged-in organiser: the redirect of a counted link
# must not tell, or help tell, who clicked (service/click_links.py).
COOKIELESS_ENDPOINTS = frozenset({"web.counted_link"})


class PageSlidSessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if request.endpoint in COOKIELESS_ENDPOINTS:
            return False
        if session.modified:
            return True
        return super().should_set_cookie(app, session) and opens_a_page()
