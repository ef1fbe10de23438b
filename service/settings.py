"""The app's settings: one frozen config.settings.Settings, built in create_app, kept on the app.

Views and commands take it from here and hand it to the code they call; modules below them take
the Settings as an argument and never look it up. Flask's app.config holds the same values for
Flask and its extensions (config.settings.flask_config).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click
from flask import Flask, current_app

from config.settings import Settings

EXTENSION = "settings"


class SettingsProblem(click.ClickException):
    """A ConfigError shown as one line ("Error: TIMEZONE='Mars' is not ...") with exit code 2."""

    exit_code = 2


def init_app(app: Flask, settings: Settings) -> None:
    """Keep the settings on the app."""
    app.extensions[EXTENSION] = settings


def settings_of(app: Flask) -> Settings:
    """The settings of this app."""
    return app.extensions[EXTENSION]


def current_settings() -> Settings:
    """The settings of the app handling this request or command."""
    return settings_of(current_app)


def change_settings(app: Flask, **changes: Any) -> Settings:
    """Replace some settings after the start, and app.config's copies with them.

    For what is known only later (`opgavepost serve` learns the address it listens on) and for
    tests; the Settings object itself never changes.
    """
    settings = replace(settings_of(app), **changes)
    init_app(app, settings)
    app.config.update(changes)
    return settings
