"""Forms of the contacts area. The rules themselves live in `directory.validate_contact_fields`."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from config.settings import LANGUAGES
from service.contacts.suppressions import MAX_REASON
from service.forms import AppForm
from service.models import Consent
from service.translation import language_or_default, translator


def language_choices() -> list[SelectChoice]:
    """The languages of the emails, named in the page's language ("Engels" on a Dutch page)."""
    page = translator(language_or_default(str(get_locale() or "")))
    return [SelectChoice(code, page.language_name(code)) for code in LANGUAGES]


def tag_choices(tags: list[str], empty_label: str) -> list[SelectChoice]:
    """The tags in use for a select, with an empty first option labelled `empty_label`."""
    return [SelectChoice("", empty_label)] + [SelectChoice(tag) for tag in tags]


class SearchForm(AppForm):
    """The filters above the contact list: a GET form, so it needs no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"))
    province = SelectField(_l("Province"), validate_choice=False)
    tag = SelectField(_l("Tag"), validate_choice=False)


class ContactForm(AppForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(message=_l("Enter an email address."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(_l("Name"), render_kw={"autocomplete": "off"})
    organisation = StringField(_l("Organisation"))
    role = StringField(_l("Role"))
    province = SelectField(_l("Province"), validate_choice=False)
    language = SelectField(
        _l("Language for emails"),
        choices=language_choices,
        validate_choice=False,
    )
    consent = SelectField(
        _l("Consent to receive the newsletter"),
        choices=[
            SelectChoice(Consent.UNKNOWN.value, _l("Unknown: not asked yet")),
            SelectChoice(Consent.GIVEN.value, _l("Given")),
            SelectChoice(Consent.WITHDRAWN.value, _l("Withdrawn")),
        ],
        validate_choice=False,
    )
    tags = StringField(_l("Tags"))
    notes = TextAreaField(_l("Notes"))


class DeleteForm(AppForm):
    """Only the CSRF token: confirming a deletion is a POST from our own page."""


class ImportForm(AppForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file to import."))],
        render_kw={"accept": ".csv"},
    )


class SuppressionSearchForm(AppForm):
    """The search above the list of blocked addresses: a GET form, so it needs no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Email address"))


class LiftForm(AppForm):
    """Lifting a blocked address: why (for the audit log), and for a complaint the confirmation
    that the person asked for it. The rules live in `suppressions.lift_suppression`."""

    reason = StringField(
        _l("Reason for lifting"),
        render_kw={"autocomplete": "off", "aria-required": "true", "maxlength": MAX_REASON},
    )
    person_asked = BooleanField(_l("The person asked for this themselves"))
