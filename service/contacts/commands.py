"""`opgavepost contacts ...`: import and export from the command line."""

import click


@click.group("contacts")
def contacts_group() -> None:
    """Contacts: import and export CSV files."""
