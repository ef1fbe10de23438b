"""Meetings: list, create and edit."""

from flask import Blueprint, render_template

from service.auth.access import require_login

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
require_login(bp)


@bp.get("/")
def index():
    return render_template("meetings/list.html")
