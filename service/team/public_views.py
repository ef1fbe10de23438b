"""Wachtwoord vergeten: asking for a reset link, and choosing a new password through it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from service.auth.access import public
from service.auth.passwords import PasswordRefused
from service.database import get_session
from service.extensions import limiter
from service.filters import page_locale
from service.settings import current_settings
from service.team import password_reset
from service.team.forms import ForgotForm, ResetForm

bp = Blueprint("password", __name__, url_prefix="/password")


def _forgot_limit() -> str:
    return current_settings().LOGIN_RATE_LIMIT


@bp.route("/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_forgot_limit, methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        db = get_session()
        # The same answer whether the address is known or not: the page tells nobody who has
        # an account. A malformed address simply matches no one.
        password_reset.request_reset(db, form.email.data)
        db.commit()
        return redirect(url_for("password.sent"))
    return render_template("auth/forgot.html", form=form)


@bp.get("/forgot/sent")
@public
def sent():
    return render_template("auth/forgot_sent.html")


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str):
    db = get_session()
    user = password_reset.open_reset(db, token, secret_key=current_settings().SECRET_KEY)
    if user is None:
        return render_template("auth/reset_closed.html"), 410
    form = ResetForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(db, user, form.password.data)
        except PasswordRefused as refused:
            db.rollback()
            form.password.errors.append(refused.message(page_locale()))
        else:
            db.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password is changed. Sign in with your new password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)
