"""The composer form: the campaign's own fields (Flask-WTF) and the encoding of its blocks.

Blocks are a variable list, so they are not WTForms fields but plain form names:
`blocks-<n>-type` marks block n, `blocks-<n>-<field>` holds its fields, in the order of n.
Lists are one textarea each, written as organisers would on paper:

- bullet and numbered lists (`items`): one item per line;
- a quote wall (`quotes`): quotes separated by an empty line; a quote's last line may name who
  said it, starting with a dash: "— Name, Organisation" (the first comma splits the two);
- the header's logo: `logo_src`, `logo_alt`, `logo_width`, all empty for no logo.

`raw_from_block` and `block_from_raw` translate between a stored block dict and these strings, so
a form that fails validation is shown again exactly as it was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from service.campaigns.lifecycle import STATUS_NAMES
from service.dates import day_supported, unsupported_message
from service.forms import AppForm
from service.models import Answer, CampaignKind
from service.rendering.blocks import BLOCK_TYPES, block_to_dict
from service.text import line_ends

KIND_LABELS = {
    CampaignKind.RECAP: _l("Recap of a meeting"),
    CampaignKind.INVITATION: _l("Invitation"),
    CampaignKind.REMINDER: _l("Reminder"),
    CampaignKind.ANNOUNCEMENT: _l("Announcement"),
}
STATUS_LABELS = {status: _l(name) for status, name in STATUS_NAMES.items()}
BLOCK_LABELS = {
    "header": _l("Header"),
    "text": _l("Text"),
    "bullet_list": _l("Bullet list"),
    "numbered_list": _l("Numbered list"),
    "quote": _l("Quote"),
    "quote_wall": _l("Wall of quotes"),
    "image": _l("Image"),
    "button": _l("Button"),
    "mailto": _l("Call to action (mail us)"),
    "upcoming_meetings": _l("Upcoming meetings"),
    "closing_quote": _l("Closing quote"),
    "divider": _l("Divider"),
}

# Field name -> (label, widget, hint); the widget is "line", "area", "date", "number" or "email".
FIELD_SPECS: dict[str, dict[str, tuple[Any, str, Any]]] = {
    "header": {
        "title": (_l("Title"), "line", _l("For example: “De Opgavebeweging op bezoek bij”.")),
        "host": (_l("Host"), "line", None),
        "date": (_l("Date"), "date", None),
        "place": (_l("Place"), "line", _l("For example: “Provinciehuis in Den Haag”.")),
        "theme": (_l("Theme"), "line", None),
        "logo_src": (
            _l("Logo address"),
            "line",
            _l("Optional. An https address, or the address of an uploaded image."),
        ),
        "logo_alt": (_l("Logo alt text"), "line", None),
        "logo_width": (_l("Logo width in pixels"), "number", None),
    },
    "text": {
        # How to format it is told once, under the blocks ("How to format text").
        "body": (_l("Text"), "area", None),
    },
    "bullet_list": {
        "items": (_l("Items"), "area", _l("One item per line. **Bold** and links work.")),
    },
    "numbered_list": {
        "items": (_l("Items"), "area", _l("One item per line. **Bold** and links work.")),
    },
    "quote": {
        "text": (_l("Quote"), "area", None),
        "name": (_l("Name"), "line", None),
        "organisation": (_l("Organisation"), "line", None),
    },
    "quote_wall": {
        "quotes": (
            _l("Quotes"),
            "area",
            _l(
                "Separate quotes with an empty line. To name who said it, end the quote with "
                "a line like “— Name, Organisation”."
            ),
        ),
    },
    "image": {
        "src": (
            _l("Image address"),
            "line",
            _l("An https address, or the address of an uploaded image (starting with /media/)."),
        ),
        "alt": (_l("Alt text"), "line", _l("Describe what the image shows.")),
        "caption": (_l("Caption"), "line", None),
        "width": (_l("Width in pixels"), "number", _l("At most 600.")),
    },
    "button": {
        "label": (_l("Button text"), "line", _l("Say where it leads, not “click here”.")),
        "url": (
            _l("Link address"),
            "line",
            _l(
                "For example https://www.example.org/photos. [[kaart_url]] leads each "
                "recipient to their own network card, [[muur_url]] to the network wall, "
                "[[voorkeuren_url]] to their preferences (in English: [[card_url]], "
                "[[wall_url]], [[preferences_url]])."
            ),
        ),
    },
    "mailto": {
        "text": (_l("Text"), "area", _l("Markdown, like a text block (see “How to format text”).")),
        "email": (_l("Email address"), "email", None),
        "subject": (_l("Subject of the mail"), "line", None),
        "label": (_l("Button text"), "line", _l("Empty: “Mail to” and the address.")),
    },
    "upcoming_meetings": {
        "title": (
            _l("Title"),
            "line",
            _l("The table is filled from the meetings after this campaign's meeting."),
        ),
    },
    "closing_quote": {
        "text": (_l("Quote"), "area", None),
        "name": (_l("Name"), "line", None),
        "organisation": (_l("Organisation"), "line", None),
    },
    "divider": {},
}

# The answers of invited people an audience can pick, as the composer names them.
ANSWER_LABELS = {
    Answer.YES: _l("Coming (said yes)"),
    Answer.NO: _l("Not coming (said no)"),
    Answer.WAITING: _l("On the waiting list"),
    Answer.INVITED: _l("Not answered yet"),
}
_ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")
_BLOCK_KEY = re.compile(r"^blocks-(\d+)-type$")
_ATTRIBUTION = re.compile(r"^\s*(?:—|–|--|-)\s+(.*)$")
_PATH = re.compile(r"^blocks\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?(?:\.(\w+))?")


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes, each with its own label."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(AppForm):
    """Subject, preheader, sender, meeting, audience, counting clicks; blocks come from
    `raw_blocks_from_form`."""

    kind = SelectField(
        _l("Kind of email"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
    )
    # Chosen from the languages of the emails (set per request); fixed while the campaign has a
    # version in another language, so the select is then disabled and posts nothing.
    language = SelectField(_l("Language of the email"), choices=[], validate_choice=False)
    subject = StringField(_l("Subject"), validators=[Optional()])
    preheader = StringField(_l("Preheader"), validators=[Optional()])
    sender_name = StringField(_l("Sender name"), validators=[Optional()])
    meeting_id = SelectField(_l("Meeting"), choices=[], validate_choice=False)
    audience = SelectField(
        _l("Who receives it"),
        choices=[
            SelectChoice("all", _l("Everyone who gave consent")),
            SelectChoice("selection", _l("Contacts with consent who fit any of the choices below")),
        ],
    )
    provinces = MultiCheckboxField(_l("Provinces"), choices=[], validate_choice=False)
    tags = MultiCheckboxField(_l("Tags"), choices=[], validate_choice=False)
    attended = MultiCheckboxField(
        _l("People who came to an earlier meeting"), choices=[], validate_choice=False
    )
    emails = TextAreaField(_l("Single addresses"), validators=[Optional()])
    answers = MultiCheckboxField(
        _l("Invited people who answered"),
        choices=[SelectChoice(answer.value, label) for answer, label in ANSWER_LABELS.items()],
    )
    count_clicks = BooleanField(_l("Count how often each link in this email is clicked"))


def supported_day(_form: Any, field: DateField) -> None:
    """A form validator: the day lies in the range the service takes (service.dates)."""
    if field.data is not None and not day_supported(field.data):
        raise ValidationError(unsupported_message().render(_))


class ScheduleForm(AppForm):
    """When the scheduler should start the campaign: a day and a wall-clock time."""

    # InputRequired, not DataRequired: a typed but unreadable date must show the format message.
    date = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Enter the day to send it.")), supported_day],
        invalid_value_message=_l("Enter the date as year-month-day, e.g. 2025-06-03."),
    )
    time = TimeField(
        _l("Time"),
        validators=[InputRequired(message=_l("Enter the time to send it."))],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=_l("Enter the time as hours:minutes, e.g. 10:00."),
    )


class NewCampaignForm(AppForm):
    """The first step: which kind of email, for which meeting."""

    kind = SelectField(
        _l("Kind of email"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
    )
    meeting_id = SelectField(_l("Meeting"), choices=[], validate_choice=False)


class TemplateNameForm(AppForm):
    """The name of a template: "Opslaan als sjabloon" and renaming (the store checks it)."""

    name = StringField(
        _l("Template name"),
        validators=[InputRequired(message=_l("Give the template a name."))],
    )


class TestSendForm(AppForm):
    """The composer's test send: up to five addresses (parse_test_addresses reads them)."""

    to = StringField(_l("Test to"))


