"""The suppression list as organisers see it: search it, read why an address is on it, lift one.

The list itself is filled by the delivery side (service/delivery/suppression.py: relays' answers,
bounces, complaints, the soft-bounce limit); this module only reads it and takes entries off.
Lifting is for admins, with a reason that goes into the audit log; an address whose owner
complained comes off only when the admin confirms that the person asked for it, since mailing
someone who marked us as spam again harms every later mailing's delivery. One rule for the
organiser pages and the API. Nothing here imports Flask; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.addresses import stored_form
from service.dates import rfc3339
from service.messages import N_, Message
from service.models import Campaign, Suppression, User, record_audit
from service.paging import Paging, clamp_page
from service.text import ForbiddenCharacters, clean_line, has_forbidden_characters

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# A reason is a sentence for the audit log, not a letter.
MAX_REASON = 500

HARD_BOUNCE = "hard_bounce"
COMPLAINT = "complaint"
SOFT_BOUNCE_LIMIT = "soft_bounce_limit"
MANUAL = "manual"

# Who reported an entry (Suppression.source), as the delivery side writes it; anything else is
# an organiser's address (a manual entry).
RELAY_ANSWER_SOURCE = "smtp"
REPORTERS = {
    "smtp": N_("the mail server, when the message was handed over"),
    "listener": N_("the bounce listener"),
    "mailbox": N_("the bounce mailbox"),
    "mailgun": N_("Mailgun"),
    "postmark": N_("Postmark"),
}


def listed_form(email: str) -> str:
    """An address as the list holds it: trimmed, lower case, its domain in Unicode."""
    return stored_form(email.strip().lower())


@dataclass(frozen=True)
class SuppressionRow:
    """One entry of the list with the subject of the campaign it came from (None: none known)."""

    entry: Suppression
    campaign_subject: str | None


@dataclass(frozen=True)
class SuppressionPage(Paging):
    """One page of a search of the list."""

    items: list[SuppressionRow]


def _like_pattern(q: str) -> str:
    # The organiser's % and _ are meant literally.
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_suppressions(
    session: Session, q: str | None = None, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> SuppressionPage:
    """A page of the list, newest first, narrowed to addresses holding `q` (case ignored).

    A page past the end gives the last page.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conditions = []
    q = listed_form(q or "")
    if q:
        # Addresses are stored in lower case, so a LIKE on the column needs no function and
        # behaves alike on both databases.
        conditions.append(Suppression.email.like(_like_pattern(q), escape="\\"))
    total = session.scalar(select(func.count(Suppression.id)).where(*conditions)) or 0
    page = clamp_page(page, total, per_page)
    if total == 0:
        return SuppressionPage(items=[], total=0, page=1, per_page=per_page)
    query = (
        select(Suppression, Campaign.subject)
        .outerjoin(Campaign, Campaign.id == Suppression.campaign_id)
        .where(*conditions)
        .order_by(Suppression.created_at.desc(), Suppression.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [SuppressionRow(entry, subject) for entry, subject in session.execute(query)]
    return SuppressionPage(items=items, total=total, page=page, per_page=per_page)


def suppression_of(session: Session, email: str) -> Suppression | None:
    """The entry of this address (case ignored), or None when mail to it may go."""
    if has_forbidden_characters(email):
        return None  # no address holds one; PostgreSQL could not even compare a NUL
    return session.scalar(select(Suppression).where(Suppression.email == listed_form(email)))


def suppressions_of(session: Session, emails: Iterable[str]) -> dict[str, Suppression | None]:
    """Each address's entry or None, keyed by its listed form, in one query (for a page of them)."""
    wanted = {listed_form(email) for email in emails}
    found: dict[str, Suppression | None] = dict.fromkeys(wanted)
    if wanted:
        for entry in session.scalars(select(Suppression).where(Suppression.email.in_(wanted))):
            found[entry.email] = entry
    return found


def get_suppression(session: Session, suppression_id: int) -> Suppression | None:
    """The entry with this id, or None."""
    return session.get(Suppression, suppression_id)


def campaign_subject(session: Session, entry: Suppression) -> str | None:
    """The subject of the campaign the entry came from, or None when none is known."""
    if entry.campaign_id is None:
        return None
    return session.scalar(select(Campaign.subject).where(Campaign.id == entry.campaign_id))


# --- in words ----------------------------------------------------------------------------------


def source_words(entry: Suppression) -> Message:
    """How the address came on the list: a relay's answer, a bounce, a complaint, the soft-bounce
    limit or an organiser."""
    if entry.kind == COMPLAINT:
        return Message(N_("Complaint"))
    if entry.kind == SOFT_BOUNCE_LIMIT:
        return Message(N_("Soft-bounce limit"))
    if entry.kind == MANUAL:
        return Message(N_("Organiser"))
    if entry.source == RELAY_ANSWER_SOURCE:
        return Message(N_("Relay answer"))
    return Message(N_("Bounce"))


def reporter_words(entry: Suppression) -> Message | None:
    """Who reported it ("Mailgun", "the bounce mailbox", an organiser's address), or None."""
    if entry.source in REPORTERS:
        return Message(REPORTERS[entry.source])
    if entry.source:
        return Message("%(source)s", {"source": entry.source})
    return None


def is_complaint(entry: Suppression) -> bool:
    """Whether the owner of the address complained (marked a message as spam)."""
    return entry.kind == COMPLAINT


# --- lifting -----------------------------------------------------------------------------------


class LiftRefused(Exception):
    """An entry cannot be lifted like this: a message per input at fault.

    `problems` maps the input ("reason", "person_asked") to its message; the key None means
    the organiser may not lift at all. `message` is the first of them.
    """

    def __init__(self, problems: dict[str | None, Message]) -> None:
        self.problems = problems
        self.message = next(iter(problems.values()))
        super().__init__(str(self.message))


def may_lift(user: User | None) -> bool:
    """Whether this organiser may lift entries: admins only."""
    return user is not None and user.is_admin


def check_may_lift(user: User | None) -> None:
    """Raise LiftRefused unless this organiser may lift entries.

    Asked before the address is looked up, so someone who may not lift learns nothing more.
    """
    if not may_lift(user):
        raise LiftRefused(
            {None: Message(N_("Only an admin may lift a blocked address. Ask an admin to do it."))}
        )


def lift_suppression(
    session: Session,
    entry: Suppression,
    *,
    actor: User,
    reason: str,
    person_asked: bool = False,
) -> dict[str, object]:
    """Take the entry off the list and audit why; gives what was lifted (as the audit holds it).

    Raises LiftRefused when the actor is no admin, the reason is missing or too long, or the
    entry is a complaint and the actor did not confirm that the person asked for it.
    """
    check_may_lift(actor)
    problems: dict[str | None, Message] = {}
    try:
        reason = clean_line(reason or "")
    except ForbiddenCharacters as exc:
        problems["reason"] = exc.message
    else:
        if not reason:
            problems["reason"] = Message(
                N_("Give a reason: why may mail go to this address again?")
            )
        elif len(reason) > MAX_REASON:
            problems["reason"] = Message(
                N_("This is too long: at most %(max)s characters."), {"max": MAX_REASON}
            )
    if is_complaint(entry) and not person_asked:
        problems["person_asked"] = Message(
            N_(
                "%(email)s is blocked because its owner complained about our mail. Lift it "
                "only when that person asked for it, and confirm that they did."
            ),
            {"email": entry.email},
        )
    if problems:
        raise LiftRefused(problems)
    lifted = _as_audited(entry)
    record_audit(
        session,
        actor,
        "suppression.lift",
        entry,
        **lifted,
        lift_reason=reason,
        person_asked=bool(person_asked) if is_complaint(entry) else None,
    )
    session.delete(entry)
    session.flush()
    return lifted


def _as_audited(entry: Suppression) -> dict[str, object]:
    created: datetime = entry.created_at
    return {
        "email": entry.email,
        "kind": entry.kind,
        "reason": entry.reason,
        "source": entry.source,
        "campaign_id": entry.campaign_id,
        "created_at": rfc3339(created),
    }
