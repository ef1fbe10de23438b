"""Rendering emails: every kind in both languages, inlined CSS, text part, safety, recipients."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime

import cssutils
import pytest

from emails import palette
from service.demo.recap import seed_recap, seed_upcoming_meetings
from service.rendering import blocks as b
from service.rendering import placeholders
from service.rendering.render import (
    MeetingFacts,
    Network,
    PersonaliseError,
    RenderedCampaign,
    TemplateError,
    checked_values,
    inline_css,
    personalise,
    render_campaign,
)
from tests.catalog_helpers import dutch_catalog, email_msgids, fields
from tests.email_helpers import parse, squeeze, text_of, unsafe_parts, visible_text
from tests.test_blocks import one_of_each

BASE_URL = "https://post.example.nl"
NETWORK = Network(
    name="Opgavebeweging",
    email="grenzeloossamenwerken@rijksoverheid.nl",
    address="Postbus 20011\n2500 EA Den Haag",
)
KINDS = list(b.Kind)
LANGUAGES = ["nl", "en"]


def render(content: b.CampaignContent, language: str = "nl", **extra) -> RenderedCampaign:
    extra.setdefault("upcoming", seed_upcoming_meetings())
    return render_campaign(content, language=language, network=NETWORK, base_url=BASE_URL, **extra)


def values(n: int = 0, **overrides: str) -> dict[str, str]:
    base = {
        placeholders.FIRST_NAME: f"Anna{n}",
        placeholders.NAME: f"Anna{n} de Vries",
        placeholders.UNSUBSCRIBE_URL: f"{BASE_URL}/afmelden/{n}?t=abc{n}&c=7",
        placeholders.WEB_VERSION_URL: f"{BASE_URL}/archief/7?r={n}",
        placeholders.PREFERENCES_URL: f"{BASE_URL}/voorkeuren/{n}.sig",
        placeholders.WALL_URL: f"{BASE_URL}/netwerkmuur/{n}.sig",
    }
    return base | overrides


def sample(kind: b.Kind) -> b.CampaignContent:
    return b.CampaignContent(
        kind=kind,
        subject="Onderwerp voor [[first_name]]",
        preheader="Een regel vooraf",
        blocks=one_of_each(),
    )


@pytest.fixture(scope="module")
def seed_nl() -> RenderedCampaign:
    return render(seed_recap(), "nl")


# --- every template, every kind, both languages --------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_a_mail_client_document_in_both_languages(kind, language):
    meeting = seed_upcoming_meetings()[0]
    rendered = render(sample(kind), language, meeting=meeting)
    html = rendered.html
    doc = parse(html)

    assert doc.get("lang") == language
    assert doc.xpath("//meta[@name='color-scheme']/@content") == ["light dark"]
    assert doc.xpath("//meta[@name='supported-color-schemes']/@content") == ["light dark"]
    assert "<!--[if mso]>" in html, "Outlook gets its ghost tables"
    assert "@media (prefers-color-scheme: dark)" in html
    preheader = doc.xpath("//div[contains(@class, 'preheader')]")[0]
    assert preheader.text_content().startswith("Een regel vooraf")
    assert "display: none" in preheader.get("style")

    layout = [t for t in doc.iter("table") if "meetings" not in t.get("class", "")]
    assert layout and all(t.get("role") == "presentation" for t in layout)
    data_tables = doc.xpath("//table[contains(@class, 'meetings')]")
    assert len(data_tables) == 1 and data_tables[0].get("role") is None
    assert len(data_tables[0].xpath(".//th[@scope='col']")) == 2

    for img in doc.iter("img"):
        assert img.get("alt"), "every image has alt text"
        assert img.get("width", "").isdigit(), "every image has a pixel width for Outlook"
    for element in doc.xpath("//body//*[@style]"):
        family = re.search(r"font-family:([^;]+)", element.get("style"))
        if family:
            assert family.group(1).strip().endswith(("sans-serif", "serif", "monospace"))

    view = {"nl": "Bekijk in je browser", "en": "View in your browser"}[language]
    unsubscribe = {"nl": "Afmelden voor deze e-mails", "en": "Unsubscribe from these emails"}
    assert doc.xpath(f"//a[text()='{view}']/@href") == ["[[web_version_url]]"]
    assert doc.xpath(f"//a[text()='{unsubscribe[language]}']/@href") == ["[[unsubscribe_url]]"]
    assert "Postbus 20011 2500 EA Den Haag" in visible_text(html)

    theme = {"nl": "Thema: samen werken", "en": "Theme: samen werken"}[language]
    assert theme in visible_text(html)
    assert theme in rendered.text
    assert f"{view}: [[web_version_url]]" in rendered.text
    assert f"{unsubscribe[language]}: [[unsubscribe_url]]" in rendered.text
    answer_links = {
        b.Kind.INVITATION: {placeholders.ANSWER_YES_URL, placeholders.ANSWER_NO_URL},
        b.Kind.REMINDER: {placeholders.ANSWER_URL},
    }.get(kind, set())
    assert (
        rendered.placeholders
        == {
            placeholders.FIRST_NAME,
            placeholders.WEB_VERSION_URL,
            placeholders.UNSUBSCRIBE_URL,
            # Every campaign footer links to the contact's preference page (issue 6).
            placeholders.PREFERENCES_URL,
        }
        | answer_links
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invitation_ends_with_its_two_personal_answer_buttons(language):
    meeting = seed_upcoming_meetings()[0]
    rendered = render(sample(b.Kind.INVITATION), language, meeting=meeting)
    doc = parse(rendered.html)
    yes, no = {
        "nl": ("Ja, ik kom", "Nee, ik kan niet"),
        "en": ("Yes, I will come", "No, I cannot come"),
    }[language]
    assert doc.xpath(f"//a[text()='{yes}']/@href") == ["[[answer_yes_url]]"]
    assert doc.xpath(f"//a[text()='{no}']/@href") == ["[[answer_no_url]]"]
    assert f"{yes}: [[answer_yes_url]]" in rendered.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [b.Kind.INVITATION, b.Kind.REMINDER])
def test_invitations_and_reminders_show_the_facts_of_their_meeting(kind, language):
    meeting = MeetingFacts(
        starts_at=datetime(2025, 6, 3, 8, 0, tzinfo=UTC),
        ends_at=datetime(2025, 6, 3, 11, 0, tzinfo=UTC),
        host_organisation="Gemeente Zwolle",
        city="Zwolle",
        venue="Stadhuis",
        address="Grote Kerkplein 15",
    )
    content = b.CampaignContent(kind=kind, subject="Uitnodiging", blocks=[b.Text("Kom je?")])
    rendered = render(content, language, meeting=meeting)
    when = {"nl": "dinsdag 3 juni 2025, 10:00–13:00", "en": "Tuesday 3 June 2025, 10:00–13:00"}
    for part in (visible_text(rendered.html), rendered.text):
        assert when[language] in part
        assert "Stadhuis, Grote Kerkplein 15, Zwolle" in part
    # The welcome first, then when and where (issue 15: the facts no longer open the email).
    assert rendered.text.index("Kom je?") < rendered.text.index(when[language])


def _invitation_parts(kind, language, **facts):
    meeting = MeetingFacts(
        starts_at=datetime(2025, 6, 3, 8, 0, tzinfo=UTC),
        ends_at=datetime(2025, 6, 3, 11, 0, tzinfo=UTC),
        host_organisation="Gemeente Zwolle",
        city="Zwolle",
        venue="Stadhuis Zwolle",
        address="Grote Kerkplein 15, 8011 PK Zwolle",
        **facts,
    )
    content = b.CampaignContent(
        kind=kind,
        subject="Uitnodiging",
        blocks=[
            b.Header(title="De Opgavebeweging op bezoek bij", host="Gemeente Zwolle"),
            b.Text("Welkom, we nodigen je van harte uit."),
            b.Text("Het programma volgt."),
            b.UpcomingMeetings(),
        ],
    )
    return render(content, language, meeting=meeting, upcoming=seed_upcoming_meetings())


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invitation_reads_header_welcome_facts_buttons_then_the_rest(language):
    rendered = _invitation_parts(b.Kind.INVITATION, language)
    words = {
        "nl": ("Wanneer", "Ja, ik kom", "Nee, ik kan niet", "Dinsdag 30 september 2025"),
        "en": ("When", "Yes, I will come", "No, I cannot come", "Tuesday 30 September 2025"),
    }[language]
    order = ("Gemeente Zwolle", "Welkom, we nodigen", *words[:3], "Het programma volgt", words[3])
    for part in (visible_text(rendered.html), rendered.text):
        positions = [part.index(text) for text in order]
        assert positions == sorted(positions), part
        # The city once: the address names it already.
        assert "Stadhuis Zwolle, Grote Kerkplein 15, 8011 PK Zwolle" in part
        assert "8011 PK Zwolle, Zwolle" not in part


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invitation_says_what_a_button_does(language):
    rendered = _invitation_parts(b.Kind.INVITATION, language)
    said = {
        "nl": "Kom je? Elke knop opent een pagina waarop je je antwoord bevestigt",
        "en": "Will you come? Each button opens a page where you confirm your answer",
    }[language]
    assert said in visible_text(rendered.html)
    assert "één klik" not in visible_text(rendered.html)
    assert "one click" not in rendered.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [b.Kind.INVITATION, b.Kind.REMINDER])
def test_invitations_and_reminders_show_the_deadline_and_the_places_left(kind, language):
    deadline = datetime(2025, 5, 27, 15, 0, tzinfo=UTC)  # 17:00 in Amsterdam
    rendered = _invitation_parts(kind, language, registration_deadline=deadline, places_left=12)
    expected = {
        "nl": ("Aanmelden kan tot", "dinsdag 27 mei 2025, 17:00", "Vrije plaatsen"),
        "en": ("Register by", "Tuesday 27 May 2025, 17:00", "Places left"),
    }[language]
    assert f"{expected[0]}: {expected[1]}" in rendered.text
    assert f"{expected[2]}: 12\n" in rendered.text
    cells = [" ".join(td.text_content().split()) for td in parse(rendered.html).iter("td")]
    assert cells[cells.index(expected[0]) + 1] == expected[1]
    assert cells[cells.index(expected[2]) + 1] == "12"
    full = _invitation_parts(kind, language, places_left=0)
    waiting = {"nl": "Geen: met een ja kom je op de wachtlijst", "en": "None: a yes puts"}
    assert waiting[language] in visible_text(full.html) and waiting[language] in full.text
    # Without a deadline or a limit, neither line.
    plain = _invitation_parts(kind, language)
    assert expected[0] not in plain.text and expected[2] not in plain.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reminder_to_those_who_did_not_answer_asks_with_yes_and_no(language):
    asking = _invitation_parts(b.Kind.REMINDER, language, asks_answer=True)
    yes, no = {
        "nl": ("Ja, ik kom", "Nee, ik kan niet"),
        "en": ("Yes, I will come", "No, I cannot come"),
    }[language]
    doc = parse(asking.html)
    assert doc.xpath(f"//a[text()='{yes}']/@href") == ["[[answer_yes_url]]"]
    assert doc.xpath(f"//a[text()='{no}']/@href") == ["[[answer_no_url]]"]
    assert placeholders.ANSWER_URL not in asking.placeholders
    # Those who said yes get the link to change their answer instead.
    coming = _invitation_parts(b.Kind.REMINDER, language)
    assert {placeholders.ANSWER_YES_URL, placeholders.ANSWER_NO_URL}.isdisjoint(coming.placeholders)
    assert placeholders.ANSWER_URL in coming.placeholders


def test_dates_follow_the_language_of_the_recipient():
    content = b.CampaignContent(
        blocks=[
            b.Header(title="Terugblik", host="PZH", date=date(2025, 3, 4)),
            b.UpcomingMeetings(),
        ]
    )
    dutch, english = render(content, "nl"), render(content, "en")
    assert "4 maart 2025" in visible_text(dutch.html)
    assert "Dinsdag 3 juni 2025" in visible_text(dutch.html)
    assert "4 March 2025" in visible_text(english.html)
    assert "Tuesday 3 June 2025" in visible_text(english.html)
    assert "Tuesday 30 September 2025" in english.text


# --- inlined CSS and layout ---------------------------------------------------------------


def test_only_media_queries_stay_in_the_style_block(seed_nl):
    doc = parse(seed_nl.html)
    styles = doc.xpath("//style")
    assert styles, "the media queries need a <style> block"
    kinds = []
    for style in styles:
        sheet = cssutils.parseString(style.text_content(), validate=False)
        kinds.extend(rule.type for rule in sheet.cssRules if rule.type != rule.COMMENT)
    assert kinds and set(kinds) == {cssutils.css.CSSRule.MEDIA_RULE}


def test_rules_arrive_inline_on_the_elements(seed_nl):
    doc = parse(seed_nl.html)
    paragraph = doc.xpath("//td[contains(@class, 'block')]//p")[0]
    assert "margin:0 0 16px 0" in paragraph.get("style")
    button = doc.xpath("//a[contains(@class, 'button')]")[0]
    assert "color:#fff;" in button.get("style"), "white on the button, not the link colour"


def test_the_layout_reflows_on_a_375_px_screen(seed_nl):
    html = seed_nl.html
    mobile = re.search(r"@media screen and \(max-width: 620px\) \{(.*?)\n    \}", html, re.S)
    assert mobile, "a media query for phones"
    assert re.search(r"\.container \{\s*width: 100% !important", mobile.group(1))
    assert re.search(r"\.col \{\s*max-width: 100% !important", mobile.group(1))
    container = parse(html).xpath("//table[contains(@class, 'container')]")[0]
    assert container.get("width") == "600", "Outlook reads the attribute"
    assert "width:100%" in container.get("style") and "max-width:600px" in container.get("style")


def test_dark_mode_rules_win_over_inline_styles(seed_nl):
    dark = seed_nl.html.split("@media (prefers-color-scheme: dark)", 1)[1].split("</style>")[0]
    declarations = re.findall(r"^\s+[a-z-]+: [^;}\n]+", dark, re.M)
    assert declarations and all(d.endswith("!important") for d in declarations)


def contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", [palette.LIGHT, palette.DARK], ids=["light", "dark"])
def test_text_colours_meet_wcag_aa_contrast(scheme):
    weak = [
        (fg, bg, round(contrast(scheme[fg], scheme[bg]), 2))
        for fg, bg in palette.CONTRAST_PAIRS
        if contrast(scheme[fg], scheme[bg]) < 4.5
    ]
    assert weak == []


def test_the_seed_recap_stays_well_under_gmails_clipping_size(seed_nl):
    assert len(seed_nl.html.encode()) < 60 * 1024


# --- the seed recap, complete in both parts ------------------------------------------------

SEED_HEADINGS = [
    "De Opgavebeweging op bezoek bij",
    "Provincie Zuid-Holland",
    "4 maart 2025 | Provinciehuis in Den Haag",
    "Thema: wat als alles een opgave is?",
    "Check-in: jouw provincieschat",
    "Wat doet de Provincie Zuid-Holland?",
    "Opgavegericht organiseren",
    "In de praktijk: Groene cirkels",
    "De vraagstukken van Provincie Zuid-Holland",
    "1. Kloof tussen topmanagement en werkvloer",
    "2. Gedrag van medewerkers",
    "3. Inrichting van bedrijfsvoering",
    "Inzichten bij 1. 'Kloof tussen topmanagement en werkvloer'",
    "Inzichten bij 2. 'Gedrag van medewerkers'",
    "Inzichten bij 3. 'Inrichting van bedrijfsvoering'",
    "De Opgavebeweging beweegt verder 2025 in",
]
SEED_LIST_ITEMS = [
    "Niet alles is een opgave",
    "Veranderingen moeten niet top-down, maar vanuit de praktijk worden benaderd.",
    "Voor het management is veel te leren en te ontwikkelen.",
    "Werk altijd vanuit de praktijk: doordat PZH zich te veel richtte op de inrichting van het "
    "management zijn er twee werkelijkheden ontstaan: management en de werkvloer.",
    "Stop met praten en begin gewoon, creëer de randvoorwaarden achter de schermen en houd het "
    "guerilla-aanpak vast. Blijf proberen en experimenteren.",
    "Versimpel de interne sturing en werk samen met de werkvloer om het hoe en waarom te bepalen. "
    "Zo kan de kloof worden gedicht. Betrek het topmanagement bij de werkvloer en laat ze "
    "meedraaien. Ga het gesprek aan tussen management en werkvloer over de zorgen die mensen "
    "hebben.",
    "Heb aandacht voor noodzakelijke veranderingen in het anders invullen van "
    "opdrachtgeverschap en opdrachtnemerschap en de spanning die hierbij kan ontstaan.",
    "Begin bij de intrinsieke motivatie van medewerkers. Sta samen stil bij de opgaven. Zo creëer "
    "je duidelijkheid of kun je samen op zoek naar antwoorden: wat betekent het eigenlijk?",
    "Vier kleine successen, benoem ze, laat ze zien en deel ze breed.",
    "Bepaal de norm van wat goed werk is en verbind dit aan gewenst gedrag. Maak duidelijk wat wel "
    "en niet een opgave is. Zorg voor een sterk veranderverhaal. Doorbreek de reflex van beleid "
    "maken: ga naar buiten! Dit vraagt ook om verandering bij samenwerkingspartners.",
    "Ondersteun medewerkers en managers bij de verandering. Geef hen handelingsvrijheid, maar waak "
    "voor vrijblijvendheid en “cherry picking”. Vertrouwen in medewerkers is de basis. "
    "Inspirerende voorbeelden en voorbeeldgedrag zijn belangrijk.",
    "Verdeel rollen en taken op basis van de kwaliteiten van medewerkers. P-functionarissen en "
    "leidinggevenden spelen een belangrijke rol in de praktische ondersteuning.",
    "Bied kaders en duidelijke structuren waar mogelijk. Zorg voor helder opdrachtgeverschap en "
    "faciliteer dat. Bied ruimte en tijd voor de dialoog en voor experimenteren met nieuwe "
    "manieren van werken. Dit vraagt ook om kwetsbaarheid, ruimte om te zoeken, het “niet weten” "
    "en(extra) aandacht om te leren.",
]
SEED_QUOTES = [
    "Blijdorp Rotterdam",
    "Twents Noaberschap",
    "Domtoren",
    "Zonder dat je iets wilt, heeft een netwerk geen zin. In het midden ligt 'iets'.",
    "Laat sommige collega's met rust!",
    "Al het werk draagt bij aan de opgave, maar niet al ons werk ins opgavegericht",
    "Dat is het spel dat we met elkaar te leren hebben.",
    "Waar is de buitenwereld?",
    "We graven naar waarden en ontkennen niet dat er belangen zijn.",
    "Ik leef in een wereld waarin opgaves extern zijn gedefinieerd.",
    "Hoe formuleren jullie een opgave? Vanuit eigen aandeel in het geheel of vanuit jullie eigen "
    "vraagstuk?",
    "Met de Opgavebeweging hadden we zomaar een hele grote denktank in huis!",
]
SEED_PROSE = [
    "Op dinsdag 4 maart openen de collega's van Provincie Zuid-Holland de deuren",
    "Benieuwd naar een sfeerimpressie en inhoudelijke terugblik op de dag bij Provincie "
    "Zuid-Holland? Klik hier.",
    "Met een integrale aanpak werkt de provincie een gezonde en toekomstbestendige leefomgeving.",
    "Lessen uit de praktijk:",
    "Er zijn verschillende oplossingen aangedragen:",
    "Oplossingen die aan de tafels werden bedacht:",
    "'Intelligent vooruit struikelen' kan een manier zijn om ruimte te creëren",
    "om de digitale netwerkmuur te bekijken en contacten te leggen.",
    "De volgende Opgavebeweging bijeenkomsten zijn als gepland:",
    "Stuur dan een mailtje naar grenzeloossamenwerken@rijksoverheid.nl en dan plannen wij een "
    "kennismakingsgesprek",
    "Mail dan ook naar bovenstaand e-mailadres.",
    "Graag tot de volgende keer!",
]


@pytest.mark.parametrize("part", ["html", "text"])
def test_the_seed_recap_has_every_heading_list_item_and_quote(seed_nl, part):
    shown = visible_text(seed_nl.html) if part == "html" else squeeze(seed_nl.text)
    missing = [
        s for s in SEED_HEADINGS + SEED_LIST_ITEMS + SEED_QUOTES + SEED_PROSE if s not in shown
    ]
    assert missing == []
    assert "Maaïke Heijnen, Provincie Zuid-Holland" in shown


def test_the_seed_recap_html_keeps_its_structure(seed_nl):
    doc = parse(seed_nl.html)
    assert [text_of(h) for h in doc.iter("h1")] == [
        "De Opgavebeweging op bezoek bij Provincie Zuid-Holland"
    ]
    headings = [text_of(h) for h in doc.xpath("//h2|//h3")]
    assert headings == SEED_HEADINGS[4:]
    items = [text_of(li) for li in doc.iter("li")]
    assert items == SEED_LIST_ITEMS
    walls = doc.xpath("//td[contains(@class, 'wall')]/div[contains(@class, 'col')]")
    assert len(walls) == 3 + 8
    rows = [
        [text_of(c) for c in tr] for tr in doc.xpath("//table[contains(@class, 'meetings')]//tr")
    ]
    assert rows == [
        ["Datum", "Gastorganisatie"],
        ["Dinsdag 3 juni 2025", "Gemeente Zwolle"],
        ["Dinsdag 30 september 2025", "Hogeschool van Amsterdam"],
    ]
    # Two of the seed's "Klik hier" links lead to "#"; the third to the reader's wall link.
    assert [a.get("href") for a in doc.xpath("//a[starts-with(text(), 'Klik hier')]")] == [
        "#",
        "#",
        "[[muur_url]]",
    ]


# --- the text part -------------------------------------------------------------------------


def test_the_text_part_reads_well_in_a_terminal(seed_nl):
    text = seed_nl.text
    assert "<" not in text.replace("<br", ""), "no HTML in the text part"
    long_lines = [line for line in text.splitlines() if len(line) > 72 and "://" not in line]
    assert long_lines == []
    assert "- Niet alles is een opgave\n" in text
    assert (
        "- Veranderingen moeten niet top-down, maar vanuit de praktijk worden\n  benaderd." in text
    )
    assert "Mail naar grenzeloossamenwerken@rijksoverheid.nl" in text
    assert "Klik hier ([[muur_url]]) om de digitale netwerkmuur" in text
    assert (
        "    “Met de Opgavebeweging hadden we zomaar een hele grote denktank in\n"
        "    huis!”\n"
        "    — Maaïke Heijnen, Provincie Zuid-Holland\n"
    ) in text
    rows = [line for line in text.splitlines() if line.startswith("  Dinsdag")]
    assert rows == [
        "  Dinsdag 3 juni 2025         Gemeente Zwolle",
        "  Dinsdag 30 september 2025   Hogeschool van Amsterdam",
    ]
    assert text.endswith("grenzeloossamenwerken@rijksoverheid.nl\n")


def test_the_text_part_writes_links_lists_and_quotes_out():
    content = b.CampaignContent(
        blocks=[
            b.Text(
                "Zie [het programma](https://example.nl/p) of https://example.nl/q en "
                "<https://example.nl/r>."
            ),
            b.NumberedList(["eerst [dit](https://example.nl/1)", "dan dat"]),
            b.Quote("Mooi\ngezegd", "Jan", "Rijk"),
            b.Image("/media/zaal.jpg", "De zaal vol mensen", "Foto: Piet", 400),
            b.Button("Meld je aan", "https://example.nl/aanmelden"),
            b.Mailto("Vragen?", "info@example.nl", "Vraag", "Stel je vraag"),
            b.Divider(),
        ]
    )
    text = render(content).text
    assert (
        "Zie het programma (https://example.nl/p) of https://example.nl/q en\nhttps://example.nl/r."
    ) in text
    assert "1. eerst dit (https://example.nl/1)\n2. dan dat" in text
    assert "    “Mooi\n    gezegd”\n    — Jan, Rijk" in text
    assert "[De zaal vol mensen]\nFoto: Piet" in text
    assert "Meld je aan (https://example.nl/aanmelden)" in text
    assert "Stel je vraag: info@example.nl" in text
    assert "\n" + "-" * 72 + "\n" in text


def test_an_empty_meetings_table_says_so():
    content = b.CampaignContent(blocks=[b.UpcomingMeetings("Agenda")])
    rendered = render(content, "en", upcoming=[])
    assert "No meetings have been planned yet." in visible_text(rendered.html)
    assert "Agenda\n------\nNo meetings have been planned yet." in rendered.text


def test_a_meeting_host_without_the_city_in_its_name_gets_the_city():
    meeting = MeetingFacts(datetime(2025, 11, 4, 9, tzinfo=UTC), "Rijkswaterstaat", "Utrecht")
    rendered = render(b.CampaignContent(blocks=[b.UpcomingMeetings()]), upcoming=[meeting])
    assert "Rijkswaterstaat, Utrecht" in rendered.text


def test_meeting_times_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        MeetingFacts(datetime(2025, 6, 3, 10), "Gemeente Zwolle", "Zwolle")


def test_uploaded_images_are_served_from_base_url():
    content = b.CampaignContent(blocks=[b.Image("/media/zaal.jpg", "De zaal", "", 400)])
    (img,) = parse(render(content).html).iter("img")
    assert img.get("src") == f"{BASE_URL}/media/zaal.jpg"
    assert img.get("width") == "400"
    assert "max-width:400px" in img.get("style")


# --- organiser text cannot run code --------------------------------------------------------

PAYLOADS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "[klik](javascript:alert(1))",
    '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
    "' onmouseover='alert(1)",
]


def payload_blocks(payload: str) -> list[b.Block]:
    """Every block type with the payload in every field (built directly, skipping validation)."""
    return [
        b.Header(
            payload, payload, date(2025, 3, 4), payload, payload, b.ImageRef(payload, payload)
        ),
        b.Text(payload),
        b.BulletList([payload, payload]),
        b.NumberedList([payload]),
        b.Quote(payload, payload, payload),
        b.QuoteWall([b.WallQuote(payload, payload, payload)]),
        b.Image(payload, payload, payload, 300),
        b.Button(payload, payload),
        b.Mailto(payload, payload, payload, payload),
        b.UpcomingMeetings(payload),
        b.ClosingQuote(payload, payload, payload),
        b.Divider(),
    ]


def test_the_safety_check_itself_finds_dangerous_html():
    found = unsafe_parts('<p><a href=" javascript:x" onclick="y">a</a><script></script></p>')
    assert len(found) == 3


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("kind", KINDS)
def test_payloads_in_every_field_of_every_block_never_run(kind, payload):
    assert {type(block) for block in payload_blocks(payload)} == set(b.BLOCK_TYPES.values())
    content = b.CampaignContent(
        kind=kind, subject=payload, preheader=payload, blocks=payload_blocks(payload)
    )
    meeting = MeetingFacts(datetime(2025, 6, 3, 8, tzinfo=UTC), payload, payload, venue=payload)
    rendered = render(content, upcoming=[meeting], meeting=meeting)
    assert unsafe_parts(rendered.html) == []
    for fragment in rendered.block_html:
        assert unsafe_parts(fragment) == []


def test_the_text_part_writes_out_no_unsafe_link():
    content = b.CampaignContent(
        blocks=[
            b.Button("Ga verder", "javascript:alert(1)"),
            b.Text("[klik](javascript:alert(1)) en [ook](vbscript:x)"),
            b.BulletList(["[lijst](data:text/html,x)"]),
        ]
    )
    text = render(content).text
    assert "Ga verder\n" in text and "Ga verder (" not in text
    # Markdown with an unsafe address is not a link at all: it stays as the organiser typed it.
    assert "[klik](javascript:alert(1)) en [ook](vbscript:x)" in text
    assert "klik (javascript:" not in text and "lijst (data:" not in text


# --- recipients ----------------------------------------------------------------------------


def test_each_recipient_gets_their_own_values(seed_nl):
    content = b.CampaignContent(
        subject="Voor [[first_name]]",
        preheader="Hallo [[name]]",
        blocks=[b.Text("Beste [[first_name]],\n\nfijn dat je er was, [[name]].")],
    )
    rendered = render(content)
    for n in range(5):
        subject, html, text = personalise(rendered, values(n))
        assert subject == f"Voor Anna{n}"
        doc = parse(html)
        assert f"Beste Anna{n}," in visible_text(html)
        assert doc.xpath("//a[text()='Afmelden voor deze e-mails']/@href") == [
            f"{BASE_URL}/afmelden/{n}?t=abc{n}&c=7"
        ]
        assert doc.xpath("//a[text()='Bekijk in je browser']/@href") == [
            f"{BASE_URL}/archief/7?r={n}"
        ]
        assert f"Afmelden voor deze e-mails: {BASE_URL}/afmelden/{n}?t=abc{n}&c=7" in text
        assert f"fijn dat je er was, Anna{n} de Vries." in text
        assert "[[" not in subject + html + text
        others = [f"Anna{m} " for m in range(5) if m != n]
        assert not any(other in html or other in text for other in others)


def test_recipient_values_are_escaped_in_html_and_plain_in_text():
    content = b.CampaignContent(subject="Hoi [[name]]", blocks=[b.Text("Hoi [[name]]!")])
    rendered = render(content)
    name = '<b onclick="x">Jan</b> & "Piet"'
    subject, html, text = personalise(rendered, values(name=name))
    assert subject == f"Hoi {name}"
    assert "&lt;b onclick=&#x27;" not in html
    assert "Hoi &lt;b onclick=&quot;x&quot;&gt;Jan&lt;/b&gt; &amp; &quot;Piet&quot;!" in html
    assert unsafe_parts(html) == []
    assert f"Hoi {name}!" in text
    assert f"Hoi {name}!" in visible_text(html)


def test_a_line_break_in_a_value_cannot_break_the_subject():
    rendered = render(b.CampaignContent(subject="Hoi [[name]]"))
    subject, _, _ = personalise(rendered, values(name="Jan\r\nBcc: x@y.nl"))
    assert "\n" not in subject and "\r" not in subject


def test_a_missing_value_is_refused_before_sending():
    rendered = render(b.CampaignContent(subject="Hoi [[first_name]]"))
    incomplete = values()
    del incomplete[placeholders.FIRST_NAME]
    with pytest.raises(PersonaliseError, match=r"\[\[first_name\]\]"):
        personalise(rendered, incomplete)


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "/afmelden/1", "https://x.nl/a b"])
def test_url_values_must_be_absolute_http_addresses(url):
    rendered = render(b.CampaignContent(subject="Hoi"))
    with pytest.raises(PersonaliseError, match="unsubscribe_url"):
        personalise(rendered, values(unsubscribe_url=url))


def test_placeholders_survive_premailer_where_curly_braces_do_not():
    page = (
        "<html><head><style>a { color: red; }</style></head><body>"
        '<a href="[[unsubscribe_url]]">a</a><a href="{{ unsubscribe_url }}">b</a>'
        '<a href="https://x.nl/?a=1&amp;t=[[first_name]]">c</a>'
        "<p>[[first_name]]</p></body></html>"
    )
    inlined = inline_css(page)
    assert 'href="[[unsubscribe_url]]"' in inlined
    assert 'href="https://x.nl/?a=1&amp;t=[[first_name]]"' in inlined
    assert "<p>[[first_name]]</p>" in inlined
    assert "{{ unsubscribe_url }}" not in inlined, "premailer mangles Jinja-style braces in href"


def test_every_placeholder_of_the_rendered_seed_survives_inlining(seed_nl):
    assert seed_nl.placeholders == {
        placeholders.UNSUBSCRIBE_URL,
        placeholders.WEB_VERSION_URL,
        placeholders.PREFERENCES_URL,
        placeholders.WALL_URL,
    }
    _, html, text = personalise(seed_nl, values(3))
    assert f'href="{BASE_URL}/netwerkmuur/3.sig"' in html
    assert f"{BASE_URL}/afmelden/3?t=abc3&amp;c=7" in html
    assert f"{BASE_URL}/archief/7?r=3" in text


# --- refusing to render --------------------------------------------------------------------


def test_an_unknown_placeholder_is_refused_when_rendering():
    content = b.CampaignContent(blocks=[b.Text("Beste [[achternaam]]")])
    with pytest.raises(TemplateError, match=r"\[\[achternaam\]\]"):
        render(content)


def test_a_block_the_templates_do_not_know_is_refused():
    class Poll:
        TYPE = "poll"

    content = b.CampaignContent(blocks=[b.Divider(), Poll()])  # type: ignore[list-item]
    with pytest.raises(TemplateError, match=r"block 1 \(Poll\) is not a content block"):
        render(content)


def test_a_template_that_fails_is_refused_with_what_failed():
    class OldNetwork:  # a caller passing something without the postal address
        name = "Opgavebeweging"
        email = "grenzeloossamenwerken@rijksoverheid.nl"
        timezone = "Europe/Amsterdam"

    with pytest.raises(TemplateError, match=r"could not be rendered.*address"):
        render_campaign(b.CampaignContent(), language="nl", network=OldNetwork(), base_url=BASE_URL)


def test_every_email_string_exists_in_both_languages_with_the_same_fields():
    # English is the msgid itself; Dutch is its entry in the catalog.
    catalog = dutch_catalog()
    for msgid in email_msgids():
        message = catalog.get(msgid)
        assert message is not None and message.string, msgid
        assert fields(message.string) == fields(msgid), msgid


def test_a_language_without_strings_is_refused():
    with pytest.raises(TemplateError, match="'de'"):
        render(b.CampaignContent(), "de")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_placeholder_has_a_stand_in_that_speaks_for_nobody(language):
    # The web version and a test email fill every placeholder from this one table; a new
    # placeholder without a stand-in would give them "no value for [[...]]" again.
    stand_ins = placeholders.stand_in_values(BASE_URL, language)
    assert set(stand_ins) == placeholders.ALL_NAMES
    holding_all = dataclasses.replace(
        render(sample(b.Kind.RECAP), language), placeholders=placeholders.ALL_NAMES
    )
    plain, _escaped = checked_values(holding_all, stand_ins)
    assert plain[placeholders.FIRST_NAME] == {"nl": "lezer", "en": "reader"}[language]
    for name in placeholders.URL_NAMES:
        # Public pages only: no signed link of anybody's.
        assert re.fullmatch(rf"{BASE_URL}/(archief|antwoord|aanmelden)", plain[name]), name


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_web_version_draws_no_link_that_acts_for_one_person(kind, language):
    meeting = MeetingFacts(
        starts_at=datetime(2027, 6, 1, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 6, 1, 11, 0, tzinfo=UTC),
        host_organisation="Gemeente Zwolle",
        city="Zwolle",
        id=3,
    )
    rendered = render(sample(kind), language, meeting=meeting, for_web=True)
    assert not rendered.placeholders & (placeholders.ANSWER_NAMES | {placeholders.UNSUBSCRIBE_URL})
    # The footer's preferences link is gone too; an organiser's own [[preferences_url]] link
    # stays, and gets its stand-in.
    typed = set(placeholders.names_in(str(sample(kind))))
    assert placeholders.PREFERENCES_URL not in rendered.placeholders - typed