# A version named as organisers say it: "Engelse versie", "the English version".
VERSION_NAMES = {
    "nl": _l("Dutch version"),
    "en": _l("English version"),
}


class VersionForm(AppForm):
    """A campaign's version in another language: its subject and preheader; its blocks come
    from `raw_blocks_from_form`, like the composer's."""

    subject = StringField(_l("Subject"), validators=[Optional()])
    preheader = StringField(_l("Preheader"), validators=[Optional()])


class BodyForm(AppForm):
    """Only the CSRF check, for POST buttons without fields (delete, duplicate, send test)."""


def audience_from_form(form: CampaignForm) -> dict[str, Any]:
    """The audience dict of the store from the form's fields (the store checks the values).

    Invited people who answered are those of the campaign's own meeting (the "Meeting" field);
    answers without a meeting reach the store as such, which says to choose one.
    """
    if form.audience.data != "selection":
        return {"all": True}
    audience: dict[str, Any] = {
        "provinces": list(form.provinces.data or []),
        "tags": list(form.tags.data or []),
    }
    emails = addresses_from_text(form.emails.data or "")
    if emails:
        audience["emails"] = emails
    if form.attended.data:
        audience["attended"] = list(form.attended.data)
    if form.answers.data:
        meeting = form.meeting_id.data or None
        audience["meeting"] = {"id": meeting, "answers": list(form.answers.data)}
    return audience


