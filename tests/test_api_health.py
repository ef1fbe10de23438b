"""/healthz: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

import os
import uuid

from sqlalchemy.engine import make_url

from service import create_app
from tests.conftest import DEFAULT_POSTGRES


def _app_on(database_url: str, tmp_path):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
        }
    )


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_sqlite_file_cannot_be_opened(tmp_path):
    app = _app_on(f"sqlite:///{tmp_path / 'no-such-folder' / 'opgavepost.db'}", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    app.extensions["db_engine"].dispose()


def test_healthz_answers_503_when_the_postgresql_database_does_not_exist(tmp_path):
    server = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    missing = server.set(database=f"opgavepost_missing_{uuid.uuid4().hex[:8]}")
    app = _app_on(missing.render_as_string(hide_password=False), tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    app.extensions["db_engine"].dispose()
