"""The base of every web form: the intake rules of service/text.py on every field it has.

Every form of the app derives from `AppForm` (tests/test_intake.py checks that none derives from
FlaskForm directly), and its Meta binds the rules to each field as the field is made, so a new
field cannot forget them:

- a one-line text field (StringField, EmailField, SearchField, ...) gets its whitespace runs as
  one space, trimmed; a TextAreaField keeps its line breaks, as LF; a password stays as typed;
- every field, whatever its type (selects, dates, numbers, uploads' file names, the CSRF token
  too), refuses what the browser sent when it holds a control character, with a message under
  that field.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from service import text
from service.provinces import CHOICES as PROVINCES


def _lines(value: Any) -> Any:
    return text.line_ends(value).strip() if isinstance(value, str) else value


def _line(value: Any) -> Any:
    return text.one_line(value) if isinstance(value, str) else value


def _normaliser(field: Field):
    """The filter that makes this field's value fit to store, or None to keep it as typed."""
    if isinstance(field, PasswordField):
        return None  # a password is compared, never shown or sent: every character counts
    if isinstance(field, TextAreaField):
        return _lines
    if isinstance(field, StringField):
        return _line
    return None


def _sent_text(value: Any) -> str:
    # An upload's name is text the browser sent too (and it is kept as the original name).
    if isinstance(value, FileStorage):
        return value.filename or ""
    return value if isinstance(value, str) else ""


def refuse_control_characters(form: FlaskForm, field: Field) -> None:
    """Validator: what the browser sent for this field holds no control character."""
    sent = [_sent_text(value) for value in (field.raw_data or [])]
    found = list(dict.fromkeys(char for value in sent for char in text.forbidden_characters(value)))
    if found:
        message = text.forbidden_message(found)
        raise ValidationError(_l(message.msgid, **message.params))


class AppForm(FlaskForm):
    """A Flask-WTF form whose fields follow the intake rules (see the module docstring)."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            normaliser = _normaliser(field)
            if normaliser is not None:
                field.filters = (*field.filters, normaliser)
            # First, so the person reads why before "not a valid choice" and the like.
            field.validators = [refuse_control_characters, *field.validators]
            return field


def token_refused(form: FlaskForm) -> bool:
    """Whether the form failed on its CSRF token (expired or missing), not on what was typed."""
    return "csrf_token" in form.errors


def province_choices(empty_label: str) -> list[SelectChoice]:
    """The provinces for a select, with an empty first option labelled `empty_label`."""
    return [SelectChoice("", empty_label)] + [SelectChoice(k, v) for k, v in PROVINCES.items()]


class HoneypotMixin:
    """A field people never see and leave empty; a filled one marks the post as a bot's."""

    website = StringField(
        _l("Leave this field empty"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )
