"""Two-factor sign-in pages: set it up, turn it off, new recovery codes, and the second step.

The rules live in service/auth/two_factor.py; these views parse, call them and render.
After a correct password, an account with a second factor is not logged in yet: the session
holds only "password checked for account X at time T" (PENDING) until /login/two-factor has
seen a code. A key being set up stays in the signed session (SETUP_KEY) until the first code
confirms it; only then is it stored.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from werkzeug.security import check_password_hash

from service.auth import two_factor
from service.auth.access import REQUIRED_ROLE, allow, public
from service.auth.forms import (
    RecoveryCodesForm,
    TwoFactorConfirmForm,
    TwoFactorLoginForm,
    TwoFactorSetupForm,
)
from service.auth.views import PENDING_SECOND_STEP as PENDING
from service.auth.views import _safe_next
from service.database import get_session
from service.extensions import limiter
from service.models import Role, User, record_audit, utcnow
from service.settings import current_settings

bp = Blueprint("two_factor", __name__)

# The key shown on the set-up page, {"user": id, "key": base32}, until a code confirms it.
SETUP_KEY = "two_factor_setup_key"
# How long the second step waits for its code after the password was checked.
PENDING_SECONDS = 300
# What an account without a second factor may still open when REQUIRE_2FA is on.
OPEN_WITHOUT_SECOND_FACTOR = frozenset(
    {
        "two_factor.setup",
        "two_factor.login_step",
        "auth.login",
        "auth.logout",
        "auth.set_language",
        "static",
        "media.serve",
        "health.healthz",
    }
)
_UNMARKED = object()


def _pending_user() -> User | None:
    """The account whose password was checked in this session, if recent and still good."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    at = pending.get("at")
    if not isinstance(at, int) or not 0 <= time.time() - at <= PENDING_SECONDS:
        return None
    user_id, _sep, version = str(pending.get("user", "")).partition("-")
    if not (user_id.isdecimal() and version.isdecimal()):
        return None
    user = get_session().get(User, int(user_id))
    if (
        user is None
        or not user.active
        or user.session_version != int(version)
        or not two_factor.is_enabled(user)
    ):
        return None
    return user


def _account_key() -> str:
    """The rate-limit key of the second step: the account, whichever address it comes from."""
    pending = session.get(PENDING)
    if isinstance(pending, dict) and pending.get("user"):
        return f"two-factor:{str(pending['user']).partition('-')[0]}"
    if current_user.is_authenticated:
        return f"two-factor:{current_user.id}"
    return f"two-factor-address:{get_remote_address()}"


def _login_limit() -> str:
    return current_settings().LOGIN_RATE_LIMIT


def _next_path() -> str | None:
    return request.args.get("next")


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public  # the password was checked; this page checks the pending mark in the session itself
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"])
def login_step():
    if current_user.is_authenticated:
        return redirect(_safe_next(_next_path()))
    db = get_session()
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Log in with your email address and password first."), "info")
        return redirect(url_for("auth.login", next=_next_path()))
    form = TwoFactorLoginForm()
    if form.validate_on_submit():
        code = form.code.data or ""
        if two_factor.verify_second_factor(db, user, code):
            session.pop(PENDING, None)
            user.last_login_at = utcnow()
            login_user(user)
            record_audit(db, user, "login")
            left = two_factor.unused_recovery_codes(db, user)
            db.commit()
            if not two_factor.looks_like_app_code(code):
                flash(
                    _(
                        "You signed in with a recovery code; it cannot be used again. "
                        "%(count)d recovery codes are left.",
                        count=left,
                    ),
                    "info",
                )
            return redirect(_safe_next(_next_path()))
        db.rollback()
        form.code.errors = [_("This code is not correct, or it was used already.")]
    return render_template("two_factor/login_step.html", form=form)


@bp.route("/account/two-factor")
@allow(Role.VIEWER)
def index():
    db = get_session()
    user = current_user._get_current_object()
    left = two_factor.unused_recovery_codes(db, user) if two_factor.is_enabled(user) else 0
    return render_template(
        "two_factor/index.html", enabled=two_factor.is_enabled(user), codes_left=left
    )


