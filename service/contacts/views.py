"""Contacts: list, search, edit, import and export."""

from flask import Blueprint, render_template

from service.auth.access import require_login

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
require_login(bp)


@bp.get("/")
def index():
    return render_template("contacts/list.html")
