"""`GET /healthz` for load balancers: does the app answer, and does its database."""

from flask import Blueprint, jsonify

from service.auth.access import public
from service.database import database_answers, get_engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers)."""
    if database_answers(get_engine()):
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unreachable"), 503
