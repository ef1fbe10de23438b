"""Who may call the API: a bearer token, never the organiser app's cookie.

Every call under /api/v1 (except the OpenAPI document, which holds no data) needs the header
`Authorization: Bearer <token>`, with a token made by `opgavepost tokens create EMAIL`.

- Missing or malformed header: 401 with `WWW-Authenticate: Bearer realm="opgavepost"`.
- Unknown or revoked token, or the organiser is no longer active: 401 with
  `error="invalid_token"` in the `WWW-Authenticate` header (RFC 6750).
- Roles: an organiser and an admin may both read, create and change contacts and meetings, and
  import contacts from CSV. Deleting a contact removes a person and their consent record for
  good, so it needs an admin, in the API as in the web app (service/contacts/deletion.py); an
  organiser gets 403.

The login cookie of the organiser app is ignored here on purpose: a cookie is sent by the browser
on its own, so if it counted, every write of the API would need CSRF protection again. The API is
therefore exempt from CSRF, and only the explicit header authenticates.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from service.api.errors import fail
from service.auth.users import user_for_token
from service.database import get_session
from service.models import User

REALM = "opgavepost"


def authenticate_request() -> None:
    """Find the organiser behind this request's bearer token, or answer 401 (a before_request)."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        fail(
            401,
            _(
                "This API needs a token: send the header 'Authorization: Bearer <token>'. "
                "An admin makes one with 'opgavepost tokens create EMAIL'."
            ),
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    session = get_session()
    user = user_for_token(session, token)
    if user is None:
        fail(
            401,
            _("This token is unknown or has been revoked. Ask an admin for a new token."),
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="invalid_token", '
                    'error_description="unknown or revoked token"'
                )
            },
        )
    # Store last_used_at now, so it counts even when the call itself fails later on.
    session.commit()
    g.api_user = user
    # Kept apart from the user, so an error page can be written without asking the database,
    # even when the request's transaction has failed.
    g.api_language = user.language


def api_user() -> User:
    """The organiser this API request acts for (set by authenticate_request)."""
    return g.api_user
