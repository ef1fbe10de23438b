"""The network card from a contact's signed link: the form updates the contact and the card, the
photo is checked, turned upright, shrunk and stripped of metadata, and every link that is not a
card link for an existing contact is refused. Organisers open and edit any card after login."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from service.cards import photos
from service.cards.cards import card_url
from service.contact_links import CARD, PREFERENCES, WALL, ContactSigner
from service.messages import Message
from service.models import CardPhoto, Consent, Contact, NetworkCard
from tests.builders import make_contact
from tests.conftest import csrf_token_from


def card_path(app, contact: Contact, purpose: str = CARD) -> str:
    """The path of the contact's link for a purpose (the card link by default)."""
    return "/netwerkkaart/" + ContactSigner(app.config["SECRET_KEY"], purpose).token(contact.id)


def stored_photo(db, name: str) -> bytes | None:
    """The bytes of a stored card photo, or None when it is not (or no longer) stored."""
    db.expire_all()
    photo = db.get(CardPhoto, name)
    return photo.data if photo is not None else None


def stored_photo_names(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(CardPhoto.filename)))


def jpeg_with_exif(size=(1600, 1200), orientation: int | None = None) -> bytes:
    """A JPEG straight from a 'camera': Make, Model, a GPS position and maybe an orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 60, 200), (0, 0, size[0] // 2, size[1] // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS 5D"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 5.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (5.0, 7.0, 10.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def image_bytes(fmt: str, size=(800, 400), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 60, 128) if mode == "RGBA" else (10, 120, 60)).save(out, fmt)
    return out.getvalue()


def card_form(**fields) -> dict:
    """A filled-in card form; fields override the defaults."""
    return {
        "name": "Anna de Vries",
        "organisation": "Provincie Utrecht",
        "role": "Programmamanager",
        "province": "utrecht",
        "treasure": "De Utrechtse Heuvelrug",
        "brings": "Ervaring met energietransitie",
        "seeks": "Mensen die werken aan woningbouw",
        "photo_alt": "",
        "on_wall": "y",
    } | fields


def submit(client, path: str, data: dict, photo: tuple[bytes, str] | None = None):
    """Open the card page (for a CSRF token) and post the form, with a photo file if given."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    data = dict(data, csrf_token=csrf_token_from(page.get_data(as_text=True)))
    if photo is not None:
        data["photo"] = (io.BytesIO(photo[0]), photo[1])
    return client.post(path, data=data, content_type="multipart/form-data")


def stored_card(db, contact: Contact) -> NetworkCard | None:
    db.expire_all()
    return db.get(NetworkCard, contact.id)


def test_the_card_filled_in_from_the_link_updates_contact_and_card(app, db):
    anna = make_contact(db, name="A. de Vries", organisation="Gemeente Zeist", province="zeeland")
    fresh = app.test_client()

    response = submit(fresh, card_path(app, anna), card_form())

    assert response.status_code == 200
    assert 'id="card-saved"' in response.get_data(as_text=True)
    db.expire_all()
    contact = db.get(Contact, anna.id)
    assert (contact.name, contact.organisation, contact.role, contact.province) == (
        "Anna de Vries",
        "Provincie Utrecht",
        "Programmamanager",
        "utrecht",
    )
    card = stored_card(db, anna)
    assert card.treasure == "De Utrechtse Heuvelrug"
    assert card.brings == "Ervaring met energietransitie"
    assert card.seeks == "Mensen die werken aan woningbouw"
    assert card.on_wall is True
    assert card.on_wall_since is not None
    assert card.photo == ""


def test_the_page_shows_what_is_stored_and_leaving_the_wall_clears_since_when(app, db, client):
    anna = make_contact(db, language="en")
    path = card_path(app, anna)
    submit(client, path, card_form())
    assert stored_card(db, anna).on_wall_since is not None

    page = client.get(path).get_data(as_text=True)
    assert "De Utrechtse Heuvelrug" in page
    assert 'value="Anna de Vries"' in page
    assert submit(client, path, card_form(on_wall="")).status_code == 200

    card = stored_card(db, anna)
    assert card.on_wall is False
    assert card.on_wall_since is None


