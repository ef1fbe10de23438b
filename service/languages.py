"""The language of a page for a visitor without an account (public pages, error pages)."""

from flask import request, session

from service.messages import preferred_language
from service.models import Contact
from service.settings import current_settings


def reader_language(contact: Contact | None) -> str:
    """The browser's chosen language, else the contact's own (as their emails are), else the
    browser's Accept-Language, else the first configured language."""
    languages = current_settings().LANGUAGES
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if contact is not None and contact.language in languages:
        return contact.language
    return preferred_language(request.accept_languages, languages) or languages[0]
