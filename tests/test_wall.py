"""The network wall: only cards of contacts who chose the wall and gave consent, with search and
filters, for holders of a wall link or organisers, and never for anyone else."""

from __future__ import annotations

import io
import re

from PIL import Image

from service.cards import photos
from service.cards.cards import wall_cards
from service.contact_links import CARD, PREFERENCES, WALL, ContactSigner
from service.database import session_scope
from service.models import Consent, Contact, NetworkCard, utcnow
from tests.builders import make_contact


def wall_path(app, contact: Contact, purpose: str = WALL) -> str:
    return "/netwerkmuur/" + ContactSigner(app.config["SECRET_KEY"], purpose).token(contact.id)


def make_card(db, contact: Contact, on_wall: bool = True, **fields) -> NetworkCard:
    """A stored card for the contact, on the wall unless told otherwise."""
    values = {"treasure": "", "brings": "", "seeks": "", "photo": "", "photo_alt": ""} | fields
    card = NetworkCard(
        contact_id=contact.id,
        on_wall=on_wall,
        on_wall_since=utcnow() if on_wall else None,
        **values,
    )
    db.add(card)
    db.commit()
    return card


def names_on(response) -> list[str]:
    """The names of the cards the wall page shows, in order."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.findall(r"<h3>([^<]+)</h3>", response.get_data(as_text=True))


def stored_photo(app) -> str:
    """A prepared photo, stored; returns its name."""
    out = io.BytesIO()
    Image.new("RGB", (50, 50), (0, 90, 0)).save(out, "PNG")
    prepared = photos.prepare_photo(out.getvalue(), max_bytes=1024 * 1024)
    with session_scope(app) as session:
        return photos.store_photo(session, prepared)


def test_the_wall_shows_only_cards_on_the_wall_with_consent(app, db, client):
    viewer = make_contact(db, name="Kijker")
    anna = make_contact(db, name="Anna", consent=Consent.GIVEN)
    bram = make_contact(db, name="Bram", consent=Consent.WITHDRAWN)
    carla = make_contact(db, name="Carla", consent=Consent.UNKNOWN)
    dirk = make_contact(db, name="Dirk", consent=Consent.GIVEN)
    for contact in (anna, bram, carla):
        make_card(db, contact, on_wall=True)
    make_card(db, dirk, on_wall=False)

    response = client.get(wall_path(app, viewer))

    assert names_on(response) == ["Anna"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)


def test_withdrawing_consent_or_leaving_the_wall_hides_the_card_at_once(app, db, client):
    anna = make_contact(db, name="Anna")
    bram = make_contact(db, name="Bram")
    make_card(db, anna)
    card_b = make_card(db, bram)
    path = wall_path(app, anna)
    assert names_on(client.get(path)) == ["Anna", "Bram"]

    anna.consent = Consent.WITHDRAWN
    card_b.on_wall = False
    db.commit()

    assert names_on(client.get(path)) == []


def test_the_wall_shows_the_card_with_photo_and_alt_text(app, db, client):
    anna = make_contact(
        db, name="Anna", organisation="Provincie Utrecht", role="Adviseur", language="en"
    )
    photo = stored_photo(app)
    make_card(
        db,
        anna,
        treasure="De Heuvelrug",
        brings="Kennis van warmtenetten",
        seeks="Woningbouwers",
        photo=photo,
        photo_alt="Anna op de fiets",
    )
    path = wall_path(app, anna)

    page = client.get(path).get_data(as_text=True)

    for text in ("De Heuvelrug", "Kennis van warmtenetten", "Woningbouwers", "Provincie Utrecht"):
        assert text in page
    assert f'src="{path}/foto/{photo}"' in page
    assert 'alt="Anna op de fiets"' in page
    served = client.get(f"{path}/foto/{photo}")
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    # The own card link is offered, to fill in or change one's card.
    own = "/netwerkkaart/" + ContactSigner(app.config["SECRET_KEY"], CARD).token(anna.id)
    assert f'href="{own}"' in page


def test_a_photo_of_a_card_off_the_wall_is_not_served(app, db, client):
    anna = make_contact(db, name="Anna")
    bram = make_contact(db, name="Bram", consent=Consent.WITHDRAWN)
    photo_a, photo_b = stored_photo(app), stored_photo(app)
    make_card(db, anna, on_wall=False, photo=photo_a, photo_alt="A")
    make_card(db, bram, on_wall=True, photo=photo_b, photo_alt="B")
    path = wall_path(app, anna)

    assert client.get(f"{path}/foto/{photo_a}").status_code == 404
    assert client.get(f"{path}/foto/{photo_b}").status_code == 404
    assert client.get(f"{path}/foto/..%2f..%2fsecret").status_code == 404


def test_search_finds_name_organisation_brings_seeks_and_treasure(app, db, client):
    anna = make_contact(db, name="Anna de Vries", organisation="Gemeente Zwolle", language="en")
    bram = make_contact(db, name="Bram Bakker", organisation="Provincie Utrecht")
    carla = make_contact(db, name="Carla Smit", organisation="Waterschap Vallei")
    make_card(db, anna, brings="Warmtenetten", seeks="Woningbouw", treasure="De IJssel")
    make_card(db, bram, brings="Data-analyse", seeks="Mobiliteit", treasure="Kromme Rijn")
    make_card(db, carla, brings="Dijken", seeks="Warmte uit water", treasure="De Veluwe")
    path = wall_path(app, anna)

    def search(q: str) -> list[str]:
        return names_on(client.get(path, query_string={"q": q}))

    assert search("vries") == ["Anna de Vries"]
    assert search("UTRECHT") == ["Bram Bakker"]
    assert search("data-analyse") == ["Bram Bakker"]
    assert search("mobiliteit") == ["Bram Bakker"]
    assert search("veluwe") == ["Carla Smit"]
    assert search("warmte") == ["Anna de Vries", "Carla Smit"]
    assert search("warmte water") == ["Carla Smit"]
    assert search("100%") == []
    # Names and organisations with case and accents ignored; addresses are never searched.
    esmee = make_contact(
        db, name="Esmée Çelik", email="esmee@voorbeeld.nl", organisation="École Utrecht"
    )
    make_card(db, esmee, brings="Participatie")
    assert search("esmee") == ["Esmée Çelik"]
    assert search("ECOLE celik") == ["Esmée Çelik"]
    assert search("voorbeeld.nl") == []
    assert "No card matches this search" in client.get(
        path, query_string={"q": "onbekend"}
    ).get_data(as_text=True)


def test_filters_on_province_and_organisation(app, db, client):
    anna = make_contact(db, name="Anna", organisation="Gemeente Zwolle", province="overijssel")
    bram = make_contact(db, name="Bram", organisation="Gemeente Zwolle", province="utrecht")
    carla = make_contact(db, name="Carla", organisation="Provincie Utrecht", province="utrecht")
    hidden = make_contact(db, name="Dirk", organisation="Verborgen BV", province="utrecht")
    for contact in (anna, bram, carla):
        make_card(db, contact)
    make_card(db, hidden, on_wall=False)
    path = wall_path(app, anna)

    assert names_on(client.get(path, query_string={"province": "utrecht"})) == ["Bram", "Carla"]
    assert names_on(client.get(path, query_string={"organisation": "Gemeente Zwolle"})) == [
        "Anna",
        "Bram",
    ]
    both = {"province": "utrecht", "organisation": "Gemeente Zwolle"}
    assert names_on(client.get(path, query_string=both)) == ["Bram"]
    page = client.get(path).get_data(as_text=True)
    # The organisation filter offers those on the wall, not those of hidden cards.
    assert '<option value="Provincie Utrecht">' in page
    assert "Verborgen BV" not in page


def test_the_wall_is_paged(app, db, client):
    contacts = [make_contact(db, name=f"Lid {n:02d}") for n in range(30)]
    for contact in contacts:
        make_card(db, contact)
    path = wall_path(app, contacts[0])

    first = client.get(path)
    assert len(names_on(first)) == 24
    assert f"{path}?page=2" in first.get_data(as_text=True)
    assert names_on(client.get(path, query_string={"page": 2})) == [
        f"Lid {n:02d}" for n in range(24, 30)
    ]
    assert len(names_on(client.get(path, query_string={"page": 99}))) == 6
    assert wall_cards(db, q="lid", page=2).total == 30


def test_no_wall_without_a_valid_wall_link_or_login(app, db, client):
    anna = make_contact(db, name="Anna", language="en")
    make_card(db, anna)
    good = wall_path(app, anna)

    for path in (
        good[:-3] + "xyz",
        "/netwerkmuur/" + str(anna.id),
        wall_path(app, anna, CARD),
        wall_path(app, anna, PREFERENCES),
    ):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 400, path
        assert "Anna" not in names_on_any(response)
    assert client.get("/netwerkmuur/").status_code == 404
    assert client.get("/netwerkmuur").status_code == 404
    organiser_wall = client.get("/cards/wall")
    assert organiser_wall.status_code == 302 and "/login" in organiser_wall.headers["Location"]


def names_on_any(response) -> list[str]:
    return re.findall(r"<h3>([^<]+)</h3>", response.get_data(as_text=True))


def test_the_wall_link_of_a_deleted_contact_is_not_found(app, db, client):
    anna = make_contact(db, name="Anna")
    bram = make_contact(db, name="Bram")
    make_card(db, bram)
    path = wall_path(app, anna)
    db.delete(anna)
    db.commit()

    response = client.get(path)
    assert response.status_code == 404
    assert "Bram" not in response.get_data(as_text=True)


def test_organisers_see_the_wall_after_login(app, db, organiser):
    anna = make_contact(db, name="Anna")
    bram = make_contact(db, name="Bram", consent=Consent.WITHDRAWN)
    photo = stored_photo(app)
    make_card(db, anna, photo=photo, photo_alt="Anna")
    make_card(db, bram)

    response = organiser.get("/cards/wall", query_string={"q": ""})

    assert names_on(response) == ["Anna"]
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert f'src="/cards/photos/{photo}"' in response.get_data(as_text=True)
    listing = organiser.get("/cards/").get_data(as_text=True)
    assert "Anna" in listing and "Bram" in listing
