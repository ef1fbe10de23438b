"""Errors of the API as JSON: `{"code", "status", "message"}`, plus `errors` per field for 422.

The shape is the one of `service.errors.error_response`, which also answers the API's paths that
match no route (404, 405). This handler sits on the API blueprints only, so the organiser app
keeps its HTML error pages; it adds what the app-wide handler does not know about: the field
errors of a rejected body and the headers of a 401.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

from flask import jsonify
from flask_babel import gettext as _
from flask_smorest import abort
from werkzeug.exceptions import HTTPException

from service.errors import error_response, passed_on_headers

# Where marshmallow puts errors that belong to the body as a whole rather than to one field.
BODY = "_schema"


def fail(code: int, message: str, **extra: Any) -> NoReturn:
    """Stop the request with an API error: a message, and `errors={field: [...]}` or `headers`."""
    abort(code, message=message, **extra)
    # flask_smorest has no types, so the checker cannot see that its abort always raises.
    raise AssertionError("flask_smorest.abort returned")


def invalid_json_message() -> str:
    """The message for a body that is not JSON at all."""
    return _("The body is not valid JSON. Send a JSON object encoded as UTF-8.")


def flatten_field_errors(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field errors keyed by field name, whatever part of the request (json, query, files) held it.

    webargs nests them by location ({"json": {"email": [...]}}); clients only need the field.
    """
    flat: dict[str, list[str]] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, Mapping):
            for name, problems in location_errors.items():
                flat.setdefault(str(name), []).extend(_as_list(problems))
        else:
            flat.setdefault(BODY, []).extend(_as_list(location_errors))
    return flat


def _as_list(problems: Any) -> list[str]:
    if isinstance(problems, list | tuple):
        return [p if isinstance(p, str) else json.dumps(p) for p in problems]
    if isinstance(problems, Mapping):
        # A nested field (e.g. one tag of a list) reports {index: [...]}: keep it readable.
        return [f"{key}: {'; '.join(_as_list(value))}" for key, value in problems.items()]
    return [str(problems)]


def handle_http_exception(exc: HTTPException):
    """Answer an error raised inside an API view as JSON, with field errors and headers if any."""
    code = exc.code or 500
    data: dict[str, Any] = getattr(exc, "data", None) or {}
    message = data.get("message")
    if message is None and isinstance(data.get("exc"), json.JSONDecodeError | UnicodeDecodeError):
        message = invalid_json_message()
    if message is None and exc.description != type(exc).description:
        message = exc.description
    errors = data.get("errors")
    if errors is None and "messages" in data:
        errors = flatten_field_errors(data["messages"])
        if code == 400:
            # webargs's own English text for a broken body is replaced by the message above.
            errors = None
    response, status = error_response(code, message)
    if errors:
        payload = response.get_json()
        payload["errors"] = errors
        response = jsonify(payload)
    response.headers.extend(passed_on_headers(exc))
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response, status
