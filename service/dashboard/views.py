"""The organiser's overview page."""

from flask import Blueprint, render_template

from service.auth.access import require_login

bp = Blueprint("dashboard", __name__)
require_login(bp)


@bp.get("/")
def index():
    return render_template("dashboard/index.html")
