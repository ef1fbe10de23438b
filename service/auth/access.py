"""Who may open what: every organiser page needs a login, and each view states its least role.

`allow(Role.X)` on a view: a visitor without a login is sent to the login page (JSON 401 for a
script), an account whose role is below X gets 403 (service/auth/roles.py holds the order).
`public` marks the few views anyone may open (answer pages, unsubscribe, the web version).
Both leave the role on the view as `required_role`, so a test can walk the URL map and check
that every route says who may use it.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from service.auth.roles import may
from service.extensions import login_manager
from service.models import Role

# The attribute on a view that says the least role it needs (None: anyone, no login).
REQUIRED_ROLE = "required_role"


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


def admin_required(view):
    """Allow the view to admins only (403 for organisers and viewers)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_needed()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def allow(role: Role):
    """Allow the view to signed-in accounts with `role` or a higher one (403 below it)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_needed()
            if not may(current_user.role, role):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, REQUIRED_ROLE, role)
        return wrapped

    return decorate


def public(view):
    """Mark a view that anyone may open without a login (it checks its own signed token)."""
    setattr(view, REQUIRED_ROLE, None)
    return view
