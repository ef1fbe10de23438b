"""Deleting a contact: who may, and the deletion. One rule for the organiser pages and the API.

Deleting removes a person and their consent record for good (the audit log keeps the address),
so it is for admins; an organiser changes the contact instead. The same role decides in the web app
and the API. Nothing here imports Flask; the caller commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.contacts import directory
from service.messages import N_, Message
from service.models import Contact, User


class DeletionRefused(PermissionError):
    """This organiser may not delete contacts; `message` says so and what to do instead."""

    def __init__(self) -> None:
        self.message = Message(
            N_("Only an admin may delete contacts. Ask an admin, or change the contact.")
        )
        super().__init__(str(self.message))


def may_delete_contacts(user: User | None) -> bool:
    """Whether this organiser may delete contacts: admins only."""
    return user is not None and user.is_admin


def check_may_delete(user: User | None) -> None:
    """Raise DeletionRefused unless this organiser may delete contacts.

    Asked before the contact is looked up, so someone who may not delete learns nothing about
    which contacts exist.
    """
    if not may_delete_contacts(user):
        raise DeletionRefused()


def delete_contact(session: Session, contact: Contact, *, actor: User) -> None:
    """Delete the contact for this organiser (raises DeletionRefused); the caller commits."""
    check_may_delete(actor)
    directory.delete_contact(session, contact, actor=actor)
