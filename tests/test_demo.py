"""The demo data and `opgavepost serve`, the embedded default, started as a real process."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from service.contacts.directory import validate_contact_fields
from service.dates import format_local, format_local_date
from service.demo.seed import CONTACTS, MEETINGS, load_demo, meeting_day
from service.meetings.agenda import validate_meeting_fields
from service.models import Consent, Contact, Meeting, MeetingStatus, NetworkCard, Reminder, User
from service.provinces import PROVINCES
from tests.builders import count_rows
from tests.conftest import csrf_token_from, free_port
from tests.worker_helpers import OPGAVEPOST, command_environment

TZ = "Europe/Amsterdam"

EXPECTED_PER_PROVINCE = {
    "zuid-holland": 8,
    "noord-holland": 4,
    "utrecht": 4,
    "overijssel": 4,
    "gelderland": 3,
    "noord-brabant": 3,
    "groningen": 2,
    "flevoland": 2,
    "landelijk": 5,
}
# "de provincies Zeeland, Limburg, Drenthe en Friesland nog niet vertegenwoordigd" (the recap)
NOT_YET_REPRESENTED = {"zeeland", "limburg", "drenthe", "friesland"}


def _today() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


def _tuesday_from(day: date) -> date:
    """The first Tuesday on or after `day`, counted day by day."""
    while day.strftime("%A") != "Tuesday":
        day += timedelta(days=1)
    return day


def _coming_dates(today: date) -> tuple[date, date]:
    """The demo's Zwolle and Amsterdam dates: a Tuesday 5 weeks and 4 months ahead."""
    return _tuesday_from(today + timedelta(weeks=5)), _tuesday_from(today + timedelta(days=120))


def _coming_days(today: date) -> tuple[str, str]:
    """The demo's Zwolle and Amsterdam days, in Dutch."""
    return tuple(
        format_local_date(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), TZ, "nl")
        for day in _coming_dates(today)
    )


def _reminder_moments(day: date) -> list[str]:
    """The default reminders of a meeting on `day` as the dashboard shows them: a week and a day
    before, at 09:00 on the Dutch wall clock."""
    return [
        format_local(
            datetime.combine(day - timedelta(days=before), dtime(9), ZoneInfo(TZ)), TZ, "nl"
        )
        for before in (7, 1)
    ]


def test_demo_contacts_per_province(db):
    assert load_demo(db) is not None
    db.commit()
    rows = db.execute(select(Contact.province, func.count()).group_by(Contact.province)).all()
    per_province = dict(rows)
    assert per_province == EXPECTED_PER_PROVINCE
    assert 30 <= sum(per_province.values()) <= 40
    assert set(PROVINCES) - set(per_province) == NOT_YET_REPRESENTED


def test_demo_holds_the_people_the_recap_names(db):
    load_demo(db)
    db.commit()
    for name in ("Maaïke Heijnen", "Jos van der Ploeg", "Bob Houtkamp"):
        person = db.scalar(select(Contact).where(Contact.name == name))
        assert person is not None, name
        assert person.organisation == "Provincie Zuid-Holland"
        assert person.province == "zuid-holland"
        assert person.email.endswith("@example.nl")
    assert "spreker" in db.scalar(select(Contact).where(Contact.name == "Bob Houtkamp")).tag_names


def test_demo_contacts_are_varied_and_consented(db):
    load_demo(db)
    db.commit()
    contacts = db.scalars(select(Contact)).all()
    assert all(c.consent == Consent.GIVEN for c in contacts)
    assert all(c.consent_source == "demo data" and c.consent_at is not None for c in contacts)
    assert sum(c.language == "en" for c in contacts) >= 2
    tags = {tag for c in contacts for tag in c.tag_names}
    assert {"kernteam", "spreker", "nieuw"} <= tags
    organisations = " ".join(c.organisation for c in contacts)
    for kind in ("Gemeente", "Provincie", "Ministerie", "Waterschap", "Hogeschool"):
        assert kind in organisations


def test_demo_addresses_are_only_example_domains():
    for person in CONTACTS:
        domain = person.email.rsplit("@", 1)[1]
        assert domain in ("example.nl", "example.org"), person.email
    assert len({p.email.lower() for p in CONTACTS}) == len(CONTACTS)


