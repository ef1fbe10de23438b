"""Jinja filters for organiser pages: dates in the network's time zone and the reader's language."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import get_locale, gettext

from service import dates
from service.addresses import REASONS
from service.network_name import name_in_sentence, title_in_sentence
from service.provinces import province_name
from service.settings import current_settings, settings_of


def page_locale() -> str:
    """The language of the page being drawn."""
    return str(get_locale() or current_settings().default_language)


def local_datetime(moment: datetime | None) -> str:
    """ "dinsdag 3 juni 2025, 10:00" in the current language."""
    if moment is None:
        return ""
    return dates.format_local(moment, current_settings().TIMEZONE, page_locale())


def local_date(moment: datetime | None) -> str:
    """ "dinsdag 3 juni 2025" in the current language."""
    if moment is None:
        return ""
    return dates.format_local_date(moment, current_settings().TIMEZONE, page_locale())


def local_time(moment: datetime | None) -> str:
    """ "10:00"."""
    if moment is None:
        return ""
    return dates.format_local_time(moment, current_settings().TIMEZONE, page_locale())


def in_sentence(title: str) -> str:
    """A title that starts with "De Opgavebeweging" as it stands inside a sentence."""
    settings = current_settings()
    return title_in_sentence(title, settings.NETWORK_NAME, settings.NETWORK_ARTICLE, page_locale())


def delivery_reason(reason: str) -> str:
    """Why a delivery failed: the relay's own words as they came, our fixed reasons (an address
    a relay cannot carry) in the reader's language."""
    return gettext(reason) if reason in REASONS else reason


def init_app(app: Flask) -> None:
    """Register the filters and the values every page template may use."""
    app.jinja_env.filters.update(
        local_datetime=local_datetime,
        local_date=local_date,
        local_time=local_time,
        province_name=province_name,
        delivery_reason=delivery_reason,
        in_sentence=in_sentence,
    )

    @app.context_processor
    def page_globals() -> dict[str, object]:
        return {
            "network_name": settings_of(app).NETWORK_NAME,
            # In sentences: "Aanmelden bij de Opgavebeweging" (service/network_name.py).
            "network_in_sentence": name_in_sentence(
                settings_of(app).NETWORK_NAME, settings_of(app).NETWORK_ARTICLE, page_locale()
            ),
            "network_email": settings_of(app).NETWORK_EMAIL,
            "current_locale": page_locale(),
        }
