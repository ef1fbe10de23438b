"""Changing accounts (service/auth/accounts.py): roles, deactivation, and the last admin kept."""

import pytest
from sqlalchemy import select

from service.auth.accounts import LastAdminError, deactivate, reactivate, set_role
from service.auth.users import create_api_token, create_user
from service.database import session_scope
from service.models import AuditEntry, Role, User
from tests.api_helpers import ApiClient
from tests.conftest import login

PASSWORD = "een-lang-wachtwoord"


def _user(session, email: str, role: Role) -> User:
    return create_user(session, email, PASSWORD, role, email.split("@")[0])


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app, db):
    admin = _user(db, "baas@example.nl", Role.ADMIN)
    other = _user(db, "tweede@example.nl", Role.ADMIN)
    db.commit()

    assert set_role(db, admin, other, Role.ORGANISER)
    with pytest.raises(LastAdminError):
        set_role(db, admin, admin, Role.VIEWER)
    with pytest.raises(LastAdminError):
        deactivate(db, admin, admin)
    assert admin.role == Role.ADMIN and admin.active
    db.commit()

    # Back to two admins: now either may go.
    assert set_role(db, admin, other, Role.ADMIN)
    assert deactivate(db, other, admin)
    db.commit()
    # An inactive admin does not count: the remaining one is the last.
    with pytest.raises(LastAdminError):
        set_role(db, other, other, Role.ORGANISER)


def test_changes_are_audited_and_a_repeat_changes_nothing(app, db):
    admin = _user(db, "baas@example.nl", Role.ADMIN)
    colleague = _user(db, "collega@example.nl", Role.ORGANISER)
    db.commit()

    assert set_role(db, admin, colleague, Role.VIEWER)
    assert not set_role(db, admin, colleague, Role.VIEWER)
    assert deactivate(db, admin, colleague)
    assert not deactivate(db, admin, colleague)
    assert reactivate(db, admin, colleague)
    assert not reactivate(db, admin, colleague)
    db.commit()

    entries = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.user_id, e.object_id) for e in entries] == [
        ("account.role", admin.id, colleague.id),
        ("account.deactivate", admin.id, colleague.id),
        ("account.reactivate", admin.id, colleague.id),
    ]
    assert entries[0].detail == {
        "email": "collega@example.nl",
        "before": "organiser",
        "after": "viewer",
    }


def test_deactivating_ends_sessions_and_tokens_and_sign_in(app, client):
    with session_scope(app) as session:
        admin = _user(session, "baas@example.nl", Role.ADMIN)
        colleague = _user(session, "collega@example.nl", Role.ORGANISER)
        token = create_api_token(session, colleague, "script")
        admin_id, colleague_id = admin.id, colleague.id
    api = ApiClient(app.test_client(), token)
    assert api.get("/api/v1/contacts").status_code == 200
    login(client, "collega@example.nl", PASSWORD)
    assert client.get("/contacts/").status_code == 200

    with session_scope(app) as session:
        deactivate(session, session.get(User, admin_id), session.get(User, colleague_id))

    assert client.get("/contacts/").status_code == 302  # the session has ended
    assert api.get("/api/v1/contacts").status_code == 401
    refused = login(client, "collega@example.nl", PASSWORD)
    assert refused.status_code == 200
    assert client.get("/contacts/").status_code == 302

    # Reactivated, the account signs in again and its token works again.
    with session_scope(app) as session:
        reactivate(session, session.get(User, admin_id), session.get(User, colleague_id))
    assert api.get("/api/v1/contacts").status_code == 200
    assert login(client, "collega@example.nl", PASSWORD).status_code == 302