def test_demo_data_passes_the_apps_own_checks():
    for person in CONTACTS:
        checked = validate_contact_fields(
            {
                "email": person.email,
                "name": person.name,
                "organisation": person.organisation,
                "role": person.role,
                "province": person.province,
                "language": person.language,
                "tags": list(person.tags),
                "notes": person.notes,
            }
        )
        assert checked.province == person.province
    for meeting in MEETINGS:
        validate_meeting_fields(
            {
                "title": meeting.title,
                "theme": meeting.theme,
                "host_organisation": meeting.host_organisation,
                "city": meeting.city,
                "venue": meeting.venue,
                "address": meeting.address,
                "date": meeting_day(meeting, _today()),
                "start_time": meeting.starts,
                "end_time": meeting.ends,
                "capacity": meeting.capacity,
                "status": meeting.status.value,
                "description": meeting.description,
            },
            TZ,
        )


def test_demo_meetings_are_the_three_of_the_recap(db):
    load_demo(db)
    db.commit()
    zwolle_day, amsterdam_day = _coming_days(_today())
    meetings = db.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    seen = [
        (m.host_organisation, m.city, format_local_date(m.starts_at, TZ, "nl"), m.status)
        for m in meetings
    ]
    assert seen == [
        ("Provincie Zuid-Holland", "Den Haag", "dinsdag 4 maart 2025", MeetingStatus.HELD),
        ("Gemeente Zwolle", "Zwolle", zwolle_day, MeetingStatus.PUBLISHED),
        ("Hogeschool van Amsterdam", "Amsterdam", amsterdam_day, MeetingStatus.PUBLISHED),
    ]
    den_haag = meetings[0]
    assert den_haag.theme == "Wat als alles een opgave is?"
    assert den_haag.venue == "Provinciehuis"
    assert den_haag.address == "Zuid-Hollandplein 1, 2596 AW Den Haag"
    # Stored in UTC, shown on the Dutch wall clock (winter time in March).
    assert format_local(den_haag.starts_at, TZ, "nl") == "dinsdag 4 maart 2025, 09:30"
    assert den_haag.starts_at.hour == 8
    assert format_local(meetings[1].starts_at, TZ, "nl") == f"{zwolle_day}, 09:30"
    assert format_local(meetings[2].ends_at, TZ, "nl") == f"{amsterdam_day}, 13:00"
    assert all(m.ends_at > m.starts_at for m in meetings)


def test_demo_coming_meetings_lie_ahead_of_any_load_day(db):
    # A load on a Tuesday, on a Wednesday, at New Year: always Tuesdays, 5 weeks and 4 months on.
    for today, zwolle, amsterdam in (
        (date(2026, 12, 1), date(2027, 1, 5), date(2027, 4, 6)),
        (date(2026, 12, 2), date(2027, 1, 12), date(2027, 4, 6)),
        (date(2027, 1, 1), date(2027, 2, 9), date(2027, 5, 4)),
    ):
        assert [meeting_day(m, today) for m in MEETINGS] == [date(2025, 3, 4), zwolle, amsterdam]


def test_demo_coming_meetings_have_the_default_reminders(db):
    load_demo(db)
    db.commit()
    held, *coming = db.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    assert held.reminders == []
    for meeting in coming:
        reminders = sorted((r.days_before, r.send_time, r.audience) for r in meeting.reminders)
        assert reminders == [(1, "09:00", "yes"), (7, "09:00", "yes")]
        assert all(r.sent_at is None for r in meeting.reminders)
    assert count_rows(db, Reminder) == 4


def test_demo_wall_holds_the_provincieschat_cards(client, db):
    load_demo(db)
    db.commit()
    cards = db.scalars(select(NetworkCard).where(NetworkCard.on_wall)).all()
    treasures = {card.contact.name: card.treasure for card in cards}
    assert treasures["Noor Blijdorpsma"] == "Blijdorp, Rotterdam"
    assert treasures["Gerrit Noaberink"] == "Twents noaberschap"
    assert treasures["Marieke Domstra"] == "De Domtoren"
    assert len(cards) >= 3


