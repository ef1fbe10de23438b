"""/api/v1/suppressions: the suppression list, searched, and an address lifted off it (admins).

Thin views over `service.contacts.suppressions`, the same rules as the organiser pages
(Contacten → Geblokkeerd): anyone with a token reads the list; lifting needs an admin and a
reason, which the audit log keeps, and a complaint comes off only with `person_asked: true`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from service.api.auth import allow, api_user
from service.api.common import api_blueprint, reads_body
from service.api.errors import fail
from service.api.schemas import (
    SuppressionLiftSchema,
    SuppressionPageSchema,
    SuppressionQuerySchema,
)
from service.contacts import suppressions
from service.database import get_session
from service.models import Role

bp = api_blueprint(
    "api_suppressions",
    "/suppressions",
    "The suppression list: addresses no campaign or other mail is sent to.",
)


def _lift_refused() -> str:
    # Asked by the role check before the body is read and the address looked up: an organiser
    # learns nothing more.
    try:
        suppressions.check_may_lift(api_user())
    except suppressions.LiftRefused as exc:
        return exc.message.render(_)
    return ""


@bp.route("", methods=["GET"])
@bp.arguments(SuppressionQuerySchema, location="query")
@bp.response(200, SuppressionPageSchema)
@allow(Role.VIEWER)
def list_suppressions(args: dict[str, Any]):
    """Search the suppression list

    Newest first; `q` narrows it to addresses holding that text (case ignored). A page past the
    end answers the last page.
    """
    result = suppressions.search_suppressions(
        get_session(),
        q=args.get("q"),
        page=args["page"],
        per_page=min(args["per_page"], suppressions.MAX_PER_PAGE),
    )
    return {
        "items": [row.entry for row in result.items],
        "pagination": {
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "pages": result.pages,
        },
    }


@bp.route(
    "/<address>",
    methods=["DELETE"],
    parameters=[
        {
            "in": "path",
            "name": "address",
            "description": "The blocked email address (case ignored), e.g. anna@example.org.",
        }
    ],
)
@reads_body
@bp.arguments(SuppressionLiftSchema)
@bp.response(204)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.ADMIN, refusal=_lift_refused)
def lift_suppression(body: dict[str, Any], address: str):
    """Lift an address off the suppression list (admins only)

    Mail goes to the address again. `reason` is required and kept in the audit log with what
    was lifted. An address whose owner complained is lifted only with `person_asked: true`,
    confirming that the person asked for it; without it the answer is 422 naming
    `person_asked`. 404 when the address is not on the list (case ignored).
    """
    session = get_session()
    entry = suppressions.suppression_of(session, address)
    if entry is None:
        fail(404, _("%(email)s is not on the suppression list.", email=address))
    try:
        suppressions.lift_suppression(
            session,
            entry,
            actor=api_user(),
            reason=body["reason"],
            person_asked=body["person_asked"],
        )
    except suppressions.LiftRefused as exc:
        session.rollback()
        fail(
            422,
            _("The address was not lifted. Check the fields named in 'errors'."),
            errors={name or "reason": [m.render(_)] for name, m in exc.problems.items()},
        )
    session.commit()
    return ""
