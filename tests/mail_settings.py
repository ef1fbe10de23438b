"""Settings for tests of the transports: the given MAIL_* values on top of the defaults."""

from __future__ import annotations

import tempfile
from typing import Any

from config.settings import Settings


def settings_with(values: dict[str, Any]) -> Settings:
    """A Settings with these values; the required paths point at a throw-away folder."""
    folder = tempfile.gettempdir()
    base: dict[str, Any] = {
        "INSTANCE_PATH": folder,
        "DATABASE_URL": "sqlite://",
        "SECRET_KEY": "test-secret-key",
        "MAIL_OUTBOX_PATH": f"{folder}/outbox",
    }
    return Settings(**(base | values))
