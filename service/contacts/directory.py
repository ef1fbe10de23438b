"""The contact directory: validating, searching, creating, changing and deleting contacts.

Used by the organiser pages, the JSON API and the CLI alike. Functions take a `Session`, change
it and never commit: the caller commits once, so a request either stores all of its change or none.
Every change adds an audit entry (`record_audit`) in the same session.

Messages for people (validation problems) are `Message` objects: English msgids that the caller
translates (see `service.messages`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import Session

from config.settings import DEFAULT_LANGUAGE
from service.addresses import needs_smtputf8, normalise_email
from service.audience.subscriptions import subscribe_all, withdraw_consent
from service.messages import N_, Message
from service.models import Consent, Contact, Tag, User, contact_tags, record_audit, utcnow
from service.paging import Paging, clamp_page
from service.provinces import parse_province
from service.search_text import folded
from service.text import forbidden_characters, forbidden_message, line_ends, one_line

MAX_EMAIL = 254
MAX_TEXT = 200  # name, organisation, role: the column length in models.py
MAX_TAG = 60
MAX_NOTES = 10_000
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200

FIELDS = (
    "email",
    "name",
    "organisation",
    "role",
    "province",
    "language",
    "consent",
    "tags",
    "notes",
)

_LANGUAGES = {
    "nl": "nl",
    "nld": "nl",
    "nl-nl": "nl",
    "nederlands": "nl",
    "dutch": "nl",
    "en": "en",
    "eng": "en",
    "en-gb": "en",
    "en-us": "en",
    "engels": "en",
    "english": "en",
}
# What people write in a consent column, Dutch and English.
_CONSENT = {
    "given": Consent.GIVEN,
    "gegeven": Consent.GIVEN,
    "ja": Consent.GIVEN,
    "j": Consent.GIVEN,
    "yes": Consent.GIVEN,
    "y": Consent.GIVEN,
    "true": Consent.GIVEN,
    "waar": Consent.GIVEN,
    "1": Consent.GIVEN,
    "x": Consent.GIVEN,
    "withdrawn": Consent.WITHDRAWN,
    "ingetrokken": Consent.WITHDRAWN,
    "nee": Consent.WITHDRAWN,
    "n": Consent.WITHDRAWN,
    "no": Consent.WITHDRAWN,
    "false": Consent.WITHDRAWN,
    "onwaar": Consent.WITHDRAWN,
    "0": Consent.WITHDRAWN,
    "unknown": Consent.UNKNOWN,
    "onbekend": Consent.UNKNOWN,
}


class ContactValidationError(ValueError):
    """Submitted contact fields are wrong; `errors` maps each field name to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[Message]]):
        self.errors: dict[str, list[Message]] = {k: list(v) for k, v in errors.items()}
        super().__init__(
            "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in self.errors.items())
        )

    def messages(self, translate: Any = None) -> dict[str, list[str]]:
        """The problems as plain text per field, translated with `translate` when given."""
        return {name: [m.render(translate) for m in msgs] for name, msgs in self.errors.items()}


class DuplicateContactError(ValueError):
    """Another contact already has this email address (case ignored)."""

    def __init__(self, email: str, existing_id: int):
        self.email = email
        self.existing_id = existing_id
        self.message = Message(
            N_("A contact with the email address %(email)s already exists."), {"email": email}
        )
        super().__init__(str(self.message))


@dataclass(frozen=True)
class ContactInput:
    """Validated, normalised contact fields, ready to store."""

    email: str
    name: str = ""
    organisation: str = ""
    role: str = ""
    province: str | None = None
    language: str = DEFAULT_LANGUAGE
    consent: Consent = Consent.UNKNOWN
    tags: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class ContactPage(Paging):
    """One page of a contact search."""

    items: list[Contact]


@dataclass
class _Problems:
    errors: dict[str, list[Message]] = field(default_factory=dict)

    def add(self, name: str, message: Message) -> None:
        self.errors.setdefault(name, []).append(message)


# --- parsing single values -----------------------------------------------------------------


def parse_language(value: str | None) -> str:
    """A language code from what people write ("Nederlands", "English", "EN"); "": the default."""
    folded = (value or "").strip().lower()
    if not folded:
        return DEFAULT_LANGUAGE
    if folded not in _LANGUAGES:
        raise ValueError(f"unknown language {value!r}")
    return _LANGUAGES[folded]


def parse_consent(value: str | Consent | None) -> Consent:
    """The consent state from what people write (given/ja/yes, withdrawn/nee/no); empty: unknown."""
    if isinstance(value, Consent):
        return value
    folded = (value or "").strip().lower()
    if not folded:
        return Consent.UNKNOWN
    if folded not in _CONSENT:
        raise ValueError(f"unknown consent value {value!r}")
    return _CONSENT[folded]