def addresses_from_text(text: str) -> list[str]:
    """Email addresses typed one per line, or separated by commas, semicolons or spaces."""
    return [part for part in _ADDRESS_SEPARATORS.split(text) if part]


def audience_form_data(audience: Mapping[str, Any]) -> dict[str, Any]:
    """The audience fields of the form from a stored audience (reverse of audience_from_form)."""
    meeting = audience.get("meeting") or {}
    return {
        # A stored selection has no "all" key; an empty audience is everyone.
        "audience": "selection" if audience and not audience.get("all") else "all",
        "provinces": audience.get("provinces", []),
        "tags": audience.get("tags", []),
        "attended": [str(i) for i in audience.get("attended", [])],
        "emails": "\n".join(audience.get("emails", [])),
        "answers": list(meeting.get("answers", [])),
    }


def raw_from_block(block: Mapping[str, Any]) -> dict[str, str]:
    """A stored block as the strings of its form fields (type included)."""
    kind = str(block.get("type", ""))
    if kind in BLOCK_TYPES:
        # A new block starts from the defaults of its dataclass (an image 600 px wide).
        block = {**block_to_dict(BLOCK_TYPES[kind]()), **block}
    raw: dict[str, str] = {"type": kind}
    for name in FIELD_SPECS.get(kind, {}):
        if name.startswith("logo_"):
            logo = block.get("logo") or {}
            value = logo.get(name.removeprefix("logo_"), "") if logo else ""
        elif name == "items":
            value = "\n".join(block.get("items") or [])
        elif name == "quotes":
            value = "\n\n".join(_quote_text(q) for q in block.get("quotes") or [])
        else:
            value = block.get(name)
        raw[name] = "" if value is None else str(value)
    return raw


# The field whose first words sum a collapsed block up in the composer; else its first field.
_GIST_FIELDS = {
    "header": ("host", "title"),
    "image": ("alt", "caption", "src"),
    "button": ("label",),
}
_MARKUP = re.compile(r"\]\([^)]*\)|[#*_>\[\]`]+|^\s*[-0-9.]+\s+", re.MULTILINE)
GIST_WORDS = 8


