"""The meeting form. It parses what the browser sends; the rules live in agenda.py."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from service.forms import AppForm
from service.ids import whole_number
from service.models import MeetingStatus

# How a status reads on the pages; the stored value stays the English code.
STATUS_LABELS = {
    MeetingStatus.DRAFT: _l("Draft"),
    MeetingStatus.PUBLISHED: _l("Published"),
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
}


class WholeNumberField(IntegerField):
    """An IntegerField that reads ASCII digits only, as the API does (service.ids.whole_number).

    WTForms' own takes whatever int() takes: "٣" as 3, " +3" as 3.
    """

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = None
            return
        # A minus is kept, so the rules can say "at least 1" rather than "not a number".
        number = whole_number(text.removeprefix("-"))
        self.data = -number if number is not None and text.startswith("-") else number
        if self.data is None:
            message = self.invalid_value_message or self.gettext("Not a valid integer value.")
            raise ValueError(message)


class MeetingForm(AppForm):
    # The required messages repeat agenda.py's msgids, so the form and the API say the same thing.
    title = StringField(
        _l("Title"), validators=[DataRequired(message=_l("Enter the title of the meeting."))]
    )
    theme = StringField(_l("Theme"), validators=[Optional()])
    host_organisation = StringField(
        _l("Host organisation"),
        validators=[DataRequired(message=_l("Enter the host organisation."))],
        render_kw={"autocomplete": "organization"},
    )
    city = StringField(_l("City"), validators=[DataRequired(message=_l("Enter the city."))])
    venue = StringField(_l("Venue"), validators=[Optional()])
    address = StringField(
        _l("Address"), validators=[Optional()], render_kw={"autocomplete": "street-address"}
    )
    # InputRequired, not DataRequired: a typed but unreadable date must show the format message,
    # which DataRequired would clear in favour of "enter the date".
    date = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Enter the date of the meeting."))],
        invalid_value_message=_l("Enter the date as year-month-day, e.g. 2025-06-03."),
    )
    start_time = TimeField(
        _l("Start time"),
        validators=[InputRequired(message=_l("Enter the start time."))],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=_l("Enter the time as hours:minutes, e.g. 10:00."),
    )
    end_time = TimeField(
        _l("End time"),
        validators=[InputRequired(message=_l("Enter the end time."))],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=_l("Enter the time as hours:minutes, e.g. 13:00."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional()])
    capacity = WholeNumberField(
        _l("Number of places"),
        validators=[Optional()],
        invalid_value_message=_l(
            "Enter the number of places as a whole number, or leave it empty."
        ),
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()],
        default=MeetingStatus.DRAFT.value,
    )
    # The registration deadline, wall-clock time in the network's time zone; both optional.
    deadline_date = DateField(
        _l("Last day"),
        validators=[Optional()],
        invalid_value_message=_l("Enter the date as year-month-day, e.g. 2025-06-03."),
    )
    deadline_time = TimeField(
        _l("Until (time)"),
        validators=[Optional()],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=_l("Enter the time as hours:minutes, e.g. 10:00."),
    )


# Who a reminder goes to, as the pages say it.
AUDIENCE_LABELS = {
    "yes": _l("Registered (said yes)"),
    "unanswered": _l("Not answered yet"),
}


class ReminderForm(AppForm):
    """Add a reminder: so many days before the meeting's day, at a time, to an audience."""

    days_before = WholeNumberField(
        _l("Days before the meeting"),
        validators=[
            InputRequired(message=_l("Enter a whole number of days from 0 to %(max)d.", max=60)),
            NumberRange(
                min=0, max=60, message=_l("Enter a whole number of days from 0 to %(max)d.", max=60)
            ),
        ],
        invalid_value_message=_l("Enter a whole number of days from 0 to %(max)d.", max=60),
        render_kw={"min": 0, "max": 60, "inputmode": "numeric"},
    )
    send_time = StringField(
        _l("At (time)"),
        default="09:00",
        validators=[InputRequired(message=_l("Enter the time as hours:minutes, e.g. 09:00."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    audience = SelectField(
        _l("To"),
        choices=[SelectChoice(value, label) for value, label in AUDIENCE_LABELS.items()],
        default="yes",
        # reminder_edit.check_reminder explains a wrong audience in words organisers know.
        validate_choice=False,
    )


class InviteForm(AppForm):
    """Invite known contacts by hand, by their addresses."""

    addresses = TextAreaField(
        _l("Email addresses"),
        validators=[DataRequired(message=_l("Enter at least one email address."))],
        render_kw={"rows": 4, "autocomplete": "off", "spellcheck": "false"},
    )
    coming = BooleanField(_l("They have already said yes (for example by phone)"))


class PostForm(AppForm):
    """A form with only its CSRF token: removing a reminder, recording who attended."""
