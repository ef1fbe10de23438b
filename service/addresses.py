"""Internationalised email addresses (RFC 6530): what needs what on the wire.

A contact's address is stored as people wrote it, domain in Unicode ("user@bücher.example").
On the wire a non-ASCII domain is written in its IDNA form ("user@xn--bcher-kva.example"), which
every mail server understands. A non-ASCII local part ("jöran.dijkstra@example.nl") cannot be
rewritten: it travels only to a server that offers SMTPUTF8 (RFC 6531), so intake warns about
it and a relay without SMTPUTF8 refuses it for that contact alone.

One home for these rules: the transports, the CSV import and the API all ask here. Nothing here
imports Flask.
"""

from __future__ import annotations

import idna
from email_validator import EmailNotValidError, validate_email

from service.messages import N_

# The reasons an organiser reads on the progress page when a relay cannot carry an address.
# They name no address (the page shows it beside them), so they are msgids, translated there.
LOCAL_PART_NEEDS_SMTPUTF8 = N_(
    "The part before the @ is not plain ASCII, and the mail relay does not accept such "
    "addresses (it does not offer SMTPUTF8). Ask the contact for another address."
)
DOMAIN_WITHOUT_IDNA = N_(
    "The domain of this address is not a valid internationalised domain name, so no mail "
    "server can deliver to it. Correct the address."
)
# Every reason above, for the page that translates them.
REASONS = frozenset({LOCAL_PART_NEEDS_SMTPUTF8, DOMAIN_WITHOUT_IDNA})


class AddressNotSendable(ValueError):
    """The address cannot be written on this wire; the message says why and what would help.

    `reason` is the same in words that name no address, for the organiser's progress page.
    """

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


def needs_smtputf8(address: str) -> bool:
    """Whether the part before the @ holds non-ASCII characters, which only SMTPUTF8 carries."""
    local, _at, _domain = address.rpartition("@")
    return not local.isascii()


def ascii_domain(domain: str) -> str:
    """A domain name in IDNA (punycode) form; raises AddressNotSendable when it has none."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise AddressNotSendable(
            f"{domain} has no internationalised (IDNA) form: {exc}", DOMAIN_WITHOUT_IDNA
        ) from exc


def ascii_domain_address(address: str) -> str:
    """The address with its domain in IDNA (punycode) form; the local part is left as it is.

    Raises AddressNotSendable when the domain has no IDNA form.
    """
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        ascii_form = ascii_domain(domain)
    except AddressNotSendable as exc:
        raise AddressNotSendable(
            f"the domain of {address} has no internationalised (IDNA) form: {exc.__cause__}",
            DOMAIN_WITHOUT_IDNA,
        ) from exc.__cause__
    return f"{local}@{ascii_form}"


def stored_form(address: str) -> str:
    """The address with an IDNA (punycode) domain written in Unicode, as contacts are stored.

    What a relay reports back (a bounce, a complaint) names the address as it went on the wire;
    this finds the contact it was sent to. An address without a Unicode form is left as it is.
    """
    local, at, domain = address.rpartition("@")
    if not at or "xn--" not in domain:
        return address
    try:
        return f"{local}@{idna.decode(domain)}"
    except idna.IDNAError:
        return address


def wire_address(address: str, *, smtputf8: bool) -> str:
    """The address as a relay gets it: domain in IDNA form, a non-ASCII local part only where
    the relay speaks SMTPUTF8 (`smtputf8`). Raises AddressNotSendable otherwise."""
    if address.isascii():
        return address
    if not smtputf8 and needs_smtputf8(address):
        raise AddressNotSendable(LOCAL_PART_NEEDS_SMTPUTF8)
    return ascii_domain_address(address)


def normalise_email(value: str) -> str:
    """The address as stored: syntax checked without DNS look-ups, then lower-cased.

    Raises ValueError with an English reason when the address is not valid.
    """
    value = (value or "").strip()
    if not value:
        raise ValueError("empty email address")
    try:
        normalised = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return normalised.lower()
