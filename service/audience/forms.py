"""Forms of the audience pages: the signup, the confirmation button, the preferences and the
erasure. The rules live in signup.py, subscriptions.py and privacy.py; these forms carry the
CSRF token and render the fields with their labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length

from config.settings import LANGUAGES
from service.audience.subscriptions import MAILING_LABELS, MAILINGS
from service.forms import AppForm, HoneypotMixin, province_choices
from service.translation import translator

# Each language in its own words ("Nederlands", "English"), whatever the page's language.
LANGUAGE_CHOICES = [SelectChoice(code, translator(code).language_name(code)) for code in LANGUAGES]


def mailing_choices() -> list[SelectChoice]:
    """The mailings as checkbox choices, labelled in the reader's language."""
    return [SelectChoice(m.value, _l(MAILING_LABELS[m])) for m in MAILINGS]


class SignupForm(HoneypotMixin, AppForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)],
        render_kw={"maxlength": 200, "autocomplete": "name"},
    )
    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"maxlength": 254, "autocomplete": "email", "spellcheck": "false"},
    )
    organisation = StringField(
        _l("Organisation"),
        validators=[Length(max=200)],
        render_kw={"maxlength": 200, "autocomplete": "organization"},
    )
    role = StringField(
        _l("Role"),
        validators=[Length(max=200)],
        render_kw={"maxlength": 200, "autocomplete": "organization-title"},
    )
    province = SelectField(_l("Province"), choices=[], validate_choice=True)
    language = SelectField(_l("Language of the emails"), choices=LANGUAGE_CHOICES)
    mailings = SelectMultipleField(
        _l("What would you like to receive?"),
        validators=[InputRequired(message=_l("Choose at least one."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.province.choices = province_choices(_l("No province"))
        self.mailings.choices = mailing_choices()


class PreferencesForm(AppForm):
    mailings = SelectMultipleField(_l("What would you like to receive?"))
    language = SelectField(_l("Language of the emails"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mailings.choices = mailing_choices()


class PostForm(AppForm):
    """A button that only needs the CSRF token (confirm, download, erase)."""