def test_card_pages_are_private(app, db, client):
    anna = make_contact(db)
    response = client.get(card_path(app, anna))

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)


def test_the_page_speaks_the_contacts_language(app, db, client):
    anna = make_contact(db, language="en")
    page = client.get(card_path(app, anna)).get_data(as_text=True)
    assert "What I bring" in page
    assert "Show my card on the network wall" in page


def test_a_name_is_required_and_nothing_is_saved_without_it(app, db, client):
    anna = make_contact(db, name="Anna", language="en")
    response = submit(client, card_path(app, anna), card_form(name=""))

    assert response.status_code == 422
    assert "Fill in your name." in response.get_data(as_text=True)
    assert stored_card(db, anna) is None
    db.expire_all()
    assert db.get(Contact, anna.id).name == "Anna"


def test_an_unknown_province_is_refused(app, db, client):
    anna = make_contact(db, language="en")
    response = submit(client, card_path(app, anna), card_form(province="atlantis"))
    assert response.status_code == 422
    assert stored_card(db, anna) is None


def test_a_photo_is_shrunk_to_600_and_stripped_of_its_metadata(app, db, client):
    anna = make_contact(db)
    original = jpeg_with_exif()
    with Image.open(io.BytesIO(original)) as check:  # the test photo does carry the data
        assert check.getexif()[ExifTags.Base.Make] == "Canon"
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    response = submit(
        client,
        card_path(app, anna),
        card_form(photo_alt="Anna lacht, met de Dom achter haar"),
        photo=(original, "IMG_0001.JPG"),
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    # The page answering the upload already shows the new photo with its description.
    assert 'alt="Anna lacht, met de Dom achter haar"' in response.get_data(as_text=True)
    card = stored_card(db, anna)
    assert card.photo_alt == "Anna lacht, met de Dom achter haar"
    stored = stored_photo(db, card.photo)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (600, 450)
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
        assert "comment" not in image.info
    assert b"Canon" not in stored and b"Exif" not in stored and b"secret comment" not in stored
    # A random name: the address tells nothing about whose photo it is.
    assert photos.FILENAME.match(card.photo)


def test_the_photo_is_turned_upright_before_it_is_shrunk(app, db, client):
    anna = make_contact(db)
    # Orientation 6: the camera was held upright, the pixels lie on their side.
    sideways = jpeg_with_exif(size=(1200, 600), orientation=6)
    submit(client, card_path(app, anna), card_form(photo_alt="Anna"), photo=(sideways, "a.jpg"))

    card = stored_card(db, anna)
    with Image.open(io.BytesIO(stored_photo(db, card.photo))) as image:
        assert image.size == (300, 600)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_photos_are_accepted_and_stored_as_jpeg(app, db, client, fmt):
    anna = make_contact(db)
    data = image_bytes(fmt, size=(400, 900), mode="RGBA")
    response = submit(
        client, card_path(app, anna), card_form(photo_alt="Logo"), photo=(data, "photo.bin")
    )

    assert response.status_code == 200
    with Image.open(io.BytesIO(stored_photo(db, stored_card(db, anna).photo))) as image:
        assert image.format == "JPEG"
        assert image.size == (267, 600)


def test_the_stored_photo_is_shown_with_its_alt_text_on_the_own_card(app, db, client):
    anna = make_contact(db)
    path = card_path(app, anna)
    submit(client, path, card_form(photo_alt="Anna op de fiets"), photo=(jpeg_with_exif(), "a.jpg"))

    page = client.get(path).get_data(as_text=True)
    assert 'alt="Anna op de fiets"' in page
    photo = client.get(f"{path}/foto")
    photo.close()
    assert photo.status_code == 200
    assert photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "no-store"
    assert photo.headers["X-Robots-Tag"] == "noindex"
    # Another contact's card link does not give Anna's photo, and an altered one nothing.
    bram = make_contact(db)
    assert client.get(f"{card_path(app, bram)}/foto").status_code == 404
    assert client.get(f"{path}x/foto").status_code == 400
    # The file is not reachable under the public /media/ addresses of newsletter images.
    assert client.get(f"/media/{stored_card(db, anna).photo}").status_code == 404


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (image_bytes("GIF"), "photo.jpg"),
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (b"%PDF-1.4 not a photo", "photo.png"),
    ],
    ids=["gif", "html-named-jpg", "pdf"],
)
def test_a_file_that_is_no_jpeg_png_or_webp_is_refused_clearly(app, db, client, data, name):
    anna = make_contact(db, language="en")
    response = submit(client, card_path(app, anna), card_form(photo_alt="x"), photo=(data, name))

    assert response.status_code == 422
    assert "Only JPEG, PNG and WebP photos can be uploaded; this file is none." in (
        response.get_data(as_text=True)
    )
    assert stored_card(db, anna) is None
    assert stored_photo_names(db) == []


