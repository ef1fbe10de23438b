"""Browser fixtures: the app served on a free port, Debian's Chromium through Playwright, and an
accessibility check (axe-core) of every page a browser test shows.

Every page must pass axe. `visit(page, path)` opens a page and checks it; after an action that
shows a new page (a form submitted, a link followed) call `check_accessibility(page)`. At the end
of each passing test the page still open is checked, and the test fails if it showed any page that
was never checked, so a forgotten check cannot hide a violation.

Browser tests run on each backend that `--db` chooses, like the rest of the suite: the live server
serves the `app` fixture of tests/conftest.py.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator

from service.settings import change_settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Root cannot use Chromium's sandbox here; the network flags stop Chromium from trying to reach
# Google services, which hang on a machine without internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

# Each document gets an id and reports itself when loaded, so the end-of-test check knows
# exactly which pages were shown, including pages answered to a POST.
_REPORT_SHOWN = """
(() => {
  if (window !== window.top) return;
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  Object.defineProperty(window, "__opgavepostDocument", { value: id });
  window.addEventListener("load", () => window.__opgavepostShown(id, location.href));
})();
"""

# Generous waits: the suite runs two processes on two cores, next to Chromium and PostgreSQL.
expect.set_options(timeout=10_000)
_DASHBOARD = re.compile(r"^http://127\.0\.0\.1:\d+/$")
_axe = Axe()
_trackers: weakref.WeakKeyDictionary[Page, _Shown] = weakref.WeakKeyDictionary()
_TRACKED = pytest.StashKey[Page]()


@dataclass
class _Shown:
    """The pages (documents) a test showed and those axe has checked."""

    shown: dict[str, str] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)

    def record(self, _source: object, document: str, url: str) -> None:
        if url.startswith("http"):
            self.shown[document] = url

    def unchecked(self) -> list[str]:
        return [url for document, url in self.shown.items() if document not in self.checked]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's package; never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; run scripts/test, or apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _Requests:
    """WSGI middleware that counts the requests being answered, so teardown can wait for them.

    A request still running (say the browser's late /favicon.ico) when the app fixture disposes
    its engine would hand its database connection back to a pool nobody closes any more.
    """

    def __init__(self, app: Flask):
        self._app = app
        self._busy = 0
        self._changed = threading.Condition()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        with self._changed:
            self._busy += 1
        try:
            body = self._app(environ, start_response)
        except BaseException:
            self._done()
            raise
        # The body may stream (CSV export); the request ends when the server closes it.
        return ClosingIterator(body, self._done)

    def _done(self) -> None:
        with self._changed:
            self._busy -= 1
            self._changed.notify_all()

    def wait_until_idle(self, timeout: float) -> None:
        """Block until no request is being answered, or the timeout has passed."""
        with self._changed:
            self._changed.wait_for(lambda: self._busy == 0, timeout)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app served over HTTP on a free loopback port; yields the base URL.

    BASE_URL becomes that address, as `opgavepost serve` makes it where it listens: the links
    and images of an email (the composer's preview loads uploads from BASE_URL/media/) must come
    from the server under test. Browsers keep cookies per host, not per port, so an image from
    another server on 127.0.0.1 (someone's `opgavepost serve` on port 5000) could replace the
    browser's session cookie and log the test out halfway.
    """
    requests = _Requests(app)
    server = make_server("127.0.0.1", 0, requests, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    change_settings(app, BASE_URL=url)
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        requests.wait_until_idle(timeout=10)
        server.server_close()


@pytest.fixture
def page(browser: Browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab (own cookies, Dutch browser locale) with paths relative to the server."""
    context = browser.new_context(locale="nl-NL", base_url=live_server, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    tracker = _Shown()
    context.expose_binding("__opgavepostShown", tracker.record)
    context.add_init_script(_REPORT_SHOWN)
    tab = context.new_page()
    _trackers[tab] = tracker
    request.node.stash[_TRACKED] = tab
    yield tab
    context.close()


@pytest.fixture
def logged_in_page(page: Page, admin_user: int) -> Page:
    """A tab logged in as the admin organiser through the real login form, on the dashboard."""
    log_in(page)
    return page


def log_in(page: Page, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Fill in and submit the login form, and wait for the dashboard."""
    visit(page, "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(_DASHBOARD)
    check_accessibility(page)


def tab_to_button(page: Page, name: str, presses: int) -> None:
    """Press Tab until the button called `name` has the focus, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.tagName === 'BUTTON'"
            " && document.activeElement.textContent.trim()"
        )
        if focused == name:
            return
    pytest.fail(f"no button {name!r} reached with {presses} presses of Tab")


def visit(page: Page, path: str) -> None:
    """Open a page (path relative to the live server) and check it with axe."""
    response = page.goto(path)
    assert response is not None and response.ok, (
        f"GET {path} answered {response and response.status}"
    )
    check_accessibility(page)


def check_accessibility(page: Page) -> None:
    """Fail with a readable list when axe-core finds WCAG violations on the page shown now."""
    page.wait_for_load_state("load")
    results = _axe.run(page)
    document = page.evaluate("window.__opgavepostDocument")
    tracker = _trackers.get(page)
    if tracker is not None and document:
        tracker.checked.add(document)
    violations = results.response["violations"]
    if violations:
        pytest.fail(_report(page.url, violations))


def _report(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            for reason in node.get("failureSummary", "").splitlines():
                lines.append(f"      {reason.strip()}")
    return "\n".join(lines)


def translated(app: Flask, message: str, locale: str = "nl", **variables: object) -> str:
    """The text the app shows for an English msgid in the given language."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **variables)


def translated_plural(app: Flask, singular: str, plural: str, num: int, locale: str = "nl") -> str:
    """The text the app shows for a counted msgid (ngettext) in the given language."""
    with app.test_request_context(), force_locale(locale):
        return ngettext(singular, plural, num)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # After a passing test: check the page still open and refuse pages that were never checked.
    result = yield
    tab = item.stash.get(_TRACKED, None)
    tracker = _trackers.get(tab) if tab is not None else None
    if tab is None or tracker is None or tab.is_closed():
        return result
    if tab.url.startswith("http"):
        tab.wait_for_load_state("load")
        document = tab.evaluate("window.__opgavepostDocument")
        if document not in tracker.checked:
            check_accessibility(tab)
    missed = tracker.unchecked()
    if missed:
        pytest.fail(
            "these pages were shown but never checked for accessibility; call "
            "check_accessibility(page) after the action that shows them:\n  " + "\n  ".join(missed)
        )
    return result
