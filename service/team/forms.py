"""Forms of the team pages: inviting a colleague, a role, accepting an invitation, passwords."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from config.settings import LANGUAGES
from service.forms import AppForm
from service.models import Role
from service.translation import translator

# Each language in its own words ("Nederlands", "English"), whatever the page's language.
LANGUAGE_CHOICES = [SelectChoice(code, translator(code).language_name(code)) for code in LANGUAGES]


def role_choices() -> list[SelectChoice]:
    """The roles for a select, in the page's language, from the most rights to the fewest."""
    return [
        SelectChoice(Role.ADMIN.value, _l("Admin")),
        SelectChoice(Role.ORGANISER.value, _l("Organiser")),
        SelectChoice(Role.VIEWER.value, _l("Viewer")),
    ]


class InviteForm(AppForm):
    email = EmailField(
        _l("Email address of your colleague"), validators=[DataRequired(), Length(max=254)]
    )
    role = SelectField(_l("Role in the team"), choices=role_choices(), default=Role.ORGANISER.value)
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)


class RoleForm(AppForm):
    role = SelectField(_l("Role in the team"), choices=role_choices())


class NewPasswordMixin:
    """A new password typed twice; the policy is checked by the use case (with the name)."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class AcceptForm(NewPasswordMixin, AppForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )


class ForgotForm(AppForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class ResetForm(NewPasswordMixin, AppForm):
    pass
