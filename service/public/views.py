"""Pages without login: the health check (and later the recipients' pages)."""

from flask import Blueprint, jsonify

from service.database import database_answers, get_engine

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers)."""
    if database_answers(get_engine()):
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unreachable"), 503
