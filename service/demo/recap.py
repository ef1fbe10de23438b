"""The seed recap (Provincie Zuid-Holland, 4 March 2025) expressed as content blocks.

Taken word for word from the recap the network sent, typing slips and two "Klik hier" links to
"#" included, so the demo shows what lint finds until an organiser mends them; the third leads to
each member's own link to the network wall ([[muur_url]]). The table of
upcoming meetings is not part of the content: the caller passes the meetings after this one (from
the database in the app; `seed_upcoming_meetings()` for tests, the demo and the benchmark).
"""

from __future__ import annotations

from datetime import date, time

from service import dates
from service.rendering.blocks import (
    BulletList,
    CampaignContent,
    ClosingQuote,
    Divider,
    Header,
    Kind,
    Mailto,
    QuoteWall,
    Text,
    UpcomingMeetings,
    WallQuote,
)
from service.rendering.render import MeetingFacts

NETWORK_EMAIL = "grenzeloossamenwerken@rijksoverheid.nl"


def seed_recap() -> CampaignContent:
    """The recap of the meeting at Provincie Zuid-Holland on 4 March 2025, as a draft."""
    return CampaignContent(
        kind=Kind.RECAP,
        subject="Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        preheader=(
            "Wat als alles een opgave is? Een terugblik op 4 maart in het Provinciehuis in "
            "Den Haag."
        ),
        blocks=[
            Header(
                title="De Opgavebeweging op bezoek bij",
                host="Provincie Zuid-Holland",
                date=date(2025, 3, 4),
                place="Provinciehuis in Den Haag",
                theme="wat als alles een opgave is?",
            ),
            Text(
                "Op dinsdag 4 maart openen de collega's van Provincie Zuid-Holland de deuren van "
                "hun duurzame Provinciehuis in Den Haag. Ze gaven de Opgavebeweging een inkijk in "
                "hun opgavegericht aanpak.\n\n"
                "Sinds bijna twee jaar werkt de Provincie Zuid-Holland volledig opgavegericht. Dit "
                "vraagt om het opnieuw uitvinden van de logica, het herinrichten van systemen en "
                "het veranderen van het gedrag van medewerkers. Tijdens de bijeenkomst gingen we "
                "aan de slag met vraagstukken vanuit de provincie.\n\n"
                "Hier vind je een terugblik op de ochtend en de inzichten die we opdeden. Heb je "
                f"ideeën of vragen? Mail naar [{NETWORK_EMAIL}](mailto:{NETWORK_EMAIL})."
            ),
            Text(
                "Benieuwd naar een sfeerimpressie en inhoudelijke terugblik op de dag bij "
                "Provincie Zuid-Holland? [Klik hier.](#)"
            ),
            Text(
                "## Check-in: jouw provincieschat\n\n"
                "We begonnen de ochtend met een check-in om elkaar beter te leren kennen. De vraag "
                "was: Wat is jouw provincieschat?\n\n"
                "Iedereen tekende de contouren van hun thuisprovincie en plaatste de schat van die "
                "provincie erin.\n\n"
                "De deelnemers die voor het eerst aanwezig waren, stelden zich voor aan de hand "
                "van hun 'provincieschat'. Daarbij werd ook duidelijk dat de provincies Zeeland, "
                "Limburg, Drenthe en Friesland nog niet vertegenwoordigd zijn in het netwerk."
            ),
            QuoteWall(
                [
                    WallQuote("Blijdorp\nRotterdam"),
                    WallQuote("Twents\nNoaberschap"),
                    WallQuote("Domtoren"),
                ]
            ),
            Divider(),
            Text(
                "## Wat doet de Provincie Zuid-Holland?\n\n"
                "De provincie Zuid-Holland (PZH) werkt aan een sterke, leefbare en duurzame regio. "
                "De provincie zorgt voor de inrichting van stad en platteland. Van "
                "energietransitie "
                "tot natuurbeheer en van mobiliteit tot erfgoed.\n\n"
                "Waar bouwen we nieuwe woningen? Hoe zorgen we voor voldoende groen en water? Met "
                "een integrale aanpak werkt de provincie een gezonde en **toekomstbestendige "
                "leefomgeving**. Schone lucht, een circulaire economie en duurzame energie uit "
                "wind, zon en waterstof staan daarbij centraal. Het platteland is in transitie. "
                "PZH "
                "ondersteunt duurzame landbouw, investeert in **natuurbeheer** en werkt samen met "
                "gemeenten en natuurorganisaties aan **vitaal platteland**.\n\n"
                "Goede **regionale bereikbaarheid** is cruciaal. De provincie verbindt steden, "
                "dorpen en economische knooppunten met beter openbaar vervoer, veilige fietsroutes "
                "en slimme infrastructuur. De **regionale economie** wordt door de provincie "
                "ondersteund. Ook erfgoed en monumentenzorg krijgen aandacht van de provincie. "
                "Daarnaast houdt de provincie **toezicht op gemeenten**.\n\n"
                "[Klik hier](#) voor een informatief filmpje over de Provincie Zuid-Holland."
            ),
            Text(
                "## Opgavegericht organiseren\n\n"
                "Jos van der Ploeg deelde hoe Provincie Zuid-Holland (PZH) meer dan 10 jaar "
                "geleden klein begon met een guerrilla-aanpak en hoe de organisatie inmiddels "
                "volledig opgavegericht werkt. Opgavegericht organiseren draait om de driehoek: "
                "wat "
                "de opdracht is (ambtelijk opdrachtgever), hoe de opdracht wordt uitgevoerd "
                "(ambtelijk opdrachtnemer), en wat voor de politiek belangrijk is (bestuurlijk "
                "opdrachtgever).\n\n"
                "Lessen uit de praktijk:"
            ),
            BulletList(
                [
                    "Niet alles is een opgave",
                    "Veranderingen moeten niet top-down, maar vanuit de praktijk worden benaderd.",
                    "Voor het management is veel te leren en te ontwikkelen.",
                    "Werk altijd vanuit de praktijk: doordat PZH zich te veel richtte op de "
                    "inrichting van het management zijn er twee werkelijkheden ontstaan: "
                    "management en de werkvloer.",
                ]
            ),
            Divider(),
            Text(
                "## In de praktijk: Groene cirkels\n\n"
                "Bob Houtkamp (ambtelijk opdrachtgever) legde uit hoe je een droom over een "
                "systeemverandering vorm kunt bereiken met 'Groene cirkels'. In 'Groene cirkels' "
                "wacht je niet op beleid, maar ga je in gesprek met partners uit verschillende "
                "sectoren en zoek je naar mogelijkheden om samenwerking te versterken.\n\n"
                "Een gedeelde motivatie vormt hiervoor de basis. We zoeken naar kansen om "
                "initiatieven te verstrekken en van elkaar te leren. Als de energie voelbaar is en "
                "de ideeën op tafel liggen, pakken we onderwerpen beet en verkennen we wat er wel "
                "mogelijk is. Concrete acties die bijdragen aan de grotere droom.\n\n"
                "Transitie vraagt om dialoog, vertrouwen, en doorzettingsvermogen. Je moet van "
                "elkaar leren en stappen zetten op basis van wederzijds respect. Iedereen neemt "
                "verantwoordelijkheid voor zijn eigen rol in het proces. Denk out of the box en "
                "sta "
                "open voor nieuwe partijen, oplossingen en innovatie. Zo wordt de droom "
                "werkelijkheid en worden de plannen uitgevoerd."
            ),
            QuoteWall(
                [
                    WallQuote(
                        "Zonder dat je iets wilt, heeft een netwerk geen zin. "
                        "In het midden ligt 'iets'."
                    ),
                    WallQuote("Laat sommige collega's met rust!"),
                    WallQuote(
                        "Al het werk draagt bij aan de opgave, maar niet al ons werk ins "
                        "opgavegericht"
                    ),
                    WallQuote("Dat is het spel dat we met elkaar te leren hebben."),
                    WallQuote("Waar is de buitenwereld?"),
                    WallQuote("We graven naar waarden en ontkennen niet dat er belangen zijn."),
                    WallQuote("Ik leef in een wereld waarin opgaves extern zijn gedefinieerd."),
                    WallQuote(
                        "Hoe formuleren jullie een opgave? Vanuit eigen aandeel in het geheel of "
                        "vanuit jullie eigen vraagstuk?"
                    ),
                ]
            ),
            Text(
                "## De vraagstukken van Provincie Zuid-Holland\n\n"
                "Tijdens de bijeenkomsten gingen we aan ronde tafels in gesprek over drie "
                "vraagstukken van de Provincie Zuid-Holland. De deelnemers bespraken deze drie "
                "thema's:\n\n"
                "### 1. Kloof tussen topmanagement en werkvloer\n\n"
                "Uit de tussenevaluatie van opgavegericht werken bleek dat er een kloof is tussen "
                "het topmanagement en de werkvloer. De directie is er nog niet in geslaagd om de "
                "rest van de organisatie goed mee te nemen in de veranderingen. Hoe zorg je ervoor "
                "dat de organisatie betrokken blijft zonder hen te overspoelen met informatie? En "
                "hoe voorkom je dat de werkvloer 'afhaakt' dit langdurige proces?\n\n"
                "### 2. Gedrag van medewerkers\n\n"
                "Opgavegericht werken vraagt ook om ander gedrag van medewerkers. Ze moeten in "
                "staat zijn om samen te werken met collega's, inwoners en externe partijen aan "
                "opgaven en de bijbehorende programma's en projecten. Hoe kun je medewerkers "
                "hierin ondersteunen en helpen zich verder te ontwikkelen?\n\n"
                "### 3. Inrichting van bedrijfsvoering\n\n"
                "De Provincie Zuid-Holland heeft ervoor gekozen om alles opgavegericht te "
                "organiseren. Maar is dat wel logisch voor de bedrijfsvoering, zoals de "
                "IT-helpdesk, catering of salarisadministratie? Wat zijn de voor- en nadelen van "
                "het opgavegericht organiseren van bedrijfsvoering, in plaats van alleen de "
                "maatschappelijke vraagstukken?"
            ),
            Text(
                "## Inzichten bij 1. 'Kloof tussen topmanagement en werkvloer'\n\n"
                "In de drie rondes kwam de vraag op wie de kloof eigenlijk voelt. Tijdens de "
                "eerste "
                "ronde werd vooral gedacht over de vragen: van wie is het probleem eigenlijk is en "
                "wie voelt de kloof? In de tweede ronde kwam naar voren dat de 'waarom' beter "
                "vanuit de werkvloer (bottom-up) kan worden uitgelegd. De interne organisatie is "
                "inmiddels zo complex geworden dat er veel onduidelikheden zijn. De "
                "onduidelikheden "
                "kunnen juist de opgaven zijn, zoals bleek uit de derde ronde.\n\n"
                "Er zijn verschillende oplossingen aangedragen:"
            ),
            BulletList(
                [
                    "Stop met praten en begin gewoon, creëer de randvoorwaarden achter de schermen "
                    "en houd het guerilla-aanpak vast. Blijf proberen en experimenteren.",
                    "Versimpel de interne sturing en werk samen met de werkvloer om het hoe en "
                    "waarom te bepalen. Zo kan de kloof worden gedicht. Betrek het topmanagement "
                    "bij de werkvloer en laat ze meedraaien. Ga het gesprek aan tussen management "
                    "en werkvloer over de zorgen die mensen hebben.",
                    "Heb aandacht voor noodzakelijke veranderingen in het anders invullen van "
                    "opdrachtgeverschap en opdrachtnemerschap en de spanning die hierbij kan "
                    "ontstaan.",
                    "Begin bij de intrinsieke motivatie van medewerkers. Sta samen stil bij de "
                    "opgaven. Zo creëer je duidelijkheid of kun je samen op zoek naar antwoorden: "
                    "wat betekent het eigenlijk?",
                    "Vier kleine successen, benoem ze, laat ze zien en deel ze breed.",
                ]
            ),
            Text(
                "## Inzichten bij 2. 'Gedrag van medewerkers'\n\n"
                "Verandering vraagt om veel zoeken. Hoe werken we samen? Wat zijn de regels? Wie "
                "is verantwoordelijk? Waarop worden medewerkers beoordeeld? Hoe help je "
                "medewerkers om op een nieuwe manier te werken? Gedrag is geen doel op zich, maar "
                "iedereen moet op een manier bijdragen die past bij de organisatie. Dit vraagt om "
                "duidelijkheid en antwoorden op de vragen van medewerkers. Er is een "
                "eilandjescultuur die doorbroken moet worden.\n\n"
                "Oplossingen die aan de tafels werden bedacht:"
            ),
            BulletList(
                [
                    "Bepaal de norm van wat goed werk is en verbind dit aan gewenst gedrag. Maak "
                    "duidelijk wat wel en niet een opgave is. Zorg voor een sterk veranderverhaal. "
                    "Doorbreek de reflex van beleid maken: ga naar buiten! Dit vraagt ook om "
                    "verandering bij samenwerkingspartners.",
                    "Ondersteun medewerkers en managers bij de verandering. Geef hen "
                    "handelingsvrijheid, maar waak voor vrijblijvendheid en “cherry picking”. "
                    "Vertrouwen in medewerkers is de basis. Inspirerende voorbeelden en "
                    "voorbeeldgedrag zijn belangrijk.",
                    "Verdeel rollen en taken op basis van de kwaliteiten van medewerkers. "
                    "P-functionarissen en leidinggevenden spelen een belangrijke rol in de "
                    "praktische ondersteuning.",
                    "Bied kaders en duidelijke structuren waar mogelijk. Zorg voor helder "
                    "opdrachtgeverschap en faciliteer dat. Bied ruimte en tijd voor de dialoog en "
                    "voor experimenteren met nieuwe manieren van werken. Dit vraagt ook om "
                    "kwetsbaarheid, ruimte om te zoeken, het “niet weten” en(extra) aandacht om "
                    "te leren.",
                ]
            ),
            Text(
                "## Inzichten bij 3. 'Inrichting van bedrijfsvoering'\n\n"
                "De Provincie Zuid-Holland heeft de bedrijfsvoering ook opgavegericht ingericht. "
                "Niet alles is een opgave: 80% van het werk in de bedrijfsvoering is regulier "
                "werk, en 20% kan worden gekoppeld aan opgaven.\n\n"
                "De uitdaging voor bedrijfsvoering ligt in verantwoording en monitoring. Deze "
                "passen niet goed bij opgavegericht werken. Presteren is geen individuele "
                "prestatie, maar een groepsprestatie. Het resultaat van samen werken is "
                "belangrijker dan de traditionele KPI's, die vaak worden gebruikt.\n\n"
                "Het kan nuttiger zijn om niet alles als een opgave te beschouwen, maar om de term "
                "'wendbaar werken' te gebruiken. Dat zorgt voor de benodigde flexibiliteit en "
                "voorkomt discussie over termen zoals programma's, projecten of experimenten. "
                "'Intelligent vooruit struikelen' kan een manier zijn om ruimte te creëren, door "
                "verantwoordelijkheid te nemen als iets misgaat.\n\n"
                "Bedrijfsvoering kan een grote meerwaarde hebben bij opgavegericht werken. Door "
                "hun inbreng vanaf het begin kunnen mogelijke discussies in een latere fase worden "
                "voorkomen."
            ),
            Text(
                "Alle aanwezigen bij de Opgavebeweging vullen een netwerkkaart in en laten "
                "zichzelf vereeuwigen met de polaroidcamera.\n\n"
                "[Klik hier]([[muur_url]]) om de digitale netwerkmuur te bekijken en contacten te "
                "leggen."
            ),
            Divider(),
            Text(
                "## De Opgavebeweging beweegt verder 2025 in\n\n"
                "Bedankt aan de collega's van Provincie Zuid-Holland voor de warme ontvangst en "
                "waardevolle inzichten. Wij kijken terug op een geslaagde en inspirerende "
                "bijeenkomst.\n\n"
                "De volgende Opgavebeweging bijeenkomsten zijn als gepland:"
            ),
            UpcomingMeetings(),
            Mailto(
                text=(
                    "Wil je iemand aandragen om mee te doen met de Opgavebeweging? Leuk! Stuur dan "
                    f"een mailtje naar {NETWORK_EMAIL} en dan plannen wij een "
                    "kennismakingsgesprek om meer informatie te geven."
                ),
                email=NETWORK_EMAIL,
                subject="Aanmelding voor de Opgavebeweging",
            ),
            Text(
                "Wil je de Opgavebeweging naar jouw organisatie brengen? Of heb je ideeën voor "
                "toekomstige bijeenkomsten? Mail dan ook naar bovenstaand e-mailadres.\n\n"
                "Graag tot de volgende keer!"
            ),
            ClosingQuote(
                text="Met de Opgavebeweging hadden we zomaar een hele grote denktank in huis!",
                name="Maaïke Heijnen",
                organisation="Provincie Zuid-Holland",
            ),
        ],
    )


def seed_upcoming_meetings(timezone: str = "Europe/Amsterdam") -> list[MeetingFacts]:
    """The two meetings after the seed recap, as the seed's table lists them."""
    return [
        MeetingFacts(
            starts_at=dates.local_to_utc(date(2025, 6, 3), time(10, 0), timezone),
            ends_at=dates.local_to_utc(date(2025, 6, 3), time(13, 0), timezone),
            host_organisation="Gemeente Zwolle",
            city="Zwolle",
        ),
        MeetingFacts(
            starts_at=dates.local_to_utc(date(2025, 9, 30), time(10, 0), timezone),
            ends_at=dates.local_to_utc(date(2025, 9, 30), time(13, 0), timezone),
            host_organisation="Hogeschool van Amsterdam",
            city="Amsterdam",
        ),
    ]
