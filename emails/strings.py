"""Every fixed string of the email templates, in Dutch and English.

Emails are rendered outside requests (by the send loop, in the recipient's language), so a plain
mapping is simpler and sturdier than switching Flask-Babel's locale. Keys are the English text,
as a gettext msgid would be; `%(name)s` placeholders are filled by `translate`.
"""

from __future__ import annotations

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

STRINGS: dict[str, dict[str, str]] = {
    "View in your browser": {
        "nl": "Bekijk in je browser",
        "en": "View in your browser",
    },
    "Unsubscribe from these emails": {
        "nl": "Afmelden voor deze e-mails",
        "en": "Unsubscribe from these emails",
    },
    "You receive this email because you take part in the %(network)s network.": {
        "nl": "Je ontvangt deze e-mail omdat je deelneemt aan het netwerk %(network)s.",
        "en": "You receive this email because you take part in the %(network)s network.",
    },
    "Questions or ideas? Email %(email)s": {
        "nl": "Vragen of ideeën? Mail naar %(email)s",
        "en": "Questions or ideas? Email %(email)s",
    },
    "Theme: %(theme)s": {
        "nl": "Thema: %(theme)s",
        "en": "Theme: %(theme)s",
    },
    "Upcoming meetings": {
        "nl": "Volgende bijeenkomsten",
        "en": "Upcoming meetings",
    },
    "Date": {"nl": "Datum", "en": "Date"},
    "Host": {"nl": "Gastorganisatie", "en": "Host"},
    "When": {"nl": "Wanneer", "en": "When"},
    "Where": {"nl": "Waar", "en": "Where"},
    "No meetings have been planned yet.": {
        "nl": "Er zijn nog geen bijeenkomsten gepland.",
        "en": "No meetings have been planned yet.",
    },
    "Yes, I will come": {"nl": "Ja, ik kom", "en": "Yes, I will come"},
    "No, I cannot come": {"nl": "Nee, ik kan niet", "en": "No, I cannot come"},
    "Will you come? Let us know with one click.": {
        "nl": "Kom je? Laat het ons weten met één klik.",
        "en": "Will you come? Let us know with one click.",
    },
    "Change your answer": {"nl": "Je antwoord wijzigen", "en": "Change your answer"},
    "Email %(email)s": {
        "nl": "Mail naar %(email)s",
        "en": "Email %(email)s",
    },
}


def translate(msgid: str, language: str, **params: object) -> str:
    """The string in the language, with `%(name)s` filled; an unknown msgid raises KeyError."""
    try:
        text = STRINGS[msgid][language]
    except KeyError as exc:
        raise KeyError(
            f"email string {msgid!r} has no {language!r} text in emails/strings.py"
        ) from exc
    return text % params if params else text
