"""Opgavepost: newsletters and meeting invitations for professional networks."""

from __future__ import annotations

import atexit
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from config.settings import (
    ConfigError,
    existing_instance_key,
    flask_config,
    instance_path,
    instance_secret_key,
    read_settings,
)
from service import database, heartbeats, shared_key, translation
from service import settings as app_settings
from service.extensions import babel, csrf, limiter, login_manager
from service.ids import IdConverter
from service.messages import preferred_language
from service.sessions import COOKIELESS_ENDPOINTS, PageSlidSessionInterface

# Files anyone may load (the images of emails, the stylesheets): no session cookie with them.
PUBLIC_FILES = frozenset({"media.serve", "static"})
# Where a visitor's session is not kept alive: the public files, and the redirect of a counted
# link, which answers with no cookie at all (service/sessions.py).
COOKIELESS = PUBLIC_FILES | COOKIELESS_ENDPOINTS
# app.extensions key: True when the environment set no SECRET_KEY, so the database's key is used.
SHARED_KEY = "shared_secret_key"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints and CLI. Starts no threads or schedulers."""
    app = Flask(__name__, instance_path=instance_path(os.environ, config))
    # Read and checked once; everything else takes this object (or app.config, for Flask).
    # Without SECRET_KEY the key is left empty here and taken from the database below.
    settings = read_settings(os.environ, Path(app.instance_path), config, generate_key=False)
    app.config.from_mapping(flask_config(settings, config))
    app_settings.init_app(app, settings)
    # Before any route exists: every <int:...> in a URL is an id within the database's range.
    app.url_map.converters["int"] = IdConverter
    app.permanent_session_lifetime = timedelta(hours=settings.SESSION_HOURS)
    app.session_interface = PageSlidSessionInterface()

    database.init_app(app)
    # Before anything can sign: every process on this database signs with the same key.
    app.extensions[SHARED_KEY] = not settings.SECRET_KEY
    share_secret_key(app)
    _init_heartbeat(app)
    csrf.init_app(app)
    # The pages read the same catalogs as the emails (service/translation.py).
    babel.init_app(
        app,
        default_domain=translation.DOMAIN,
        default_translation_directories=str(translation.CATALOG_DIR),
        locale_selector=_select_locale,
        timezone_selector=lambda: app_settings.settings_of(app).TIMEZONE,
    )
    limiter.init_app(app)
    _init_login(app)

    from service import errors, filters
    from service.auth import access

    filters.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)

    from service.delivery.kinds import EXTENSION as MESSAGE_KINDS_EXTENSION
    from service.message_kinds import MESSAGE_KINDS

    # The send loops this app starts (worker command, demo) build messages by these kinds.
    app.extensions[MESSAGE_KINDS_EXTENSION] = MESSAGE_KINDS

    from service.cli import register_commands

    register_commands(app)
    return app


def share_secret_key(app: Flask) -> None:
    """Without SECRET_KEY in the environment, sign with the key kept in the database.

    All processes on the database share it. Before migration 0016 made its table, the instance
    folder's key serves (as in earlier versions); `opgavepost db upgrade` and `serve` call this
    again after migrating, which moves that key into the database, so the links it signed hold.
    """
    if not app.extensions.get(SHARED_KEY):
        return
    folder = Path(app.instance_path)
    # The default SQLite database lives in the instance folder, which a first start makes.
    folder.mkdir(parents=True, exist_ok=True)
    try:
        key = shared_key.shared_secret_key(
            app.extensions["db_engine"], lambda: existing_instance_key(folder)
        )
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            f"the database does not answer ({reason}); without SECRET_KEY every process reads "
            "the shared key from it, so start the database or set SECRET_KEY, and check "
            "DATABASE_URL"
        ) from exc
    if key is None:
        key = instance_secret_key(folder)
    if key != app_settings.settings_of(app).SECRET_KEY:
        app_settings.change_settings(app, SECRET_KEY=key)


def _init_heartbeat(app: Flask) -> None:
    # Each web process notes in the database that it runs and with which key (a fingerprint),
    # at its first request and then once a minute, and logs a warning when other processes on
    # the database sign with another key. Not in the test suite, where one process builds
    # many apps with keys of their own.
    if app.testing:
        return
    beats: dict[int, heartbeats.Heartbeat] = {}

    @app.before_request
    def note_this_process() -> None:
        # Keyed by pid: `opgavepost serve` builds the app before gunicorn forks its worker.
        beat = beats.get(os.getpid())
        if beat is None:
            beat = beats.setdefault(
                os.getpid(),
                heartbeats.Heartbeat(
                    app.extensions["db_sessionmaker"],
                    role="web",
                    secret_key=app_settings.settings_of(app).SECRET_KEY,
                    warn=app.logger.warning,
                ),
            )
            # A gunicorn worker that ends normally (a restart, a new release) leaves no row
            # behind that would count as running for another RUNNING_WINDOW.
            atexit.register(beat.stop)
        beat.beat_if_due()


def _select_locale() -> str:
    # Dutch first: English only for those who chose it, as organiser or in this browser session.
    # An API call speaks the language of the organiser whose token it carries (service.api.auth),
    # or, without one, the language its client asks for.
    api_language = g.get("api_language")
    if api_language is not None:
        return api_language
    if request.path.startswith("/api/"):
        # A call without a valid token has no organiser to ask; its Accept-Language decides.
        languages = app_settings.current_settings().LANGUAGES
        return preferred_language(request.accept_languages, languages) or languages[0]
    if current_user and current_user.is_authenticated:
        return current_user.language
    return session.get("lang", app_settings.current_settings().default_language)


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from service.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to open this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # "<id>-<session version>" (User.get_id): a session older than the last password reset,
        # password change or deactivation names an old version and is no longer good.
        user_id, _, version = session_id.partition("-")
        if not (user_id.isdecimal() and version.isdecimal()):
            return None
        user = database.get_session().get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user

    @app.before_request
    def keep_session_alive() -> None:
        # The session lives SESSION_HOURS after the last request, not after login.
        g.setdefault("page_title", None)
        if request.path.startswith("/api/"):
            return  # the API authenticates by token and must not hand out a session cookie
        if request.endpoint in COOKIELESS:
            # Mail clients and image proxies load these for every opened email: a cookie on
            # each answer would keep caches from sharing them, and give them a session for nothing.
            return
        if not session.permanent:  # setting it marks the session changed, which sends it
            session.permanent = True


def _register_blueprints(app: Flask) -> None:
    from service.account.views import bp as account_bp
    from service.api import init_app as init_api
    from service.audience.views import bp as audience_bp
    from service.audit.views import bp as audit_bp
    from service.auth.views import bp as auth_bp
    from service.campaigns.public_views import bp as web_bp
    from service.campaigns.views import bp as campaigns_bp
    from service.cards.views import bp as cards_bp
    from service.contacts.views import bp as contacts_bp
    from service.dashboard.views import bp as dashboard_bp
    from service.devmail.views import bp as devmail_bp
    from service.health import bp as health_bp
    from service.media.views import bp as media_bp
    from service.meetings.public_views import bp as answers_bp
    from service.meetings.views import bp as meetings_bp
    from service.nominations.views import bp as nominations_bp
    from service.nominations.views import public_bp as nominate_bp
    from service.team.public_views import bp as password_bp
    from service.team.views import bp as team_bp
    from service.tokens.views import bp as tokens_bp
    from service.two_factor.views import bp as two_factor_bp
    from service.webhooks.views import bp as webhooks_bp

    for blueprint in (
        health_bp,
        auth_bp,
        two_factor_bp,
        dashboard_bp,
        contacts_bp,
        meetings_bp,
        answers_bp,
        web_bp,
        campaigns_bp,
        media_bp,
        devmail_bp,
        webhooks_bp,
        cards_bp,
        nominations_bp,
        nominate_bp,
        audience_bp,
        tokens_bp,
        audit_bp,
        team_bp,
        account_bp,
        password_bp,
    ):
        app.register_blueprint(blueprint)
    init_api(app)
