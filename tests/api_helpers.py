"""Helpers for the API tests: an organiser with a real token, and a client that sends it."""

from __future__ import annotations

from typing import Any

from service.auth.users import create_api_token, create_user
from service.database import session_scope
from service.models import Role


class ApiClient:
    """Flask's test client with `Authorization: Bearer <token>` on every request."""

    def __init__(self, client: Any, token: str):
        self.client = client
        self.token = token

    def open(self, method: str, path: str, **kwargs: Any):
        """Send a request with the token; headers given are added to it."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any):
        return self.open("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self.open("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.open("DELETE", path, **kwargs)


def make_token(app, email: str, role: Role = Role.ORGANISER, language: str = "nl") -> str:
    """Create an organiser and an API token for them, as `opgavepost tokens create` does."""
    with session_scope(app) as session:
        user = create_user(session, email, "een-lang-wachtwoord", role, email.split("@")[0])
        user.language = language
        return create_api_token(session, user, "tests")


def api_client(app, role: Role = Role.ORGANISER, language: str = "nl") -> ApiClient:
    """A test client acting for a new organiser with this role."""
    email = f"{role.value}-{language}@example.nl"
    return ApiClient(app.test_client(), make_token(app, email, role, language))
