"""``kpay analytics rollup|rebuild``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group()
def analytics():
    """Analytics rollups."""


@analytics.command()
@with_appcontext
def rollup():
    """Add what happened since the last run to the daily rollups (the job does this every 5 minutes)."""
    from plugins.analytics.rollup import run

    click.echo(f"read {run()} rows")


@analytics.command()
@with_appcontext
def rebuild():
    """Recompute every rollup from the activity events, page views and ledger."""
    from plugins.analytics.rollup import rebuild as rebuild_all

    click.echo(f"rebuilt from {rebuild_all()} rows")
