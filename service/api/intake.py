"""The intake rules of service/text.py for every string the API reads, bodies and query alike.

Every request schema derives from `IntakeSchema`, whose pre-load hook treats each field by its
kind before the field itself reads the value, so a new field cannot forget the rules:

- a String field is one line: runs of spaces, tabs and line breaks become one space, trimmed;
- a `Lines` field (notes, a description) keeps its line breaks, as LF;
- an uploaded file's name is one line too;
- any string anywhere in the value, inside objects and lists too (a campaign's blocks and
  audience), and a file's name, is refused with 422 and the field's name when it holds a
  control character.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, pre_load
from werkzeug.datastructures import FileStorage

from service import text

LINES_DOC = "Several lines allowed; line breaks are stored as LF."


class Lines(fields.String):
    """A free text of several lines: its line breaks are kept (as LF)."""


def _strings_in(value: Any) -> list[str]:
    # Keys as well as values: a key with a NUL is echoed back in the "unknown field" message.
    if isinstance(value, str):
        return [value]
    if isinstance(value, FileStorage):
        return [value.filename or ""]  # stored as where an import came from
    if isinstance(value, Mapping):
        return [s for key, item in value.items() for s in (*_strings_in(key), *_strings_in(item))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings_in(item)]
    return []


def _forbidden_in(value: Any) -> list[str]:
    found = [char for s in _strings_in(value) for char in text.forbidden_characters(s)]
    return list(dict.fromkeys(found))


def _normalised(field: fields.Field, value: Any) -> Any:
    if isinstance(value, FileStorage):
        value.filename = text.one_line(value.filename or "")
        return value
    if isinstance(field, fields.List) and isinstance(value, list):
        return [_normalised(field.inner, item) for item in value]
    if not isinstance(value, str) or not isinstance(field, fields.String):
        return value
    return text.line_ends(value) if isinstance(field, Lines) else text.one_line(value)


class IntakeSchema(Schema):
    """A schema that cleans or refuses the text it reads (see the module docstring)."""

    @pre_load
    def _clean_text(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # marshmallow itself says the body must be an object
        by_key = {field.data_key or name: field for name, field in self.load_fields.items()}
        cleaned: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for key in data:
            value = data[key]
            field = by_key.get(key)
            found = _forbidden_in(value)
            if found:
                errors[key] = [text.forbidden_message(found).render(_)]
            elif field is not None:
                value = _normalised(field, value)
            cleaned[key] = value
        if errors:
            raise ValidationError(errors)
        return cleaned