def parse_tags(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Tags from "a, b; c" text or a list: trimmed, lower-case, without repeats, in given order."""
    if value is None:
        return ()
    parts = re.split(r"[,;]", value) if isinstance(value, str) else list(value)
    seen: dict[str, None] = {}
    for part in parts:
        tag = " ".join(str(part).split()).lower()
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


def _text(raw: Any) -> str:
    # One line: a name pasted from an Excel cell with Alt+Enter would never fit a mail header.
    return "" if raw is None else one_line(str(raw))


def _refuse_control_characters(raw: Mapping[str, Any], problems: _Problems) -> set[str]:
    """Report every field whose text holds a control character; return their names."""
    refused = set()
    for name in FIELDS:
        value = raw.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        found = [c for v in values if isinstance(v, str) for c in forbidden_characters(v)]
        if found:
            problems.add(name, forbidden_message(list(dict.fromkeys(found))))
            refused.add(name)
    return refused


def validate_contact_fields(
    raw: Mapping[str, Any], current: Contact | ContactInput | None = None
) -> ContactInput:
    """Check and normalise contact fields; raise ContactValidationError with messages per field.

    Keys missing from `raw` keep the value of `current`, a stored contact (a partial update, as
    for PATCH) or already checked input; without `current` they get the default for a new contact.
    Unknown keys are ignored. The intake rules of service/text.py hold for every caller (the
    CSV import and the CLI too): name, organisation and role on one line, notes with their line
    breaks as LF, and a control character in any field refused.
    """
    problems = _Problems()
    refused = _refuse_control_characters(raw, problems)

    def given(name: str) -> bool:
        return name in raw and name not in refused

    email = current.email if current is not None else ""
    if given("email") or (current is None and "email" not in refused):
        text = _text(raw.get("email"))
        if not text:
            problems.add("email", Message(N_("Enter an email address.")))
        elif len(text) > MAX_EMAIL:
            problems.add(
                "email",
                Message(N_("This is too long: at most %(max)s characters."), {"max": MAX_EMAIL}),
            )
        else:
            try:
                email = normalise_email(text)
            except ValueError:
                problems.add(
                    "email",
                    Message(N_("%(value)s is not a valid email address."), {"value": text}),
                )

    texts: dict[str, str] = {}
    for name in ("name", "organisation", "role"):
        value = _text(raw.get(name)) if given(name) else _current(current, name, "")
        if len(value) > MAX_TEXT:
            problems.add(
                name,
                Message(N_("This is too long: at most %(max)s characters."), {"max": MAX_TEXT}),
            )
        texts[name] = value

    notes = (
        line_ends(str(raw.get("notes") or "")).strip()
        if given("notes")
        else _current(current, "notes", "")
    )
    if len(notes) > MAX_NOTES:
        problems.add(
            "notes",
            Message(N_("This is too long: at most %(max)s characters."), {"max": MAX_NOTES}),
        )

    def parsed(name: str, parse: Callable[[Any], Any], default: Any, wrong: str) -> Any:
        """The field parsed when given (`wrong` names a refused value), else the current one."""
        value = _current(current, name, default)
        if given(name):
            try:
                value = parse(raw.get(name))
            except ValueError:
                problems.add(name, Message(wrong, {"value": _text(raw.get(name))}))
        return value

    province = parsed(
        "province",
        lambda value: parse_province(_text(value)),
        None,
        N_(
            "%(value)s is not a Dutch province. Use one of the twelve provinces "
            "or “landelijk” for national organisations."
        ),
    )
    language = parsed(
        "language",
        lambda value: parse_language(_text(value)),
        DEFAULT_LANGUAGE,
        N_("The language must be nl (Dutch) or en (English), not %(value)s."),
    )
    consent = parsed(
        "consent",
        parse_consent,
        Consent.UNKNOWN,
        N_("Consent must be given, withdrawn or unknown, not %(value)s."),
    )
    # Only the person can undo their own withdrawal (signup form, preferences page); not even by
    # way of "unknown", which would lose the record that they said no.
    if given("consent") and _withdrawn_by_contact(current) and consent != Consent.WITHDRAWN:
        problems.add(
            "consent",
            Message(
                N_(
                    "This person withdrew their consent. Only they can give it again, "
                    "through the signup form or the preferences link in any email."
                )
            ),
        )

    if isinstance(current, ContactInput):
        tags = current.tags
    else:
        tags = tuple(name.lower() for name in current.tag_names) if current is not None else ()
    if given("tags"):
        raw_tags = raw.get("tags")
        if raw_tags is not None and not isinstance(raw_tags, str | list | tuple):
            problems.add("tags", Message(N_("Give the tags as text separated by commas.")))
        else:
            tags = parse_tags(raw_tags)
            for tag in tags:
                if len(tag) > MAX_TAG:
                    problems.add(
                        "tags",
                        Message(
                            N_("The tag %(tag)s is too long: at most %(max)s characters."),
                            {"tag": tag, "max": MAX_TAG},
                        ),
                    )

    if problems.errors:
        raise ContactValidationError(problems.errors)
    return ContactInput(
        email=email,
        name=texts["name"],
        organisation=texts["organisation"],
        role=texts["role"],
        province=province,
        language=language,
        consent=consent,
        tags=tags,
        notes=notes,
    )


def _withdrawn_by_contact(current: Contact | ContactInput | None) -> bool:
    return isinstance(current, Contact) and current.consent == Consent.WITHDRAWN


def _current(contact: Contact | ContactInput | None, name: str, default: Any) -> Any:
    return getattr(contact, name) if contact is not None else default


def address_warnings(email: str) -> list[Message]:
    """What may go wrong with mail to this (valid) address; the contact is stored all the same.

    A non-ASCII part before the @ ("jöran.dijkstra@example.nl") travels only to mail servers
    that offer SMTPUTF8 (see service/addresses.py), so messages to it may fail for good.
    """
    if not needs_smtputf8(email):
        return []
    return [
        Message(
            N_(
                "Emails to %(email)s may not arrive: the part before the @ has letters outside "
                "plain ASCII, which only mail servers with SMTPUTF8 accept. If this person has "
                "an address with plain letters only, use that one instead."
            ),
            {"email": email},
        )
    ]


# --- reading -------------------------------------------------------------------------------


def get_contact(session: Session, contact_id: int) -> Contact | None:
    """The contact with this id, or None."""
    return session.get(Contact, contact_id)


def find_contact_by_email(session: Session, email: str) -> Contact | None:
    """The contact with this address, case ignored (addresses are stored lower-case)."""
    return session.scalar(select(Contact).where(Contact.email == email.strip().lower()))


def _like_pattern(q: str) -> str:
    # The user's % and _ are meant literally.
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(session: Session, q: str | None, province: str | None, tag: str | None) -> list[Any]:
    conditions: list[Any] = []
    q = (q or "").strip()
    if q:
        # Case and accents ignored alike on both databases: "esmee" finds "Esmée".
        # A substring search cannot use a B-tree index, so it reads the whole table: tens of ms
        # at 100,000 contacts (bench/contacts.py).
        pattern = _like_pattern(folded(q))
        conditions.append(
            or_(
                Contact.search_text.like(pattern, escape="\\"),
                Contact.email.like(pattern, escape="\\"),
            )
        )
    if province:
        conditions.append(Contact.province == province)
    tag = " ".join((tag or "").split()).lower()
    if tag:
        # The tag ids first, as values: with a subquery in their place SQLite scans all of
        # contact_tags instead of using its tag_id index (80 ms instead of 20 at 100,000).
        tag_ids = list(session.scalars(select(Tag.id).where(func.lower(Tag.name) == tag)))
        conditions.append(
            Contact.id.in_(
                select(contact_tags.c.contact_id).where(contact_tags.c.tag_id.in_(tag_ids))
            )
            if tag_ids
            else false()
        )
    return conditions


def search_contacts(
    session: Session,
    q: str | None = None,
    province: str | None = None,
    tag: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> ContactPage:
    """A page of contacts matching the search text (name, email, organisation), province and tag.

    Ordered by name, then id. A page past the end gives the last page; `province` is a code
    (see service.provinces), `tag` a tag name (case ignored).
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conditions = _filters(session, q, province, tag)
    # count(*) rather than count(id): PostgreSQL then counts off its smallest index (a third
    # less time at 50,000 contacts, paid by every list page and API call).
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    page = clamp_page(page, total, per_page)
    offset = (page - 1) * per_page
    if total == 0:
        return ContactPage(items=[], total=0, page=1, per_page=per_page)

    sparse = (offset + per_page) * 4 > total and total <= 20_000
    if (q or "").strip() and sparse:
        # Few matches for the page asked: walking the name index would test a large part of the
        # table row by row before the page is full (300 ms for a search that finds one contact).
        # Take the matches in one scan, sort only those, then read the page's rows. With many
        # matches the walk stops early and sorting them all would cost more (bench/contacts.py).
        matches = (
            select(Contact.id, Contact.name)
            .where(*conditions)
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        query = (
            select(Contact)
            .join(matches, matches.c.id == Contact.id)
            .order_by(matches.c.name, matches.c.id)
        )
    else:
        # Many matches, or none of the text search: the name index gives the page straight away.
        query = select(Contact).where(*conditions).order_by(Contact.name, Contact.id)
    items = list(session.scalars(query.offset(offset).limit(per_page)))
    return ContactPage(items=items, total=total, page=page, per_page=per_page)


def list_tags(session: Session) -> list[str]:
    """The names of the tags that at least one contact has, alphabetically (for filters)."""
    used = exists().where(contact_tags.c.tag_id == Tag.id)
    return list(session.scalars(select(Tag.name).where(used).order_by(Tag.name)))


# --- changing ------------------------------------------------------------------------------


def tags_by_name(
    session: Session, names: Iterable[str], cache: dict[str, Tag] | None = None
) -> list[Tag]:
    """The Tag rows for these names (case ignored), creating the ones that do not exist yet.

    `cache` (lower-case name -> Tag) saves the look-up when many contacts are tagged at once.
    """
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    found = cache if cache is not None else {}
    missing = [name for name in wanted if name not in found]
    if missing and cache is None:
        for stored in session.scalars(select(Tag).where(func.lower(Tag.name).in_(missing))):
            found[stored.name.lower()] = stored
    result = []
    for name in wanted:
        tag = found.get(name)
        if tag is None:
            tag = found[name] = Tag(name=name)
            session.add(tag)
        result.append(tag)
    return result


def _sorted_tags(tags: list[Tag]) -> list[Tag]:
    # The order the relationship loads them in, so a contact reads the same before and after.
    return sorted(tags, key=lambda tag: tag.name)


def _check_unique(session: Session, email: str, own_id: int | None) -> None:
    other = find_contact_by_email(session, email)
    if other is not None and other.id != own_id:
        raise DuplicateContactError(email, other.id)


def _set_consent(contact: Contact, consent: Consent, source: str) -> bool:
    # When and how only move when the state moves, so re-saving a form or re-importing an export
    # keeps the original date and source of the consent.
    if contact.consent == consent:
        return False
    contact.consent = consent
    contact.consent_at = utcnow()
    contact.consent_source = source[:200]
    return True


def new_contact(
    session: Session,
    data: ContactInput,
    source: str = "",
    tag_cache: dict[str, Tag] | None = None,
) -> Contact:
    """Add a contact without checks or audit entry (for bulk imports that did both already)."""
    contact = Contact(
        email=data.email,
        name=data.name,
        organisation=data.organisation,
        role=data.role,
        province=data.province,
        language=data.language,
        consent=Consent.UNKNOWN,
        consent_source="",
        notes=data.notes,
    )
    _set_consent(contact, data.consent, source)
    contact.tags = _sorted_tags(tags_by_name(session, data.tags, tag_cache))
    session.add(contact)
    if contact.consent == Consent.GIVEN:
        subscribe_all(session, contact, source=source)
    return contact


def create_contact(
    session: Session, data: ContactInput, *, actor: User | None = None, source: str = ""
) -> Contact:
    """Add a contact; raise DuplicateContactError when the address exists (case ignored).

    `source` says how consent was obtained (e.g. "organiser form by x@…", "API"); it is stored
    with the consent state when that state is given or withdrawn.
    """
    _check_unique(session, data.email, None)
    contact = new_contact(session, data, source)
    session.flush()
    record_audit(session, actor, "contact.create", contact, email=contact.email)
    return contact


def apply_contact_input(
    session: Session,
    contact: Contact,
    data: ContactInput,
    source: str = "",
    tag_cache: dict[str, Tag] | None = None,
) -> list[str]:
    """Copy validated fields onto a contact and return the names of the fields that changed."""
    changed = []
    for name in ("email", "name", "organisation", "role", "province", "language", "notes"):
        value = getattr(data, name)
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    if _set_consent(contact, data.consent, source):
        changed.append("consent")
        if contact.consent == Consent.GIVEN:
            # Consent given now (it was unknown: a withdrawal is refused by validation).
            subscribe_all(session, contact, source=source)
        elif contact.consent == Consent.WITHDRAWN:
            withdraw_consent(session, contact, source=source)
    if {name.lower() for name in contact.tag_names} != set(data.tags):
        contact.tags = _sorted_tags(tags_by_name(session, data.tags, tag_cache))
        changed.append("tags")
    return changed


def update_contact(
    session: Session,
    contact: Contact,
    data: ContactInput,
    *,
    actor: User | None = None,
    source: str = "",
) -> list[str]:
    """Change a contact to `data`; return the changed field names.

    Raises DuplicateContactError when the new address belongs to another contact. A change of
    consent state records when and how (`source`).
    """
    if data.email != contact.email:
        _check_unique(session, data.email, contact.id)
    changed = apply_contact_input(session, contact, data, source)
    if changed:
        session.flush()
        record_audit(session, actor, "contact.update", contact, fields=changed)
    return changed


def delete_contact(session: Session, contact: Contact, *, actor: User | None = None) -> None:
    """Remove a contact and its tag links; the audit entry keeps the address that was deleted."""
    record_audit(session, actor, "contact.delete", contact, email=contact.email)
    session.delete(contact)
    session.flush()
