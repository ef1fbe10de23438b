"""API tokens: each person makes and revokes their own (/account/tokens); admins see all (/tokens/).

A new token is shown once, in the answer to the form that made it, and never again: it is not
put in the session or in a flash message (the session cookie is signed, not encrypted).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from service.auth import tokens
from service.auth.access import allow, require_login
from service.database import get_session
from service.forms import token_refused
from service.models import ApiToken, Role
from service.tokens.forms import RevokeForm, TokenForm

bp = Blueprint("tokens", __name__)
require_login(bp)


@bp.route("/account/tokens", methods=["GET", "POST"])
@allow(Role.VIEWER)
def mine():
    """The signed-in person's own tokens, and the form that makes a new one."""
    db = get_session()
    form = TokenForm()
    status = 200
    new_token = None
    if form.is_submitted():
        if form.validate():
            _stored, new_token = tokens.create_token(
                db, current_user, current_user, form.name.data or ""
            )
            db.commit()
            form = TokenForm(formdata=None)
            status = 201
        else:
            status = 400 if token_refused(form) else 422
    response = make_response(
        render_template(
            "tokens/mine.html",
            form=form,
            tokens=tokens.list_tokens(db, current_user),
            new_token=new_token,
        ),
        status,
    )
    # The page with a new token on it must not stay in a cache or the browser's history store.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@allow(Role.VIEWER)
def revoke_mine(token_id: int):
    """Revoke one of one's own tokens, after a confirmation."""
    return _revoke(token_id, back="tokens.mine")


@bp.get("/tokens/")
@allow(Role.ADMIN)
def index():
    """Everyone's tokens with their owners, for admins."""
    return render_template("tokens/index.html", tokens=tokens.list_tokens(get_session()))


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@allow(Role.ADMIN)
def revoke(token_id: int):
    """An admin revokes anyone's token, after a confirmation."""
    return _revoke(token_id, back="tokens.index")


def _revoke(token_id: int, back: str):
    db = get_session()
    token = tokens.get_token(db, token_id)
    if token is None:
        abort(404, _("This API token does not exist."))
    if not tokens.may_manage(current_user, token):
        abort(403, _("Only its owner or an admin may revoke this API token."))
    form = RevokeForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            tokens.revoke_token(db, current_user, token)
            db.commit()
            flash(
                _("The API token %(name)s is revoked: it no longer works.", name=_label(token)),
                "success",
            )
            return redirect(url_for(back))
        status = 400
    return render_template("tokens/revoke.html", form=form, token=token, back=back), status


def _label(token: ApiToken) -> str:
    return token.name or token.prefix
