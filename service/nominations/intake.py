"""The two public forms: checking what was sent in and storing it.

Nothing here imports Flask. Errors are `Message`s per field (English msgids marked with `N_`);
the view translates them. The honeypot is the view's business: it never reaches this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from service.messages import N_, Message
from service.models import HostProposal, Nomination

# field -> longest value the database column holds (Text columns get a sane cap: this is
# a public form, and nobody needs more than a page to say why).
NOMINATION_LIMITS: dict[str, int] = {
    "nominator_name": 200,
    "nominator_email": 254,
    "nominee_name": 200,
    "nominee_email": 254,
    "nominee_organisation": 200,
    "reason": 4000,
}
HOST_LIMITS: dict[str, int] = {
    "organisation": 200,
    "city": 100,
    "contact_name": 200,
    "contact_email": 254,
    "proposed_period": 200,
    "theme": 300,
    "message": 4000,
}
_REQUIRED: dict[str, str] = {
    "nominator_name": N_("Enter your name."),
    "nominator_email": N_("Enter your email address."),
    "nominee_name": N_("Enter the name of the person you put forward."),
    "nominee_email": N_("Enter the email address of the person you put forward."),
    "reason": N_("Tell us why you put this person forward."),
    "organisation": N_("Enter the name of your organisation."),
    "city": N_("Enter the city."),
    "contact_name": N_("Enter your name."),
    "contact_email": N_("Enter your email address."),
}
_EMAILS = ("nominator_email", "nominee_email", "contact_email")


class IntakeError(ValueError):
    """The form does not hold what is needed; `errors` maps each field to what is wrong."""

    def __init__(self, errors: Mapping[str, Message]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {err}" for name, err in self.errors.items()))


@dataclass(frozen=True)
class NominationInput:
    """A checked nomination: text stripped, addresses normalised."""

    nominator_name: str
    nominator_email: str
    nominee_name: str
    nominee_email: str
    nominee_organisation: str
    reason: str
    reason_shared: bool = False


@dataclass(frozen=True)
class HostProposalInput:
    """A checked offer to host a meeting."""

    organisation: str
    city: str
    contact_name: str
    contact_email: str
    proposed_period: str
    theme: str
    message: str


def check_nomination(raw: Mapping[str, Any]) -> NominationInput:
    """Check the nomination form's values; raises IntakeError with a message per field."""
    values = _checked_text(raw, NOMINATION_LIMITS)
    return NominationInput(**values, reason_shared=bool(raw.get("reason_shared")))


def check_host_proposal(raw: Mapping[str, Any]) -> HostProposalInput:
    """Check the host form's values; raises IntakeError with a message per field."""
    return HostProposalInput(**_checked_text(raw, HOST_LIMITS))


def _checked_text(raw: Mapping[str, Any], limits: Mapping[str, int]) -> dict[str, str]:
    errors: dict[str, Message] = {}
    values: dict[str, str] = {}
    for name, limit in limits.items():
        value = raw.get(name)
        text = "" if value is None else str(value).strip()
        if not text and name in _REQUIRED:
            errors[name] = Message(_REQUIRED[name])
        elif len(text) > limit:
            errors[name] = Message(
                N_("Use at most %(limit)d characters (now %(length)d)."),
                {"limit": limit, "length": len(text)},
            )
        elif text and name in _EMAILS:
            try:
                text = validate_email(text, check_deliverability=False).normalized
            except EmailNotValidError:
                errors[name] = Message(
                    N_("Enter an email address like name@example.nl."),
                )
        values[name] = text
    if errors:
        raise IntakeError(errors)
    return values


def store_nomination(session: Session, data: NominationInput) -> Nomination:
    """Add a new nomination to the organisers' queue; the caller commits."""
    nomination = Nomination(
        nominator_name=data.nominator_name,
        nominator_email=data.nominator_email,
        nominee_name=data.nominee_name,
        nominee_email=data.nominee_email,
        nominee_organisation=data.nominee_organisation,
        reason=data.reason,
        reason_shared=data.reason_shared,
    )
    session.add(nomination)
    session.flush()
    return nomination


def store_host_proposal(session: Session, data: HostProposalInput) -> HostProposal:
    """Add a new host proposal for the organisers; the caller commits."""
    proposal = HostProposal(
        organisation=data.organisation,
        city=data.city,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        proposed_period=data.proposed_period,
        theme=data.theme,
        message=data.message,
        status="new",
    )
    session.add(proposal)
    session.flush()
    return proposal
