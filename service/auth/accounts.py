"""Changing the organising team's accounts: roles, deactivating and reactivating.

The web pages for admins (Beheer → Organisatoren) and the CLI (`opgavepost users ...`) both go
through these functions, so the rule holds everywhere: the team always keeps one active admin.
Each change is audited ("account.role", "account.deactivate", "account.reactivate"); nothing here
imports Flask. The caller commits.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.auth.users import AccountError
from service.models import Role, User, record_audit


class LastAdminError(AccountError):
    """The change would leave the team without an active admin."""

    def __init__(self) -> None:
        super().__init__("the last active admin cannot be removed or demoted")


def active_admin_count(session: Session) -> int:
    """How many active accounts have the admin role."""
    query = select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))
    return session.scalar(query) or 0


def _refuse_losing_last_admin(session: Session, user: User) -> None:
    # Only an active admin's change can take away the last one. The row is read again with a
    # lock on PostgreSQL, so two admins demoting each other at the same moment cannot both pass.
    if user.role != Role.ADMIN or not user.active:
        return
    others = select(User.id).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
    )
    if session.get_bind().dialect.name == "postgresql":
        others = others.with_for_update()
    if not session.scalars(others).first():
        raise LastAdminError()


def set_role(session: Session, actor: User | None, user: User, role: Role) -> bool:
    """Give the account another role; False when it had that role already.

    Raises LastAdminError when it is the last active admin and the role is not admin.
    """
    role = Role(role)
    if user.role == role:
        return False
    if role != Role.ADMIN:
        _refuse_losing_last_admin(session, user)
    before = user.role
    user.role = role
    detail = {"email": user.email, "before": before.value, "after": role.value}
    record_audit(session, actor, "account.role", user, **detail)
    session.flush()
    return True


def deactivate(session: Session, actor: User | None, user: User) -> bool:
    """End the account: it can no longer sign in, its sessions end and its tokens stop.

    Its history stays (audit entries, campaigns it made). False when it was inactive already.
    Raises LastAdminError for the last active admin.
    """
    if not user.active:
        return False
    _refuse_losing_last_admin(session, user)
    user.active = False
    # In the session id (User.get_id): every session of the account ends at its next request.
    user.session_version = (user.session_version or 0) + 1
    record_audit(session, actor, "account.deactivate", user, email=user.email)
    session.flush()
    return True


def reactivate(session: Session, actor: User | None, user: User) -> bool:
    """Let a deactivated account sign in again (with its old password); False when active."""
    if user.active:
        return False
    user.active = True
    record_audit(session, actor, "account.reactivate", user, email=user.email)
    session.flush()
    return True
