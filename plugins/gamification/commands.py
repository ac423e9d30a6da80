"""``kpay gamification ...``: run the sweeps now (after changing rules, or in a test)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kpay.api import db


@click.group("gamification")
def gamification_group():
    """Points, badges and leaderboards."""


@gamification_group.command("sweep")
@click.option("--full", is_flag=True, help="Sum the whole ledger again instead of only its new entries.")
@with_appcontext
def sweep(full):
    """Bring the leaderboards up to date with the ledger and award the badges earned, now."""
    from plugins.gamification import badges, boards

    read = boards.rebuild() if full else boards.sweep()
    awarded = badges.sweep()
    db.session.commit()
    click.echo(f"boards updated from {read} ledger entries; {awarded} badges awarded")
