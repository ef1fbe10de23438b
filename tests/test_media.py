"""Image uploads: checked by content, stored once, served publicly with a long cache."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from service.models import MediaBlob, MediaFile
from tests.conftest import csrf_token_from


def _image(fmt: str, size=(120, 80), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _upload(client, data: bytes, name: str = "foto.png", json: bool = True):
    token = csrf_token_from(client.get("/media/upload").get_data(as_text=True))
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        "/media/upload",
        data={"file": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
        headers=headers,
    )


@pytest.mark.parametrize(
    ("fmt", "extension", "content_type"),
    [
        ("PNG", "png", "image/png"),
        ("JPEG", "jpg", "image/jpeg"),
        ("GIF", "gif", "image/gif"),
        ("WEBP", "webp", "image/webp"),
    ],
)
def test_upload_answers_json_and_the_image_is_served(organiser, db, fmt, extension, content_type):
    data = _image(fmt)
    # The file name lies about the type; the bytes decide.
    response = _upload(organiser, data, name="plaatje.txt")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["width"] == 120 and body["height"] == 80
    assert body["url"].startswith("http://127.0.0.1:5000/media/")
    assert body["url"].endswith(f".{extension}")
    path = body["url"].removeprefix("http://127.0.0.1:5000")

    anonymous = organiser.application.test_client()
    served = anonymous.get(path)
    assert served.status_code == 200
    assert served.mimetype == content_type
    assert served.data == data
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert "immutable" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in served.headers
    # The ETag is the content hash, so every machine answers a cache's question alike.
    etag = served.headers["ETag"]
    assert etag.strip('"') in path
    served.close()
    again = anonymous.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    again.close()
    row = db.scalar(select(MediaFile))
    assert (row.content_type, row.width, row.height, row.original_name) == (
        content_type,
        120,
        80,
        "plaatje.txt",
    )


def test_same_image_twice_is_stored_once(organiser, db, app):
    data = _image("PNG")
    first = _upload(organiser, data)
    second = _upload(organiser, data, name="nog-een-keer.png")
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["url"] == second.get_json()["url"]
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 1
    # The bytes are kept once, in the database: no machine's instance folder holds them.
    assert db.scalar(select(func.count()).select_from(MediaBlob)) == 1
    assert not (Path(app.instance_path) / "media").exists()


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"<html><script>alert(1)</script></html>",
        b"\x89PNG\r\n\x1a\nnot really a png",
        b"",
    ],
)
def test_files_that_are_not_images_are_refused(organiser, db, data):
    response = _upload(organiser, data, name="foto.png")
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_upload_through_the_plain_form_redirects_and_lists_the_image(organiser):
    response = _upload(organiser, _image("PNG"), json=False)
    assert response.status_code == 302
    page = organiser.get(response.headers["Location"]).get_data(as_text=True)
    # The flash message and the table both give the image's address.
    assert page.count("http://127.0.0.1:5000/media/") >= 2
    assert "120 × 80" in page
    assert 'for="file"' in page
    # A thumbnail of each image, and the upload button looks like every other button.
    assert re.search(
        r'<img src="http://127.0.0.1:5000/media/[^"]+" alt="" class="media-thumb"', page
    )
    assert '<button type="submit" class="button">' in page


def test_refused_upload_through_the_form_shows_the_error_on_the_field(organiser):
    response = _upload(organiser, b"GIF89a kapot", json=False)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_upload_needs_login_and_csrf(organiser, app, db):
    anonymous = app.test_client()
    page = anonymous.get("/media/upload")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    refused = anonymous.post(
        "/media/upload",
        data={"file": (io.BytesIO(_image("PNG")), "a.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code in (302, 400)
    no_token = organiser.post(
        "/media/upload",
        data={"file": (io.BytesIO(_image("PNG")), "a.png")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_oversized_upload_is_413(app, organiser):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = _upload(organiser, _image("PNG", size=(400, 400)) + b"\0" * 4096)
    assert response.status_code == 413
    assert response.get_json()["error"]
    page = _upload(organiser, _image("PNG", size=(400, 400)) + b"\0" * 4096, json=False)
    assert page.status_code == 413 and "<h1" in page.get_data(as_text=True)


def test_unknown_media_names_are_404(client):
    assert client.get("/media/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/media/secret_key").status_code == 404


def test_an_image_another_session_stored_is_reused(app, db, organiser):
    from service.media.storage import store_image

    data = _image("GIF")
    first = store_image(db, data, original_name="a.gif")
    db.commit()
    # Another session, as a later request of another organiser has.
    other = app.extensions["db_sessionmaker"]()
    try:
        second = store_image(other, data, original_name="b.gif")
        other.commit()
        assert second.media.id == first.media.id and not second.created
    finally:
        other.close()


def test_an_image_loaded_by_a_mail_client_comes_without_a_session_cookie(organiser, db):
    # Every opened email loads its images from here. A session cookie on each answer would keep
    # caches and image proxies from sharing them (and replace the cookie of any other app on
    # the same host name: browsers keep cookies per host, not per port).
    path = _upload(organiser, _image("PNG")).get_json()["url"].removeprefix("http://127.0.0.1:5000")
    for public in (path, "/static/app.css"):
        served = organiser.application.test_client().get(public)
        served.close()
        assert served.status_code == 200, public
        assert "Set-Cookie" not in served.headers, public


def _legacy_file(app, data: bytes, extension: str = "png") -> str:
    """An image as versions before the database kept it: a file in instance/media."""
    folder = Path(app.instance_path) / "media"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{hashlib.sha256(data).hexdigest()}.{extension}"
    (folder / name).write_bytes(data)
    return name


def test_an_image_kept_on_disk_by_an_older_version_is_served_and_moved_in(app, client, db):
    data = _image("PNG")
    name = _legacy_file(app, data)
    served = client.get(f"/media/{name}")
    assert served.status_code == 200 and served.data == data
    assert "immutable" in served.headers["Cache-Control"]
    served.close()
    # From now on every machine serves it, whether or not it has the file.
    (Path(app.instance_path) / "media" / name).unlink()
    assert db.get(MediaBlob, name).data == data
    again = client.get(f"/media/{name}")
    assert again.status_code == 200 and again.data == data
    again.close()


def test_import_files_moves_only_checked_images_into_the_database(app, runner, db):
    good = _image("JPEG")
    name = _legacy_file(app, good, "jpg")
    folder = Path(app.instance_path) / "media"
    # A file whose bytes no longer match its name, and one that is no image, stay out.
    (folder / ("0" * 64 + ".png")).write_bytes(_image("PNG"))
    html = b"<html><script>alert(1)</script></html>"
    (folder / f"{hashlib.sha256(html).hexdigest()}.gif").write_bytes(html)
    (folder / "cards").mkdir()
    result = runner.invoke(args=["media", "import-files"])
    assert result.exit_code == 0, result.output
    assert "Moved 1 images" in result.output
    assert db.scalars(select(MediaBlob.filename)).all() == [name]
    second = runner.invoke(args=["media", "import-files"])
    assert "Moved 0 images" in second.output and "1 were there already" in second.output


def test_unknown_names_are_not_looked_for_on_disk(app, client):
    folder = Path(app.instance_path) / "media"
    folder.mkdir(parents=True)
    (folder / "secret_key").write_text("geheim")
    assert client.get("/media/secret_key").status_code == 404
    assert client.get("/media/..%2Fsecret_key").status_code == 404
