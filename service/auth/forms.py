"""Forms of the login area."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from service.forms import AppForm


class LoginForm(AppForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class TwoFactorSetupForm(AppForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8},
    )


class TwoFactorLoginForm(AppForm):
    code = StringField(
        _l("Code from the app, or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "size": 12, "spellcheck": "false"},
    )


class TwoFactorConfirmForm(AppForm):
    """Password and a code again, before the second factor is turned off."""

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from the app, or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "size": 12, "spellcheck": "false"},
    )


class RecoveryCodesForm(AppForm):
    """A code from the app, before new recovery codes replace the old ones."""

    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8},
    )
