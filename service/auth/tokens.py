"""API tokens as people manage them: list, create and revoke, one rule for the web app and the CLI.

Each person makes tokens for themselves; a token acts with its owner's role (the API checks the
role), so a viewer's token can only read. An admin sees and revokes everyone's tokens; anyone
else only their own. The token itself is returned once, at creation: only its SHA-256 hash and
its first characters (the prefix, to tell tokens apart) are stored. Creating and revoking go
into the audit log. Nothing here imports Flask; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from service.auth.users import new_api_token
from service.messages import N_, Message
from service.models import ApiToken, User, record_audit, utcnow

# A name says what a token is for ("koppeling met het CRM"); the column holds 100.
MAX_NAME = 100


class TokenRefused(Exception):
    """The person may not do this with the token; `message` says why."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(str(message))


def list_tokens(session: Session, owner: User | None = None) -> list[ApiToken]:
    """The tokens of `owner` (everyone's when None), newest first, each with its owner loaded."""
    query = (
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    return list(session.scalars(query))


def get_token(session: Session, token_id: int) -> ApiToken | None:
    """The token with this id, or None."""
    return session.get(ApiToken, token_id)


def may_manage(actor: User | None, token: ApiToken) -> bool:
    """Whether `actor` may revoke `token`: its owner or an admin (None: the command line)."""
    return actor is None or actor.is_admin or token.user_id == actor.id


def create_token(
    session: Session, actor: User | None, owner: User, name: str
) -> tuple[ApiToken, str]:
    """Make a token for `owner`; returns the stored row and the token, which is shown only now.

    `actor` is who asks (None: the command line); only an admin makes a token for someone else.
    Raises ForbiddenCharacters (a ValueError) when the name holds a control character.
    """
    if actor is not None and not actor.is_admin and actor.id != owner.id:
        raise TokenRefused(Message(N_("You can only make API tokens for yourself.")))
    stored, token = new_api_token(session, owner, name[:MAX_NAME])
    record_audit(session, actor, "token.create", stored, name=stored.name, owner=owner.email)
    return stored, token


def revoke_token(session: Session, actor: User | None, token: ApiToken) -> bool:
    """Revoke the token from now on; returns False when it was revoked already.

    Raises TokenRefused when `actor` is neither the owner nor an admin (None: the command line).
    """
    if not may_manage(actor, token):
        raise TokenRefused(Message(N_("Only its owner or an admin may revoke this API token.")))
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record_audit(session, actor, "token.revoke", token, name=token.name, owner=token.user.email)
    session.flush()
    return True
