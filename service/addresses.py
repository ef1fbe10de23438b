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


class AddressNotSendable(ValueError):
    """The address cannot be written on this wire; the message says why and what would help."""


def needs_smtputf8(address: str) -> bool:
    """Whether the part before the @ holds non-ASCII characters, which only SMTPUTF8 carries."""
    local, _at, _domain = address.rpartition("@")
    return not local.isascii()


def ascii_domain_address(address: str) -> str:
    """The address with its domain in IDNA (punycode) form; the local part is left as it is.

    Raises AddressNotSendable when the domain has no IDNA form.
    """
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise AddressNotSendable(
            f"the domain of {address} has no internationalised (IDNA) form: {exc}"
        ) from exc
    return f"{local}@{ascii_domain}"
