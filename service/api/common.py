"""What every API blueprint shares: token auth, JSON bodies, JSON errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest, HTTPException

from service.api.auth import authenticate_request, check_role
from service.api.errors import fail, handle_http_exception, invalid_json_message

PREFIX = "/api/v1"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})

View = TypeVar("View", bound=Callable)


def api_blueprint(name: str, path: str, description: str) -> Blueprint:
    """A blueprint under /api/v1 whose views need a token and answer errors as JSON."""
    bp = Blueprint(name, __name__, url_prefix=f"{PREFIX}{path}", description=description)
    bp.before_request(authenticate_request)
    bp.before_request(check_role)
    bp.before_request(_require_json_object)
    bp.register_error_handler(HTTPException, handle_http_exception)
    return bp


def link(method: str, path: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to the operation `method path` (path under /api/v1), with its parameters.

    Parameters are runtime expressions, e.g. contact_id="$response.body#/id": a client (or a
    test that follows links) takes the id of what it just made into the next call.
    """
    pointer = f"{PREFIX}{path}".replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}", "parameters": parameters}


def answer_links(status: int, **links: dict[str, Any]) -> dict[str, Any]:
    """The `bp.doc` arguments that add these links to the answer with this status."""
    return {"responses": {status: {"links": links}}}


def takes_upload(view: View) -> View:
    """Mark a view that reads a multipart upload instead of a JSON body."""
    # In the function's __dict__, which functools.wraps copies onto flask-smorest's wrappers.
    view.__dict__["takes_upload"] = True
    return view


def body_optional(view: View) -> View:
    """Mark a view whose JSON body may be left out altogether (a POST that only acts)."""
    view.__dict__["body_optional"] = True
    return view


def reads_body(view: View) -> View:
    """Mark a view that reads a JSON body although its method (DELETE) usually has none."""
    view.__dict__["reads_body"] = True
    return view


def _require_json_object() -> None:
    # One clear 400 for every write that is not a JSON object, instead of marshmallow's
    # "Missing data for required field" on each field of a body it could not read.
    if request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if request.method not in WRITE_METHODS and not getattr(view, "reads_body", False):
        return
    if getattr(view, "takes_upload", False):
        return
    if getattr(view, "body_optional", False) and not request.get_data(cache=True):
        return
    if not request.is_json:
        fail(400, _("Send the data as JSON, with the header 'Content-Type: application/json'."))
    try:
        body = request.get_json()
    except BadRequest:
        fail(400, invalid_json_message())
    if not isinstance(body, dict):
        fail(400, _('The body must be a JSON object, such as {"email": "…"}.'))
