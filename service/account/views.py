"""Mijn account: one's own name, language and password, and the way to two-factor and tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from service.account.forms import PasswordChangeForm, ProfileForm
from service.auth.access import allow
from service.auth.passwords import PasswordRefused
from service.auth.users import WrongPassword, change_password, update_profile
from service.database import get_session
from service.filters import page_locale
from service.models import Role

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(profile: ProfileForm | None = None, password: PasswordChangeForm | None = None):
    status = 400 if (profile and profile.errors) or (password and password.errors) else 200
    profile = profile or ProfileForm(name=current_user.name, language=current_user.language)
    return (
        render_template(
            "account/index.html",
            profile_form=profile,
            password_form=password or PasswordChangeForm(),
        ),
        status,
    )


@bp.get("/")
@allow(Role.VIEWER)
def index():
    return _page()


@bp.post("/")
@allow(Role.VIEWER)
def profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(profile=form)
    db = get_session()
    user = current_user._get_current_object()
    update_profile(db, user, name=form.name.data, language=form.language.data)
    db.commit()
    # The pages follow the account's language from now on.
    session["lang"] = user.language
    flash(_("Your details are saved."), "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
@allow(Role.VIEWER)
def password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(password=form)
    db = get_session()
    user = current_user._get_current_object()
    try:
        change_password(db, user, form.current.data, form.password.data)
    except WrongPassword:
        db.rollback()
        form.current.errors.append(_("This is not your current password."))
        return _page(password=form)
    except PasswordRefused as refused:
        db.rollback()
        form.password.errors.append(refused.message(page_locale()))
        return _page(password=form)
    db.commit()
    # The new session version ends every other session; this one is signed in again with it.
    login_user(user)
    flash(_("Your password is changed. Your other sessions have ended."), "success")
    return redirect(url_for("account.index"))
