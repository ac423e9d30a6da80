"""``kpay recs``: refresh the lists now, measure the models offline, or read the widgets' click-through."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask.cli import with_appcontext

from kpay.api import db, utcnow


@click.group("recs")
def recs():
    """Recommendations: refresh the lists, evaluate the models."""


@recs.command("refresh")
@click.option("--full", is_flag=True, help="Recompute every member's lists, not only those who changed.")
@with_appcontext
def refresh_command(full: bool):
    """Recompute the lists now: the items' and visitors' lists, and the lists of the members who
    changed since the last run (of every member with --full)."""
    from plugins.recommendations.refresh import refresh

    started = time.monotonic()
    written = refresh(full=full)
    db.session.commit()
    click.echo(f"{'full' if written['full'] else 'changed'}: {written['members']} members, {written['items']} items, "
               f"{written['entries']} rows in {time.monotonic() - started:.1f} s")


@recs.command("evaluate")
@click.option("-k", default=10, show_default=True, help="How many recommendations per member are scored.")
@click.option("--train", default=0.8, show_default=True, help="Share of the signals (oldest first) to train on.")
@click.option("--sample", default=2000, show_default=True, help="Members scored at most (a seeded sample).")
@with_appcontext
def evaluate_command(k: int, train: float, sample: int):
    """Time split: train on the past, score precision@k, recall@k, coverage and novelty of each
    model and blend on what members took afterwards."""
    from plugins.recommendations.catalogue import gather
    from plugins.recommendations.evaluate import evaluate, table
    from plugins.recommendations.refresh import tuning

    started = time.monotonic()
    scores, split = evaluate(gather(), tuning(), k=k, train_share=train, sample=sample)
    if not scores:
        raise click.ClickException(f"too few signals to evaluate ({split['signals']})")
    click.echo(f"signals {split['signals']}, trained on {split['train']} before {split['cutoff']}, "
               f"{split['items']} items, {split['members']} members scored, k = {k}, "
               f"{time.monotonic() - started:.1f} s")
    click.echo(table(scores))


@recs.command("ctr")
@click.option("--days", default=30, show_default=True, help="How many days back to count.")
@with_appcontext
def ctr_command(days: int):
    """Items shown, clicks and click-through rate per widget over the last days (from the
    ``recs.shown`` and ``recs.clicked`` events; visits without JavaScript are not counted)."""
    from plugins.recommendations.online import click_through, table

    click.echo(table(click_through(utcnow() - timedelta(days=days))))