def _setup_key(user: User) -> str:
    """The key being set up by `user` in this browser; a new one for another account."""
    kept = session.get(SETUP_KEY)
    if isinstance(kept, dict) and kept.get("user") == user.id:
        key = kept.get("key")
        if isinstance(key, str) and _is_base32(key):
            return key
    key = two_factor.new_secret()
    session[SETUP_KEY] = {"user": user.id, "key": key}
    return key


def _is_base32(key: str) -> bool:
    try:
        return len(base64.b32decode(key, casefold=False)) >= 16
    except (binascii.Error, ValueError):
        return False


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@allow(Role.VIEWER)
def setup():
    user = current_user._get_current_object()
    if two_factor.is_enabled(user):
        flash(_("Two-factor sign-in is on already."), "info")
        return redirect(url_for("two_factor.index"))
    key = _setup_key(user)
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            codes = two_factor.enable(db, user, key, form.code.data or "")
        except two_factor.TwoFactorError:
            db.rollback()
            form.code.errors = [
                _("This code does not match the key. Check the time on your phone and try again.")
            ]
        else:
            db.commit()
            session.pop(SETUP_KEY, None)
            return render_template(
                "two_factor/recovery_codes.html",
                codes=codes,
                first_time=True,
                next=_safe_next(_next_path()),
            )
    uri = two_factor.provisioning_uri(key, user.email, current_settings().NETWORK_NAME)
    return render_template(
        "two_factor/setup.html",
        form=form,
        qr=two_factor.qr_svg(uri, _("QR code with the key for your authenticator app")),
        key_groups=two_factor.grouped_secret(key),
        required=current_settings().REQUIRE_2FA,
    )


@bp.route("/account/two-factor/disable", methods=["GET", "POST"])
@allow(Role.VIEWER)
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"])
def disable():
    user = current_user._get_current_object()
    if not two_factor.is_enabled(user):
        return redirect(url_for("two_factor.index"))
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        db = get_session()
        # The password first: a wrong one must not use up the code.
        if check_password_hash(
            user.password_hash, form.password.data or ""
        ) and two_factor.verify_second_factor(db, user, form.code.data or ""):
            two_factor.disable(db, user)
            db.commit()
            flash(_("Two-factor sign-in is off. You sign in with your password alone."), "success")
            return redirect(url_for("two_factor.index"))
        db.rollback()
        flash(_("The password or the code is not correct."), "error")
    return render_template(
        "two_factor/disable.html", form=form, required=current_settings().REQUIRE_2FA
    )


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@allow(Role.VIEWER)
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"])
def recovery_codes():
    db = get_session()
    user = current_user._get_current_object()
    if not two_factor.is_enabled(user):
        return redirect(url_for("two_factor.index"))
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        if two_factor.verify_code(db, user, form.code.data or ""):
            codes = two_factor.regenerate_recovery_codes(db, user)
            db.commit()
            return render_template(
                "two_factor/recovery_codes.html",
                codes=codes,
                first_time=False,
                next=url_for("two_factor.index"),
            )
        db.rollback()
        form.code.errors = [_("This code is not correct, or it was used already.")]
    return render_template(
        "two_factor/new_codes.html",
        form=form,
        codes_left=two_factor.unused_recovery_codes(db, user),
    )


@bp.before_app_request
def require_second_factor() -> Any:
    """With REQUIRE_2FA, an account without a second factor can only set it up (or log out)."""
    if not current_settings().REQUIRE_2FA:
        return None
    endpoint = request.endpoint
    if endpoint is None or endpoint in OPEN_WITHOUT_SECOND_FACTOR:
        return None
    if request.path.startswith("/api/"):
        return None  # the API authenticates by token, not by this session
    view = current_app.view_functions.get(endpoint)
    if view is None or getattr(view, REQUIRED_ROLE, _UNMARKED) is None:
        return None  # a public page (answer, unsubscribe, web version) needs no login at all
    if not current_user.is_authenticated or two_factor.is_enabled(current_user):
        return None
    # Back to the page asked for once it is set up; a form posted meanwhile is not repeated.
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("two_factor.setup", next=target if request.method == "GET" else None))
