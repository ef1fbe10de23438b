"""Forms of the API token pages. The rules live in service/auth/tokens.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from service.auth.tokens import MAX_NAME
from service.forms import AppForm


class TokenForm(AppForm):
    """A new token: only its name, so its owner knows later what it is for."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the token a name: what or who will use it?")),
            Length(max=MAX_NAME, message=_l("This is too long: at most %(max)s characters.")),
        ],
        render_kw={"autocomplete": "off", "maxlength": MAX_NAME},
    )


class RevokeForm(AppForm):
    """Only the CSRF token: confirming a revocation is a POST from our own page."""
