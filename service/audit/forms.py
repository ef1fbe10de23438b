"""The filters above the audit log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from service.forms import AppForm


class AuditFilterForm(AppForm):
    """A GET form, so it needs no CSRF token; the view fills the choices."""

    class Meta:
        csrf = False

    person = SelectField(_l("Person"), validate_choice=False)
    kind = SelectField(_l("Kind of action"), validate_choice=False)
