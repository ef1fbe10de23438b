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
    "Your preferences": {"nl": "Je voorkeuren", "en": "Your preferences"},
    # The web version is one page for everybody: it greets nobody in particular, and every link
    # that would act for one person becomes a line that says where that person finds it.
    "reader": {"nl": "lezer", "en": "reader"},
    "All recaps in the archive": {
        "nl": "Alle verslagen in het archief",
        "en": "All recaps in the archive",
    },
    "To unsubscribe or change your preferences, use the links in the email you received.": {
        "nl": "Afmelden of je voorkeuren wijzigen kan met de links in de e-mail die je kreeg.",
        "en": "To unsubscribe or change your preferences, use the links in the email you received.",
    },
    "Answer with the buttons in your own email.": {
        "nl": "Antwoorden kan met de knoppen in je eigen e-mail.",
        "en": "Answer with the buttons in your own email.",
    },
    "Change your answer with the link in your own email.": {
        "nl": "Je antwoord wijzigen kan met de link in je eigen e-mail.",
        "en": "Change your answer with the link in your own email.",
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
    "Registration has closed. If you cannot come after all, reply to this email.": {
        "nl": "De aanmelding is gesloten. Kun je toch niet komen? Beantwoord dan deze e-mail.",
        "en": "Registration has closed. If you cannot come after all, reply to this email.",
    },
    "Email %(email)s": {
        "nl": "Mail naar %(email)s",
        "en": "Email %(email)s",
    },
    # "Add to calendar" under the answer buttons of an invitation.
    "Add it to your calendar:": {"nl": "Zet in je agenda:", "en": "Add it to your calendar:"},
    "Google Calendar": {"nl": "Google Agenda", "en": "Google Calendar"},
    "Outlook": {"nl": "Outlook", "en": "Outlook"},
    ".ics file": {"nl": ".ics-bestand", "en": ".ics file"},
    # The single emails after an answer or a change of the meeting (emails/notice.*).
    "You are registered for %(meeting)s": {
        "nl": "Je bent aangemeld voor %(meeting)s",
        "en": "You are registered for %(meeting)s",
    },
    "Thank you for your answer. We look forward to seeing you.": {
        "nl": "Dank je wel voor je antwoord. We zien je graag.",
        "en": "Thank you for your answer. We look forward to seeing you.",
    },
    "The meeting is in the calendar invitation with this email; accept it to put it in your "
    "calendar.": {
        "nl": "De bijeenkomst zit als agenda-uitnodiging bij deze e-mail; accepteer die om hem "
        "in je agenda te zetten.",
        "en": "The meeting is in the calendar invitation with this email; accept it to put it "
        "in your calendar.",
    },
    "You are on the waiting list (number %(position)s)": {
        "nl": "Je staat op de wachtlijst (nummer %(position)s)",
        "en": "You are on the waiting list (number %(position)s)",
    },
    "%(meeting)s is full. As soon as a place comes free, it is yours and we email you.": {
        "nl": "%(meeting)s is vol. Zodra er een plek vrijkomt, krijg jij die en mailen we je.",
        "en": "%(meeting)s is full. As soon as a place comes free, it is yours and we email you.",
    },
    "You are no longer registered for %(meeting)s": {
        "nl": "Je bent afgemeld voor %(meeting)s",
        "en": "You are no longer registered for %(meeting)s",
    },
    "We have received your answer: you cannot come. The meeting is taken out of your calendar "
    "with this email.": {
        "nl": "We hebben je antwoord ontvangen: je kunt niet komen. Met deze e-mail gaat de "
        "bijeenkomst uit je agenda.",
        "en": "We have received your answer: you cannot come. The meeting is taken out of your "
        "calendar with this email.",
    },
    "Sorry you cannot come to %(meeting)s": {
        "nl": "Jammer dat je niet kunt komen naar %(meeting)s",
        "en": "Sorry you cannot come to %(meeting)s",
    },
    "Thank you for letting us know. We hope to see you another time.": {
        "nl": "Dank je wel dat je het laat weten. Hopelijk tot een volgende keer.",
        "en": "Thank you for letting us know. We hope to see you another time.",
    },
    "A place came free: you are registered for %(meeting)s": {
        "nl": "Er is een plek vrijgekomen: je bent aangemeld voor %(meeting)s",
        "en": "A place came free: you are registered for %(meeting)s",
    },
    "You were on the waiting list and now have a place. We look forward to seeing you.": {
        "nl": "Je stond op de wachtlijst en hebt nu een plek. We zien je graag.",
        "en": "You were on the waiting list and now have a place. We look forward to seeing you.",
    },
    "Changed: %(meeting)s": {"nl": "Gewijzigd: %(meeting)s", "en": "Changed: %(meeting)s"},
    "The time or place of the meeting has changed. Below are the new details; the calendar "
    "invitation with this email updates your calendar.": {
        "nl": "De tijd of plaats van de bijeenkomst is gewijzigd. Hieronder staan de nieuwe "
        "gegevens; de agenda-uitnodiging bij deze e-mail werkt je agenda bij.",
        "en": "The time or place of the meeting has changed. Below are the new details; the "
        "calendar invitation with this email updates your calendar.",
    },
    "Cancelled: %(meeting)s": {"nl": "Afgelast: %(meeting)s", "en": "Cancelled: %(meeting)s"},
    "The meeting does not take place. It is taken out of your calendar with this email.": {
        "nl": "De bijeenkomst gaat niet door. Met deze e-mail gaat hij uit je agenda.",
        "en": "The meeting does not take place. It is taken out of your calendar with this email.",
    },
    "The meeting does not take place, so the waiting list lapses.": {
        "nl": "De bijeenkomst gaat niet door, dus de wachtlijst vervalt.",
        "en": "The meeting does not take place, so the waiting list lapses.",
    },
    "Dear %(name)s,": {"nl": "Beste %(name)s,", "en": "Dear %(name)s,"},
    "You receive this email because you answered an invitation of the %(network)s network.": {
        "nl": "Je ontvangt deze e-mail omdat je hebt geantwoord op een uitnodiging van het "
        "netwerk %(network)s.",
        "en": "You receive this email because you answered an invitation of the %(network)s "
        "network.",
    },
    "View or change your answer": {
        "nl": "Je antwoord bekijken of wijzigen",
        "en": "View or change your answer",
    },
    # The introduction to someone put forward (emails/introduction.html).
    "%(nominator)s put you forward for %(network)s": {
        "nl": "%(nominator)s heeft je aangedragen voor %(network)s",
        "en": "%(nominator)s put you forward for %(network)s",
    },
    "An invitation to get to know each other": {
        "nl": "Een uitnodiging om kennis te maken",
        "en": "An invitation to get to know each other",
    },
    "%(nominator)s has put you forward for the %(network)s network, and we would like to get to "
    "know you.": {
        "nl": "%(nominator)s heeft je aangedragen voor het netwerk %(network)s, en we maken graag "
        "kennis met je.",
        "en": "%(nominator)s has put you forward for the %(network)s network, and we would like "
        "to get to know you.",
    },
    "This is why %(nominator)s thought of you:": {
        "nl": "Daarom dacht %(nominator)s aan jou:",
        "en": "This is why %(nominator)s thought of you:",
    },
    "%(network)s is a network of people in the public sector who work together on the big tasks "
    "of our time, across the borders of their own organisation. We meet a few times a year, each "
    "time at another host organisation, to learn from each other.": {
        "nl": "%(network)s is een netwerk van mensen in de publieke sector die samenwerken aan de "
        "grote opgaven van deze tijd, over de grenzen van hun eigen organisatie heen. We komen een "
        "paar keer per jaar bij elkaar, steeds bij een andere gastorganisatie, om van elkaar te "
        "leren.",
        "en": "%(network)s is a network of people in the public sector who work together on the "
        "big tasks of our time, across the borders of their own organisation. We meet a few times "
        "a year, each time at another host organisation, to learn from each other.",
    },
    "Would you like a first conversation? Reply to this email and we will find a moment that "
    "suits you.": {
        "nl": "Zin in een eerste gesprek? Beantwoord deze e-mail, dan zoeken we samen een moment "
        "dat jou past.",
        "en": "Would you like a first conversation? Reply to this email and we will find a moment "
        "that suits you.",
    },
    "Do you want to receive our invitations and recaps? Sign up through the link below. Without "
    "your signup we send you nothing more.": {
        "nl": "Wil je onze uitnodigingen en terugblikken ontvangen? Meld je aan via de link "
        "hieronder. Zonder jouw aanmelding sturen we je verder niets.",
        "en": "Do you want to receive our invitations and recaps? Sign up through the link below. "
        "Without your signup we send you nothing more.",
    },
    "Sign up for %(network)s": {
        "nl": "Aanmelden bij %(network)s",
        "en": "Sign up for %(network)s",
    },
    "You receive this one email because someone put you forward for the %(network)s network. "
    "Your address is on no mailing list.": {
        "nl": "Je ontvangt deze ene e-mail omdat iemand je heeft aangedragen voor het netwerk "
        "%(network)s. Je adres staat op geen enkele verzendlijst.",
        "en": "You receive this one email because someone put you forward for the %(network)s "
        "network. Your address is on no mailing list.",
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
