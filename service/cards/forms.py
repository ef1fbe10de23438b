"""Forms of the network card and the wall search."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from service.forms import AppForm
from service.provinces import CHOICES

TEXT_LIMIT = 2000


def _text_limit():
    return Length(
        max=TEXT_LIMIT, message=_l("Keep this under %(limit)s characters.", limit=TEXT_LIMIT)
    )


def _short_limit(limit: int):
    return Length(max=limit, message=_l("Keep this under %(limit)s characters.", limit=limit))


class CardForm(AppForm):
    """The network card: who one is, what one brings and seeks, a photo, the wall or not."""

    name = StringField(
        _l("Name"),
        validators=[InputRequired(message=_l("Fill in your name.")), _short_limit(200)],
    )
    organisation = StringField(_l("Organisation"), validators=[_short_limit(200)])
    role = StringField(_l("Role"), validators=[_short_limit(200)])
    province = SelectField(_l("Province"))
    treasure = TextAreaField(_l("Province's treasure"), validators=[_text_limit()])
    brings = TextAreaField(_l("What I bring"), validators=[_text_limit()])
    seeks = TextAreaField(_l("What I seek"), validators=[_text_limit()])
    photo = FileField(_l("Photo"))
    photo_alt = StringField(
        _l("Description of the photo (for those who cannot see it)"),
        validators=[_short_limit(300)],
    )
    remove_photo = BooleanField(_l("Remove my photo"))
    on_wall = BooleanField(_l("Show my card on the network wall"))

    def __init__(self, *args, has_photo: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Whether a photo is stored already: then keeping it also needs a description.
        self.has_photo = has_photo
        self.province.choices = [SelectChoice("", _l("No province chosen"))] + [
            SelectChoice(code, name) for code, name in CHOICES.items()
        ]

    def new_upload(self):
        """The uploaded file, or None when no file was chosen."""
        upload = self.photo.data
        return upload if upload is not None and getattr(upload, "filename", None) else None

    def validate(self, extra_validators=None) -> bool:
        """The field checks, plus: a photo that will be shown needs a description."""
        valid = super().validate(extra_validators)
        keeps_photo = self.has_photo and not self.remove_photo.data
        if (self.new_upload() is not None or keeps_photo) and not (
            self.photo_alt.data or ""
        ).strip():
            self.photo_alt.errors = [
                *self.photo_alt.errors,
                _l("Describe the photo for those who cannot see it."),
            ]
            valid = False
        return valid


class WallSearchForm(AppForm):
    """The search above the wall: a GET form, so it needs no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"))
    province = SelectField(_l("Province"), validate_choice=False)
    organisation = SelectField(_l("Organisation"), validate_choice=False)
