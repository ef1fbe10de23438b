"""The JSON API under /api/v1, with its OpenAPI document generated from the code.

The document is served at /api/v1/openapi.json without a token: it describes the API and holds no
data. There is no Swagger UI, since its scripts would come from a CDN the service cannot reach.
See `service.api.auth` for tokens and roles, `service.api.errors` for the error shape.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask
from flask_smorest import Api

from service.api.common import PREFIX
from service.auth.access import public
from service.extensions import csrf

SECURITY_SCHEME = "bearerAuth"

API_SETTINGS = {
    "API_TITLE": "Opgavepost API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "security": [{SECURITY_SCHEME: []}],
        "info": {
            "description": (
                "Contacts and meetings of the network. Every call needs the header "
                "'Authorization: Bearer <token>'; an admin makes a token with "
                "'opgavepost tokens create EMAIL'. Errors are JSON objects with code, status and "
                "message, and for 422 an 'errors' object with a list of problems per field. "
                "Text: a string field is one line (runs of spaces, tabs and line breaks are "
                "stored as one space, trimmed) unless its description says several lines are "
                "allowed; control characters (U+0000 to U+001F except tab, LF and CR, U+007F to "
                "U+009F) and lone surrogates are refused with 422 in every field."
            )
        },
    },
}


class _ApiWithoutAppWideErrors(Api):
    """flask-smorest's Api, minus its app-wide error handler.

    Api.init_app would answer every HTTP error of the whole app as JSON, the organiser app's HTML
    pages included. The API blueprints carry their own JSON handler instead (see api_blueprint),
    and service.errors answers the rest: HTML for pages, JSON for unmatched /api/ paths.
    """

    def _register_error_handlers(self) -> None:
        return None


def init_app(app: Flask) -> None:
    """Register the API blueprints and their OpenAPI document."""
    from service.api.campaign_schemas import CampaignSchema
    from service.api.campaigns import bp as campaigns_bp
    from service.api.contacts import bp as contacts_bp
    from service.api.meetings import bp as meetings_bp
    from service.api.suppressions import bp as suppressions_bp
    from service.api.templates import bp as templates_bp

    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api = _ApiWithoutAppWideErrors(app)
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A token made with 'opgavepost tokens create EMAIL'.",
        },
    )
    # A campaign is answered as such nowhere by itself (the list adds its figures, the detail its
    # progress), so its shape is named here for clients and for the documents' references.
    api.spec.components.schema("Campaign", schema=CampaignSchema)
    for blueprint in (contacts_bp, meetings_bp, campaigns_bp, templates_bp, suppressions_bp):
        # Token auth and no cookies, so there is nothing for a forged cross-site request to ride on.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    # The document holds no data: anyone may read it. (The view is a bound method of flask-smorest,
    # which takes no attributes, so a plain function stands in for it.)
    document = app.view_functions["api-docs.openapi_json"]

    @public
    @wraps(document)
    def openapi_json():
        return document()

    app.view_functions["api-docs.openapi_json"] = openapi_json
