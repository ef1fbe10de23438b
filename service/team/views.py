"""Beheer → Organisatoren: the team's accounts, invitations, roles; and accepting an invitation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from service.auth.access import allow, public
from service.auth.accounts import LastAdminError, deactivate, reactivate, set_role
from service.auth.passwords import PasswordRefused
from service.auth.two_factor import reset_two_factor
from service.auth.users import AccountError
from service.database import get_session
from service.filters import page_locale
from service.models import AccountInvitation, Role, User, utcnow
from service.settings import current_settings
from service.team import invitations
from service.team.forms import AcceptForm, InviteForm, RoleForm
from service.text import ForbiddenCharacters

bp = Blueprint("team", __name__, url_prefix="/team")


def _team_page(invite_form: InviteForm | None = None, status: int = 200):
    db = get_session()
    users = db.scalars(select(User).order_by(User.active.desc(), User.name, User.email)).all()
    pending = invitations.pending_invitations(db)
    inviters = {u.id: u for u in users}
    return (
        render_template(
            "team/index.html",
            users=users,
            pending=pending,
            inviters=inviters,
            invite_form=invite_form or InviteForm(language=current_settings().default_language),
            role_form=RoleForm,
        ),
        status,
    )


@bp.get("/")
@allow(Role.ADMIN)
def index():
    return _team_page()


@bp.post("/invite")
@allow(Role.ADMIN)
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _team_page(form, 400)
    db = get_session()
    try:
        invitation = invitations.invite(
            db, current_user, form.email.data, Role(form.role.data), language=form.language.data
        )
    except (AccountError, ValueError):
        db.rollback()
        form.email.errors.append(
            _("This address cannot be invited: it is not valid or has an account already.")
        )
        return _team_page(form, 400)
    db.commit()
    flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("team.index"))


@bp.post("/invitations/<int:invitation_id>/withdraw")
@allow(Role.ADMIN)
def withdraw(invitation_id: int):
    db = get_session()
    invitation = db.get(AccountInvitation, invitation_id) or abort(404)
    invitations.withdraw(db, current_user, invitation)
    db.commit()
    flash(_("The invitation to %(email)s is withdrawn.", email=invitation.email), "success")
    return redirect(url_for("team.index"))


def _account(user_id: int) -> User:
    return get_session().get(User, user_id) or abort(404)


def _last_admin() -> None:
    get_session().rollback()
    flash(_("The last active admin cannot be removed or demoted."), "error")


@bp.post("/<int:user_id>/role")
@allow(Role.ADMIN)
def change_role(user_id: int):
    user = _account(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        set_role(db, current_user, user, Role(form.role.data))
    except LastAdminError:
        _last_admin()
        return redirect(url_for("team.index"))
    db.commit()
    flash(_("The role of %(email)s is changed.", email=user.email), "success")
    return redirect(url_for("team.index"))


@bp.post("/<int:user_id>/deactivate")
@allow(Role.ADMIN)
def deactivate_account(user_id: int):
    user = _account(user_id)
    db = get_session()
    try:
        deactivate(db, current_user, user)
    except LastAdminError:
        _last_admin()
        return redirect(url_for("team.index"))
    db.commit()
    flash(_("%(email)s is deactivated.", email=user.email), "success")
    return redirect(url_for("team.index"))


@bp.post("/<int:user_id>/reactivate")
@allow(Role.ADMIN)
def reactivate_account(user_id: int):
    user = _account(user_id)
    db = get_session()
    reactivate(db, current_user, user)
    db.commit()
    flash(_("%(email)s can sign in again.", email=user.email), "success")
    return redirect(url_for("team.index"))


@bp.post("/<int:user_id>/reset-2fa")
@allow(Role.ADMIN)
def reset_second_factor(user_id: int):
    """Clear a colleague's lost second factor (audited); they set it up again after signing in."""
    user = _account(user_id)
    db = get_session()
    reset_two_factor(db, current_user, user)
    db.commit()
    flash(
        _(
            "Two-factor sign-in of %(email)s is reset: they sign in with their password and "
            "set it up again.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("team.index"))


# --- accepting an invitation (no login: the signed link is the key) --------------------------


def _closed_page(reason: invitations.Closed):
    messages = {
        invitations.Closed.INVALID: _(
            "This invitation link is not valid. Copy the whole link from the mail, or ask the "
            "admin who invited you for a new invitation."
        ),
        invitations.Closed.EXPIRED: _(
            "This invitation has expired: the link works for 72 hours. Ask the admin who "
            "invited you for a new invitation."
        ),
        invitations.Closed.USED: _(
            "This invitation has been accepted already. Sign in with the password you chose."
        ),
        invitations.Closed.WITHDRAWN: _(
            "This invitation has been withdrawn. Ask an admin of the team if you should have "
            "an account."
        ),
    }
    return render_template("team/invitation_closed.html", message=messages[reason]), 410


@bp.route("/accept/<token>", methods=["GET", "POST"])
@public
def accept(token: str):
    if current_user.is_authenticated:
        flash(_("You are signed in already; sign out to accept an invitation."), "info")
        return redirect(url_for("dashboard.index"))
    db = get_session()
    try:
        invitation = invitations.open_invitation(
            db, token, secret_key=current_settings().SECRET_KEY
        )
    except invitations.InvitationClosed as closed:
        return _closed_page(closed.reason)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(
                db,
                invitation,
                name=form.name.data,
                password=form.password.data,
                language=page_locale(),
                now=utcnow(),
            )
        except PasswordRefused as refused:
            db.rollback()
            form.password.errors.append(refused.message(page_locale()))
        except ForbiddenCharacters:
            db.rollback()
            form.name.errors.append(_("The name holds characters that cannot be stored."))
        except AccountError:
            db.rollback()
            return _closed_page(invitations.Closed.USED)
        else:
            db.commit()
            login_user(user)
            flash(_("Welcome to the team, %(name)s.", name=user.name), "success")
            return redirect(url_for("dashboard.index"))
    return render_template(
        "team/accept.html", form=form, invitation=invitation, action=request.path
    )