def block_gist(raw: Mapping[str, str]) -> str:
    """The first words of a block, plain (no Markdown), for its one-line summary; may be ""."""
    kind = raw.get("type", "")
    names = _GIST_FIELDS.get(kind) or tuple(FIELD_SPECS.get(kind, {}))
    for name in names:
        words = _MARKUP.sub(" ", str(raw.get(name, ""))).split()
        if words:
            gist = " ".join(words[:GIST_WORDS])
            return gist + "…" if len(words) > GIST_WORDS else gist
    return ""


def block_from_raw(raw: Mapping[str, str]) -> dict[str, Any]:
    """A block dict for the store from the strings of its form fields."""
    kind = raw.get("type", "")
    block: dict[str, Any] = {"type": kind}
    logo: dict[str, Any] = {}
    for name in FIELD_SPECS.get(kind, {}):
        value = raw.get(name, "")
        if name.startswith("logo_"):
            logo[name.removeprefix("logo_")] = _trim(value)
        elif name == "items":
            block["items"] = [_trim(line) for line in _lines(value) if _trim(line)]
        elif name == "quotes":
            block["quotes"] = _quotes_from_text(value)
        elif name == "width" and not _trim(value):
            continue  # the dataclass default
        elif FIELD_SPECS[kind][name][1] == "area":
            # Browsers send CRLF; the renderer and the text part expect plain newlines.
            block[name] = _trim(line_ends(value))
        else:
            block[name] = _trim(value)
    if kind == "header":
        if logo.get("src") or logo.get("alt"):
            block["logo"] = {"src": logo["src"], "alt": logo["alt"], "width": logo["width"] or 200}
        else:
            block["logo"] = None
    return block


def _trim(value: str) -> str:
    # Plain whitespace only: str.strip() would also drop VT, FF and FS at the ends, which the
    # store refuses by name instead.
    return value.strip(" \t\r\n")


def _lines(value: str) -> list[str]:
    # Not str.splitlines(): that also splits on VT, FF and FS, which the store refuses.
    return line_ends(value).split("\n")


def raw_blocks_from_form(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The submitted blocks as field strings, in the order of their numbers."""
    numbers = sorted(int(m.group(1)) for key in form if (m := _BLOCK_KEY.match(key)))
    blocks = []
    for n in numbers:
        kind = form.get(f"blocks-{n}-type", "")
        raw = {"type": kind}
        for name in FIELD_SPECS.get(kind, {}):
            raw[name] = form.get(f"blocks-{n}-{name}", "")
        blocks.append(raw)
    return blocks


def field_of(path: str) -> tuple[int, str] | None:
    """The block number and form field a validation path belongs to, e.g. (3, "items")."""
    match = _PATH.match(path)
    if match is None:
        return None
    index, name, _item, sub = match.groups()
    if name == "logo":
        return int(index), f"logo_{sub or 'src'}"
    return int(index), name or "type"


def item_of(path: str) -> int | None:
    """The 0-based line (item or quote) a validation path points at, if any."""
    match = _PATH.match(path)
    return int(match.group(3)) if match and match.group(3) is not None else None


def _quote_text(quote: Mapping[str, Any]) -> str:
    text = str(quote.get("text", ""))
    name, organisation = quote.get("name", ""), quote.get("organisation", "")
    if name or organisation:
        attribution = f"{name}, {organisation}" if organisation else name
        text += f"\n— {attribution}"
    return text


def _quotes_from_text(value: str) -> list[dict[str, str]]:
    quotes = []
    for chunk in re.split(r"\n[ \t]*\n", line_ends(value)):
        lines = [line.rstrip(" \t") for line in chunk.strip("\n").split("\n") if _trim(line)]
        if not lines:
            continue
        name = organisation = ""
        match = _ATTRIBUTION.match(lines[-1]) if len(lines) > 1 else None
        if match:
            lines.pop()
            name, _, organisation = (_trim(part) for part in match.group(1).partition(","))
        quotes.append({"text": "\n".join(lines), "name": name, "organisation": organisation})
    return quotes
