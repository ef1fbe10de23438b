"""Who may call the API: a bearer token, never the organiser app's cookie.

Every call under /api/v1 (except the OpenAPI document, which holds no data) needs the header
`Authorization: Bearer <token>`, with a token made by `opgavepost tokens create EMAIL`.

- Missing or malformed header: 401 with `WWW-Authenticate: Bearer realm="opgavepost"`.
- Unknown or revoked token, or the organiser is no longer active: 401 with
  `error="invalid_token"` in the `WWW-Authenticate` header (RFC 6750).
- Roles (service/auth/roles.py, the same as in the web app): a token acts with its owner's
  role. Every operation states its least role with `allow(Role.X)` (below its route decorators);
  it is written into the OpenAPI document as "Role: ..." in the description and as `x-role`.
  Viewer tokens read (GET) only; organisers create and change contacts, meetings and campaigns,
  import and send; deleting a contact and lifting a blocked address need an admin. Below the
  role: 403, checked right after the token and before the body is read; the operation may give
  a message of its own that says more precisely why (deleting a contact, lifting a block).

The login cookie of the organiser app is ignored here on purpose: a cookie is sent by the browser
on its own, so if it counted, every write of the API would need CSRF protection again. The API is
therefore exempt from CSRF, and only the explicit header authenticates.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from service.api.errors import fail
from service.auth.access import CHANGES_ROLE, REQUIRED_ROLE, role_name
from service.auth.roles import may
from service.auth.users import user_for_token
from service.database import get_session
from service.models import Role, User

View = TypeVar("View", bound=Callable)
REFUSAL = "role_refusal"

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
    # Store last_used_at now (when it changed), so it counts even when the call fails later on.
    if session.dirty:
        session.commit()
    g.api_user = user
    # Kept apart from the user, so an error page can be written without asking the database,
    # even when the request's transaction has failed.
    g.api_language = user.language


def api_user() -> User:
    """The organiser this API request acts for (set by authenticate_request)."""
    return g.api_user


def allow(role: Role, refusal: Callable[[], str] | None = None) -> Callable[[View], View]:
    """State the least role of an API operation (put it right above the `def`).

    `refusal`: the message of the 403, when the operation can say more than the role it needs.

    The role is kept on the view (copied by functools.wraps onto flask-smorest's wrappers) for
    check_role, and written into the operation's OpenAPI description and `x-role`.
    """

    def decorate(view: View) -> View:
        view.__dict__[REQUIRED_ROLE] = role
        view.__dict__[CHANGES_ROLE] = role
        view.__dict__[REFUSAL] = refusal
        summary = inspect.cleandoc(view.__doc__ or "")
        view.__doc__ = f"{summary}\n\nRole: {role.value} or higher (viewer < organiser < admin)."
        return Blueprint.doc(**{"x-role": role.value})(view)

    return decorate


def check_role() -> None:
    """Refuse with 403 an operation that needs a higher role than the token's owner has.

    An operation without a stated role counts as admin-only, so a forgotten mark refuses too
    much rather than too little (and tests/test_roles.py fails).
    """
    view = current_app.view_functions.get(request.endpoint or "")
    needed = getattr(view, REQUIRED_ROLE, Role.ADMIN) or Role.ADMIN
    user = api_user()
    if not may(user.role, needed):
        refusal = getattr(view, REFUSAL, None)
        fail(
            403,
            refusal()
            if refusal is not None
            else _(
                "This token acts for an account with the role %(role)s, which may not do "
                "this: it needs the role %(needed)s.",
                role=role_name(user.role),
                needed=role_name(needed),
            ),
        )
