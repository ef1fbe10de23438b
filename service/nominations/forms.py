"""Forms of the nominations area. The rules live in intake.py and decisions.py; these forms
carry the CSRF token and render the fields with their labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired

from service.forms import AppForm, HoneypotMixin
from service.nominations.intake import HOST_LIMITS, NOMINATION_LIMITS


class Needed:
    """Marks a field as required (label asterisk, `required` attribute); intake.py checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


NEEDED = [Needed()]


def _text(limit: int, **render_kw) -> dict:
    # maxlength lets the browser stop at the limit; the server checks it again.
    return {"maxlength": limit, **render_kw}


class NominationForm(HoneypotMixin, AppForm):
    nominator_name = StringField(
        _l("Your name"),
        validators=NEEDED,
        render_kw=_text(NOMINATION_LIMITS["nominator_name"], autocomplete="name"),
    )
    nominator_email = EmailField(
        _l("Your email address"),
        validators=NEEDED,
        render_kw=_text(NOMINATION_LIMITS["nominator_email"], autocomplete="email"),
    )
    nominee_name = StringField(
        _l("Name of the person you put forward"),
        validators=NEEDED,
        render_kw=_text(NOMINATION_LIMITS["nominee_name"], autocomplete="off"),
    )
    nominee_email = EmailField(
        _l("Their email address"),
        validators=NEEDED,
        render_kw=_text(
            NOMINATION_LIMITS["nominee_email"],
            autocomplete="off",
            spellcheck="false",
        ),
    )
    nominee_organisation = StringField(
        _l("Their organisation"),
        render_kw=_text(NOMINATION_LIMITS["nominee_organisation"], autocomplete="off"),
    )
    reason = TextAreaField(
        _l("Why this person?"),
        validators=NEEDED,
        render_kw=_text(NOMINATION_LIMITS["reason"], rows=6),
    )
    reason_shared = BooleanField(_l("My explanation may be shared with the person I put forward"))


class HostProposalForm(HoneypotMixin, AppForm):
    organisation = StringField(
        _l("Organisation"),
        validators=NEEDED,
        render_kw=_text(HOST_LIMITS["organisation"], autocomplete="organization"),
    )
    city = StringField(
        _l("City"),
        validators=NEEDED,
        render_kw=_text(HOST_LIMITS["city"], autocomplete="address-level2"),
    )
    contact_name = StringField(
        _l("Your name"),
        validators=NEEDED,
        render_kw=_text(HOST_LIMITS["contact_name"], autocomplete="name"),
    )
    contact_email = EmailField(
        _l("Your email address"),
        validators=NEEDED,
        render_kw=_text(HOST_LIMITS["contact_email"], autocomplete="email"),
    )
    proposed_period = StringField(
        _l("When would suit you?"), render_kw=_text(HOST_LIMITS["proposed_period"])
    )
    theme = StringField(_l("Theme"), render_kw=_text(HOST_LIMITS["theme"]))
    message = TextAreaField(_l("Message"), render_kw=_text(HOST_LIMITS["message"], rows=6))


class PostForm(AppForm):
    """A button that changes something: only the CSRF token."""


class DeclineForm(AppForm):
    reason = TextAreaField(
        _l("Reason"), validators=NEEDED, render_kw={"rows": 3, "maxlength": 2000}
    )


class PlanMeetingForm(AppForm):
    date = DateField(
        _l("Date"), validators=[InputRequired(message=_l("Enter the date of the meeting."))]
    )
    start_time = TimeField(
        _l("Start time"), validators=[InputRequired(message=_l("Enter the start time."))]
    )
    end_time = TimeField(
        _l("End time"), validators=[InputRequired(message=_l("Enter the end time."))]
    )
