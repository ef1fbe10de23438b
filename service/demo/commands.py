"""`opgavepost serve` and `opgavepost demo ...`: the embedded default and its demo data."""

import click


@click.group("demo")
def demo_group() -> None:
    """Demo data from the seed recap."""
