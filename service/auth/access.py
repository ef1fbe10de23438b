"""Who may open what: every organiser page needs a login, and each view states its least role.

`allow(Role.X)` on a view: a visitor without a login is sent to the login page (JSON 401 for a
script), an account whose role is below X gets 403 (service/auth/roles.py holds the order).
`public` marks the few views anyone may open (answer pages, unsubscribe, the web version).
Both leave the role on the view as `required_role`, so a test can walk the URL map and check
that every route says who may use it. A page that shows a record to viewers and saves it for
organisers says so with `allow(Role.VIEWER, changes=Role.ORGANISER)`: its GET needs the first
role, its POST the second (`changes_role` on the view).

Templates ask `may("organiser")` (a Jinja global) to leave out the buttons and forms of what the
reader may not do; the view refuses it anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, abort, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from service.auth.roles import may
from service.extensions import login_manager
from service.models import Role

# The attribute on a view that says the least role it needs (None: anyone, no login).
REQUIRED_ROLE = "required_role"
# The least role for the view's methods that change something (all but GET and HEAD).
CHANGES_ROLE = "changes_role"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ROLE_NAMES = {
    Role.ADMIN: _l("admin"),
    Role.ORGANISER: _l("organiser"),
    Role.VIEWER: _l("viewer"),
}


def role_name(role: Role) -> str:
    """The role in the reader's language: "beheerder", "organisator", "meekijker"."""
    return str(ROLE_NAMES[Role(role)])


def current_user_may(needed: Role | str) -> bool:
    """Whether the signed-in account may do what needs `needed` (templates: `may("admin")`)."""
    return bool(current_user.is_authenticated) and may(current_user.role, Role(needed))


def refused(needed: Role, refusal: Callable[[], str] | None = None):
    """The 403 for a signed-in account below the role a view needs, saying which role it needs.

    `refusal` gives a message of the view's own that says more precisely why not.
    """
    message = (
        refusal()
        if refusal is not None
        else _(
            "Your account has the role %(role)s, which may not do this: it needs the role "
            "%(needed)s. Nothing was changed. Ask an admin if you need this.",
            role=role_name(current_user.role),
            needed=role_name(needed),
        )
    )
    wanted = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if wanted == "application/json":
        return jsonify(saved=False, message=message, error=message), 403
    abort(403, message)


def init_app(app: Flask) -> None:
    """Give every template `may(role)`."""
    app.jinja_env.globals["may"] = current_user_may


def require_login(bp: Blueprint) -> None:
    """Make every view of the blueprint need a logged-in organiser."""

    @bp.before_request
    def _check_login():
        if not current_user.is_authenticated:
            return login_needed()
        return None


def login_needed():
    """The answer to a request without a login: the login page, or JSON 401 for a script.

    The composer's autosave and upload ask for JSON. Redirected to the login page they would
    read HTML and could only say "the connection failed"; an organiser whose session ended
    (logged out in another tab, idle too long) must hear that, and that logging in again in
    another tab lets the next change be saved.
    """
    wanted = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if wanted != "application/json":
        return login_manager.unauthorized()
    message = _(
        "Not saved: you are logged out. Log in again in another tab; your text is still here "
        "and is saved with the next change."
    )
    return jsonify(saved=False, message=message, error=message), 401


def allow(role: Role, *, changes: Role | None = None, refusal: Callable[[], str] | None = None):
    """Allow the view to signed-in accounts with `role` or a higher one (403 below it).

    `changes`: a higher role that its other methods than GET and HEAD need (POST saves).
    `refusal`: the message of the 403, when the view can say more than which role it needs.
    """
    changes_role = changes or role

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_needed()
            needed = role if request.method in READING_METHODS else changes_role
            if not may(current_user.role, needed):
                return refused(needed, refusal)
            return view(*args, **kwargs)

        setattr(wrapped, REQUIRED_ROLE, role)
        setattr(wrapped, CHANGES_ROLE, changes_role)
        return wrapped

    return decorate


def public(view):
    """Mark a view that anyone may open without a login (it checks its own signed token)."""
    setattr(view, REQUIRED_ROLE, None)
    setattr(view, CHANGES_ROLE, None)
    return view
