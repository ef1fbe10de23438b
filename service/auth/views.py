"""Login, logout and the choice of language."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from service.auth.access import public
from service.auth.forms import LoginForm
from service.auth.two_factor import is_enabled as has_second_factor
from service.auth.users import authenticate
from service.database import get_session
from service.extensions import limiter
from service.models import record_audit
from service.settings import current_settings

bp = Blueprint("auth", __name__)


# After a correct password an account with a second factor is not logged in yet: the session
# keeps {"user": get_id(), "at": seconds} until /login/two-factor has its code
# (service/two_factor/views.py).
PENDING_SECOND_STEP = "two_factor_pending"


def _login_limit() -> str:
    return current_settings().LOGIN_RATE_LIMIT


def _login_account() -> str:
    # The address typed in: guesses at one account are limited however many addresses they
    # come from, as guesses from one address are (the limiter's own key) whatever they try.
    return "account:" + request.form.get("email", "").strip().lower()


# Spaces, line breaks and other control characters never occur in a path we link to; in the
# Location header a line break gives a 500 and the others would be written raw.
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _safe_next(target: str | None) -> str:
    # Only paths on this site, so a crafted link cannot send an organiser elsewhere after login.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not _UNSAFE_IN_PATH.search(target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_login_account, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        user = authenticate(db, form.email.data, form.password.data)
        if user is not None and has_second_factor(user):
            db.rollback()  # the sign-in is recorded when the second step is passed
            session[PENDING_SECOND_STEP] = {"user": user.get_id(), "at": int(time.time())}
            return redirect(url_for("two_factor.login_step", next=request.args.get("next")))
        if user is not None:
            login_user(user)
            record_audit(db, user, "login")
            db.commit()
            return redirect(_safe_next(request.args.get("next")))
        db.rollback()
        flash(_("Email address or password is not correct."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        db = get_session()
        record_audit(db, current_user, "logout")
        db.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def set_language():
    """Switch the interface between Dutch and English, for this organiser or browser session."""
    language = request.form.get("language", "")
    if language in current_settings().LANGUAGES:
        session["lang"] = language
        if current_user.is_authenticated:
            db = get_session()
            current_user.language = language
            db.commit()
    return redirect(_safe_next(request.form.get("next")))
