"""Who may open what: every organiser page needs a login, some actions an admin."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user

from service.extensions import login_manager


def require_login(bp: Blueprint) -> None:
    """Make every view of the blueprint need a logged-in organiser."""

    @bp.before_request
    def _check_login():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None


def admin_required(view):
    """Allow the view to admins only (403 for editors)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
