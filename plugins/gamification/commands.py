"""``kpay gamification ...``: run the sweeps now (after changing rules, or in a test)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kpay.api import db


@click.group("gamification")
def gamification_group():
    """Points, badges and leaderboards."""


@gamification_group.command("sweep")
@with_appcontext
def sweep():
    """Recompute the leaderboards from the ledger and award the badges earned, now."""
    from plugins.gamification import badges, boards

    boards.sweep()
    awarded = badges.sweep()
    db.session.commit()
    click.echo(f"boards recomputed; {awarded} badges awarded")
