"""Forms of one's own account: name and language, and the password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from service.forms import AppForm
from service.team.forms import LANGUAGE_CHOICES, NewPasswordMixin


class ProfileForm(AppForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "name"}
    )
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class PasswordChangeForm(NewPasswordMixin, AppForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
