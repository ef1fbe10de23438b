"""Error pages: HTML for people, JSON for the API, always in the reader's language."""

from __future__ import annotations

import math
import time
from datetime import timedelta

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import force_locale, format_timedelta, get_locale, ngettext
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from limits import RateLimitItem
from werkzeug.exceptions import HTTPException

from service.extensions import limiter
from service.settings import current_settings


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Check what you entered and try again."),
        401: _("You need to log in for this."),
        403: _("You do not have permission to do this."),
        404: _("This page does not exist (any more)."),
        405: _("This action is not possible here."),
        409: _("This conflicts with something that is already stored."),
        413: _(
            "The upload is too large: at most %(mb)s MB is accepted. Split the file and try again.",
            mb=_max_upload_mb(),
        ),
        422: _("The data could not be processed. Check what you entered."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing was changed; please try again later."),
    }


def _max_upload_mb() -> int:
    return current_settings().MAX_UPLOAD_MB


def wants_json() -> bool:
    """Whether the client of this request is the API rather than a person with a browser."""
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None):
    """An error answer in the form the client expects, with a message in its language."""
    message = message or _messages().get(code, _messages()[400])
    if wants_json():
        return jsonify(code=code, status=_status_name(code), message=message), code
    return render_template("errors/error.html", code=code, message=message), code


def passed_on_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """The headers an HTTP error carries besides its body's type: `Allow` on a 405, and so on."""
    return [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]


def _status_name(code: int) -> str:
    from werkzeug.http import HTTP_STATUS_CODES

    return HTTP_STATUS_CODES.get(code, "Error")


def init_app(app: Flask) -> None:
    """Install the handlers for every HTTP error and for a missing or stale CSRF token."""

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError):
        return error_response(
            400,
            _(
                "This form has expired or was not sent completely, so nothing was saved. "
                "Go back, reload the page and send it again."
            ),
        )

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded):
        # The limit in the reader's words ("5 keer per uur"), not the setting ("5 per 1 hour");
        # when to try again in words and in Retry-After, for people and clients alike.
        wait = _seconds_until_reset(exc.limit.limit)
        with force_locale(_reader_locale()):
            message = _(
                "Too many attempts: at most %(limit)s. Try again %(when)s.",
                limit=limit_in_words(exc.limit.limit),
                when=format_timedelta(timedelta(seconds=wait), threshold=1, add_direction=True),
            )
            response = make_response(error_response(429, message))
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        # A description we wrote ourselves (abort(404, "...")) is more useful than the generic one.
        custom = exc.description if exc.description != type(exc).description else None
        response, status = error_response(code, custom)
        response = make_response(response)
        response.headers.extend(passed_on_headers(exc))
        return response, status


def limit_in_words(item: RateLimitItem) -> str:
    """A rate limit as a reader says it: "5 keer per uur", "10 times per minute"."""
    units = {
        "second": _("second"),
        "minute": _("minute"),
        "hour": _("hour"),
        "day": _("day"),
        "month": _("month"),
        "year": _("year"),
    }
    name = item.GRANULARITY.name
    if item.multiples == 1 and name in units:
        period = units[name]
    else:
        # "5 per 2 hours": the window as a duration ("2 uur", "2 hours").
        period = format_timedelta(timedelta(seconds=item.get_expiry()), threshold=1)
    return ngettext(
        "%(num)s time per %(period)s", "%(num)s times per %(period)s", item.amount, period=period
    )


def _seconds_until_reset(item: RateLimitItem) -> int:
    breached = limiter.current_limit
    if breached is None:
        return item.get_expiry()
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def _reader_locale() -> str:
    # Organisers and API clients have their language already; a visitor of a public form reads
    # the language that form was shown in.
    if wants_json() or current_user.is_authenticated:
        return str(get_locale())
    from service.languages import reader_language

    return reader_language(None)