def test_an_oversized_upload_is_refused(app, db, client):
    anna = make_contact(db, language="en")
    path = card_path(app, anna)
    # A small request limit, so the test need not send MAX_UPLOAD_MB of data.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big = jpeg_with_exif() + b"\0" * (64 * 1024)

    response = submit(client, path, card_form(photo_alt="x"), photo=(big, "a.jpg"))

    assert response.status_code == 413
    mb = app.config["MAX_UPLOAD_MB"]
    assert f"The photo is too large: at most {mb} MB is accepted." in response.get_data(
        as_text=True
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert stored_card(db, anna) is None


def test_a_photo_over_the_limit_is_refused_by_the_photo_check_itself():
    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare_photo(jpeg_with_exif(), max_bytes=1024)
    assert refused.value.message == Message(
        "The photo is too large: at most %(mb)s MB is accepted.", {"mb": 0}
    )


def test_a_photo_needs_a_description(app, db, client):
    anna = make_contact(db, language="en")
    response = submit(
        client, card_path(app, anna), card_form(photo_alt="  "), photo=(jpeg_with_exif(), "a.jpg")
    )

    assert response.status_code == 422
    assert "Describe the photo for those who cannot see it." in response.get_data(as_text=True)
    assert stored_card(db, anna) is None
    assert stored_photo_names(db) == []


def test_a_new_photo_replaces_the_old_one_and_remove_deletes_it(app, db, client):
    anna = make_contact(db)
    path = card_path(app, anna)
    submit(client, path, card_form(photo_alt="Eerste"), photo=(jpeg_with_exif(), "a.jpg"))
    first = stored_card(db, anna).photo
    submit(client, path, card_form(photo_alt="Tweede"), photo=(image_bytes("PNG"), "b.png"))
    second = stored_card(db, anna).photo

    assert second != first
    assert stored_photo(db, first) is None
    assert stored_photo(db, second) is not None

    response = submit(client, path, card_form(photo_alt="Tweede", remove_photo="y"))
    assert response.status_code == 200
    card = stored_card(db, anna)
    assert (card.photo, card.photo_alt) == ("", "")
    assert stored_photo(db, second) is None
    assert client.get(f"{path}/foto").status_code == 404


def test_altered_links_and_links_for_another_purpose_are_refused(app, db, client):
    anna = make_contact(db, name="Anna", language="en")
    good = card_path(app, anna)
    for path in (
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "/netwerkkaart/" + str(anna.id),
        card_path(app, anna, PREFERENCES),
        card_path(app, anna, WALL),
    ):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 400, path
        assert "This link does not work" in response.get_data(as_text=True)
        assert response.headers["X-Robots-Tag"] == "noindex"
        token = csrf_token_from(client.get(good).get_data(as_text=True))
        posted = client.post(path, data=card_form(name="Mallory", csrf_token=token))
        assert posted.status_code == 400
    db.expire_all()
    assert db.get(Contact, anna.id).name == "Anna"


def test_the_link_of_a_deleted_contact_is_not_found(app, db, client):
    anna = make_contact(db)
    path = card_path(app, anna)
    db.delete(anna)
    db.commit()

    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_a_post_without_csrf_token_is_refused(app, db, client):
    anna = make_contact(db, name="Anna")
    path = card_path(app, anna)
    client.get(path)

    assert client.post(path, data=card_form()).status_code == 400
    assert app.test_client().post(path, data=card_form()).status_code == 400
    assert stored_card(db, anna) is None


def test_a_first_time_visitor_gets_a_session_for_the_form(app, db):
    anna = make_contact(db)
    fresh = app.test_client()
    page = fresh.get(card_path(app, anna))
    assert "session=" in page.headers.get("Set-Cookie", "")


def test_card_url_gives_the_contacts_card_link(app, db, client):
    anna = make_contact(db)
    url = card_url(anna.id, app.config["SECRET_KEY"], app.config["BASE_URL"])
    assert url.startswith("http://127.0.0.1:5000/netwerkkaart/")
    assert client.get(url.removeprefix("http://127.0.0.1:5000")).status_code == 200


def test_organiser_pages_need_a_login(app, db, client):
    anna = make_contact(db)
    for path in (
        "/cards/",
        f"/cards/{anna.id}",
        "/cards/wall",
        "/cards/photos/" + "a" * 32 + ".jpg",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]
    assert client.post(f"/cards/{anna.id}", data=card_form()).status_code in (302, 400)
    assert stored_card(db, anna) is None


def test_an_organiser_edits_any_card_and_sees_the_list(app, db, organiser):
    anna = make_contact(db, name="Anna", consent=Consent.GIVEN)
    bram = make_contact(db, name="Bram", consent=Consent.WITHDRAWN)

    response = submit(
        organiser,
        f"/cards/{anna.id}",
        card_form(name="Anna de Vries", photo_alt="Anna"),
        photo=(jpeg_with_exif(), "a.jpg"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    submit(organiser, f"/cards/{bram.id}", card_form(name="Bram"))

    card = stored_card(db, anna)
    assert card.brings == "Ervaring met energietransitie"
    assert db.get(Contact, anna.id).name == "Anna de Vries"
    page = organiser.get(f"/cards/{anna.id}").get_data(as_text=True)
    assert f"/cards/photos/{card.photo}" in page
    assert card_url(anna.id, app.config["SECRET_KEY"], app.config["BASE_URL"]) in page
    served = organiser.get(f"/cards/photos/{card.photo}")
    served.close()
    assert served.status_code == 200
    assert organiser.get("/cards/photos/" + "b" * 32 + ".jpg").status_code == 404

    listing = organiser.get("/cards/").get_data(as_text=True)
    assert f'href="/cards/{anna.id}"' in listing and f'href="/cards/{bram.id}"' in listing
    assert organiser.get("/cards/999999").status_code == 404


def test_a_photo_an_older_version_kept_on_disk_is_shown_and_moved_in(app, db, client, runner):
    # Before the photos moved into the database they were files in instance/media/cards.
    folder = Path(app.instance_path) / "media" / "cards"
    folder.mkdir(parents=True)
    prepared = photos.prepare_photo(jpeg_with_exif(), max_bytes=1024 * 1024)
    anna, bram = make_contact(db), make_contact(db)
    for contact, name in ((anna, "a" * 32 + ".jpg"), (bram, "b" * 32 + ".jpg")):
        (folder / name).write_bytes(prepared)
        db.add(NetworkCard(contact_id=contact.id, photo=name, photo_alt="Foto"))
    # A file no card shows any more is left where it is.
    (folder / ("c" * 32 + ".jpg")).write_bytes(prepared)
    db.commit()

    shown = client.get(f"{card_path(app, anna)}/foto")
    assert shown.status_code == 200 and shown.data == prepared
    shown.close()
    assert stored_photo(db, "a" * 32 + ".jpg") == prepared

    result = runner.invoke(args=["media", "import-files"])
    assert result.exit_code == 0, result.output
    assert "Moved 1 card photos" in result.output and "1 were there already" in result.output
    assert sorted(stored_photo_names(db)) == ["a" * 32 + ".jpg", "b" * 32 + ".jpg"]

    # Removing the photo removes the old file too.
    submit(client, card_path(app, anna), card_form(photo_alt="Foto", remove_photo="y"))
    assert stored_photo(db, "a" * 32 + ".jpg") is None
    assert not (folder / ("a" * 32 + ".jpg")).exists()
