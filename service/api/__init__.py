"""The JSON API under /api/v1."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprints and their OpenAPI document."""