def test_dashboard_shows_the_coming_meetings_and_their_reminders(organiser, db):
    load_demo(db)
    db.commit()
    zwolle_day, amsterdam_day = _coming_days(_today())
    html = organiser.get("/").get_data(as_text=True)
    assert "Geen bijeenkomst gepland" not in html
    table = re.search(r'<table id="coming-meetings">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.S)
    assert "Gemeente Zwolle" in rows[0] and f"{zwolle_day}, 09:30" in rows[0]
    assert "Hogeschool van Amsterdam" in rows[1] and f"{amsterdam_day}, 09:30" in rows[1]
    assert "Provincie Zuid-Holland" not in table
    for row in rows:
        assert len(re.findall(r'class="coming-reminder"', row)) == 2
        assert row.count("Aangemeld (zei ja)") == 2


def test_dashboard_says_which_provinces_the_demo_lacks(organiser, db):
    load_demo(db)
    db.commit()
    html = organiser.get("/").get_data(as_text=True)
    missing = re.search(r'<p[^>]*id="coverage-missing"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert {name for name in PROVINCES.values() if name in missing} == {
        "Zeeland",
        "Limburg",
        "Drenthe",
        "Friesland",
    }
    # Dutch by default, in the map's order from north to south.
    assert "Zeeland, Limburg, Drenthe en Friesland" in missing


def test_demo_loads_once(db):
    first = load_demo(db)
    db.commit()
    assert (first.contacts, first.meetings) == (len(CONTACTS), 3)
    assert load_demo(db) is None
    db.commit()
    assert count_rows(db, Contact) == len(CONTACTS)
    assert count_rows(db, Meeting) == 3


def test_demo_stays_out_of_a_database_with_only_meetings(db):
    from tests.builders import make_meeting

    make_meeting(db)
    assert load_demo(db) is None
    assert count_rows(db, Contact) == 0
    assert count_rows(db, Meeting) == 1


def test_demo_load_command(runner, db):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert f"Loaded the demo data: {len(CONTACTS)} contacts and 3 meetings." in result.output
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0
    assert "nothing was loaded" in again.output
    assert count_rows(db, Contact) == len(CONTACTS)


def test_demo_load_asks_for_an_upgrade_on_an_empty_database(tmp_path):
    from service import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'leeg.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    app.extensions["db_engine"].dispose()
    assert result.exit_code == 1
    assert "run 'opgavepost db upgrade' first" in result.output


# --- opgavepost serve, as a real process ----------------------------------------------------


@dataclass
class Served:
    url: str
    output: Path


@contextmanager
def serving(tmp_path: Path, env: dict[str, str], name: str) -> Iterator[Served]:
    """Run `opgavepost serve` on a free port until the block ends, then stop it with SIGTERM."""
    port = free_port()
    output, errors = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with output.open("w") as out, errors.open("w") as err:
        process = subprocess.Popen(
            [str(OPGAVEPOST), "serve", "--port", str(port)],
            stdout=out,
            stderr=err,
            env=env,
            cwd=tmp_path,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve stopped early: {errors.read_text()}")
            try:
                if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not answer in time: {errors.read_text()}")
            time.sleep(0.1)
        yield Served(url=url, output=output)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("serve did not stop on SIGTERM")
    assert process.returncode == 0, errors.read_text()
    assert "Traceback" not in errors.read_text()


def _coming_row(row: str) -> tuple[str, str, datetime, list[tuple[str, datetime]]]:
    """A row of the dashboard's coming meetings: the host, the start as shown and as a moment,
    and each reminder as shown ("<moment>: <audience>") with its moment."""
    host = re.search(r"<th scope=\"row\"><a [^>]*>([^<]+)</a>", row).group(1)
    start = re.search(r'<td><time datetime="([^"]+)">([^<]+)</time></td>', row)
    reminders = [
        (f"{shown}{rest}".strip(), datetime.fromisoformat(moment))
        for moment, shown, rest in re.findall(
            r'<li class="coming-reminder"><time datetime="([^"]+)">([^<]+)</time>([^<]*)</li>', row
        )
    ]
    return host, start.group(2), datetime.fromisoformat(start.group(1)), reminders


def _log_in(url: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{url}/login", timeout=10)
    response = browser.post(
        f"{url}/login",
        data={"email": email, "password": password, "csrf_token": csrf_token_from(form.text)},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.url == f"{url}/", "login did not lead to the dashboard"
    return browser


def test_serve_embedded_default_first_and_second_start(tmp_path):
    instance = tmp_path / "instance"
    env = command_environment(INSTANCE_PATH=str(instance))

    with serving(tmp_path, env, "first") as served:
        text = served.output.read_text()
        assert f"Opgavepost is running at {served.url}/" in text
        assert f"Loaded the demo data: {len(CONTACTS)} contacts and 3 meetings." in text
        email = re.search(r"Email: +(\S+)", text).group(1)
        password = re.search(r"Password: +(\S+)", text).group(1)
        assert email == "admin@example.nl"

        browser = _log_in(served.url, email, password)
        page = browser.get(f"{served.url}/meetings/", timeout=10).text
        zwolle_day, amsterdam_day = _coming_days(_today())
        for shown in (
            "dinsdag 4 maart 2025, 09:30",
            "De Opgavebeweging op bezoek bij Provincie Zuid-Holland",
            f"{zwolle_day}, 09:30",
            "Gemeente Zwolle",
            f"{amsterdam_day}, 09:30",
            "Hogeschool van Amsterdam",
        ):
            assert shown in page
        dashboard = browser.get(f"{served.url}/", timeout=10).text
        assert "Zeeland, Limburg, Drenthe en Friesland" in dashboard
        # A fresh start has meetings ahead, each with its reminders planned.
        assert "Geen bijeenkomst gepland" not in dashboard
        coming = re.search(r'<table id="coming-meetings">(.*?)</table>', dashboard, re.S).group(1)
        assert "Gemeente Zwolle" in coming and f"{zwolle_day}, 09:30" in coming
        assert "Hogeschool van Amsterdam" in coming and f"{amsterdam_day}, 09:30" in coming
        assert coming.count('class="coming-reminder"') == 4
        # Row by row: the meeting, its day, and its two reminders, all after this moment.
        now = datetime.now(UTC)
        rows = re.findall(r"<tr>(.*?)</tr>", coming.split("</tbody>")[0].split("<tbody>")[1], re.S)
        read = [_coming_row(row) for row in rows]
        assert [(host, shown) for host, shown, _, _ in read] == [
            ("Gemeente Zwolle", f"{zwolle_day}, 09:30"),
            ("Hogeschool van Amsterdam", f"{amsterdam_day}, 09:30"),
        ]
        for (_host, _shown, starts, reminders), day in zip(
            read, _coming_dates(_today()), strict=True
        ):
            assert starts > now
            assert [text for text, _due in reminders] == [
                f"{moment}: Aangemeld (zei ja)" for moment in _reminder_moments(day)
            ]
            assert all(now < due < starts for _text, due in reminders)
        # The dashboard's "next meeting" figure is Zwolle's.
        upcoming = re.search(r'<dd class="next-meeting">(.*?)</dd>', dashboard, re.S).group(1)
        assert "Gemeente Zwolle" in upcoming and f"{zwolle_day}, 09:30" in upcoming

    # The embedded default keeps everything in the instance folder.
    assert (instance / "opgavepost.db").exists()
    assert (instance / "secret_key").exists()

    with serving(tmp_path, env, "second") as served:
        text = served.output.read_text()
        assert "Password" not in text
        assert password not in text
        assert "Loaded the demo data" not in text
        assert f"Opgavepost is running at {served.url}/" in text
        _log_in(served.url, email, password)

    engine = create_engine(f"sqlite:///{instance / 'opgavepost.db'}")
    with Session(engine) as db:
        assert count_rows(db, Contact) == len(CONTACTS)
        assert count_rows(db, Meeting) == 3
        assert count_rows(db, User) == 1
    engine.dispose()


def test_serve_takes_the_admin_login_from_the_environment(app, database_url, tmp_path):
    env = command_environment(
        INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=database_url,
        ADMIN_EMAIL="Beheer@Example.org",
        ADMIN_PASSWORD="een-eigen-wachtwoord",
    )
    with serving(tmp_path, env, "serve") as served:
        text = served.output.read_text()
        assert "beheer@example.org" in text
        assert "Password" not in text
        assert "een-eigen-wachtwoord" not in text
        browser = _log_in(served.url, "beheer@example.org", "een-eigen-wachtwoord")
        page = browser.get(f"{served.url}/meetings/", timeout=10).text
        assert f"{_coming_days(_today())[0]}, 09:30" in page

    with app.app_context():
        from service.database import get_session

        db = get_session()
        assert count_rows(db, Contact) == len(CONTACTS)
        assert db.scalars(select(User.email)).all() == ["beheer@example.org"]
