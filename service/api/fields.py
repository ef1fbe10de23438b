"""Fields the API's schemas share: whole numbers, ids, flags, choices and moments.

Strict on input, because JSON has one kind of number and marshmallow's Integer would quietly take
1.5 as 1 and "7" as 7; a choice or a moment given as "" is refused rather than read as a default.
Their messages are written when a request is answered, so they come in the reader's language.
Every date-time the API writes goes through `service.dates.rfc3339`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError, fields

from service.dates import rfc3339, utc_to_local
from service.ids import MAX_ID
from service.settings import current_settings


class WholeNumber(fields.Integer):
    """A JSON integer: not 1.5, "7" or true.

    `minimum` and `maximum` go into the document only: the logic behind the field checks them
    (service.meetings.agenda, reminder_edit, service.campaigns.store, for the forms as well), so
    its message comes with every other problem of the same request.
    """

    def __init__(
        self, *, minimum: int | None = None, maximum: int | None = None, **kwargs: Any
    ) -> None:
        bounds = {"minimum": minimum, "maximum": maximum}
        metadata = {k: v for k, v in bounds.items() if v is not None} | kwargs.pop("metadata", {})
        super().__init__(strict=True, metadata=metadata, **kwargs)

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        if key in ("invalid", "too_large"):
            return ValidationError(_('Give a whole number, such as 7 (not 7.5, "7" or true).'))
        return super().make_error(key, **kwargs)


class Flag(fields.Boolean):
    """A JSON true or false: not 1, 0, "true" or "yes", which marshmallow's Boolean would take."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(_("Give true or false (not 1, 0 or a word in quotes)."))
        return value


class Id(WholeNumber):
    """The id of a stored row: a whole number from 1 to the database's largest integer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(minimum=1, maximum=MAX_ID, **kwargs)


class Choice(fields.String):
    """One of a few words (documented as an enum); "" is refused, not read as a default.

    Which words count is left to the logic, which also knows the aliases people write.
    """

    def __init__(self, choices: Collection[str], **kwargs: Any) -> None:
        metadata = {"enum": [*choices, *([None] if kwargs.get("allow_none") else [])]}
        metadata |= kwargs.pop("metadata", {})
        super().__init__(metadata=metadata, **kwargs)
        self.choices = list(choices)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ValidationError(_("Choose one of: %(choices)s.", choices=", ".join(self.choices)))
        return text


class JsonBoolean(fields.Boolean):
    """A JSON true or false; not 1, "true" or "yes", which marshmallow's Boolean would take."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(_("Give true or false (without quotes)."))
        return value


class Moment(fields.DateTime):
    """A date-time: ISO 8601 on input, RFC 3339 on output (see service.dates.rfc3339)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return rfc3339(value)

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        if key == "invalid":
            return ValidationError(
                _(
                    "Give a date and time in ISO 8601 form, e.g. 2025-06-03T10:00:00+02:00; "
                    "without an offset it is read as time in %(timezone)s.",
                    timezone=current_settings().TIMEZONE,
                )
            )
        return super().make_error(key, **kwargs)


def local_moment(moment: datetime, timezone: str) -> str:
    """The moment on the network's wall clock, as RFC 3339 (UTC where that cannot be written)."""
    return rfc3339(utc_to_local(moment, timezone))
