"""``kpay search reindex`` and ``kpay search status``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kpay.api import db, utcnow
from plugins.search import indexer
from plugins.search.backend import IndexProblem


@click.group("search")
def search_group() -> None:
    """The search index's commands."""


@search_group.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Build the index anew beside the live one, then swap it in."""
    total = sum(1 for _ in indexer.documents(None))
    db.session.rollback()
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        count = indexer.rebuild(bar.update)
    click.echo(f"Indexed {count} documents ({indexer.backend().name}).")


@search_group.command("status")
@with_appcontext
def status_command() -> None:
    """Documents, size, last update and changes not yet indexed."""
    backend = indexer.backend()
    try:
        backend.check()
        status = backend.status()
    except IndexProblem as problem:
        click.echo(f"backend: {backend.name}\nproblem: {problem}\nfix: kpay search reindex")
        raise SystemExit(1) from None
    waiting = sum(1 for _ in indexer.documents(status.watermark))
    updated = f"{status.last_update:%Y-%m-%d %H:%M:%S} UTC" if status.last_update else "never"
    lag = f" ({(utcnow() - status.last_update).total_seconds():.0f} s ago)" if status.last_update else ""
    click.echo(f"backend: {status.backend}\nlocation: {status.location}\ndocuments: {status.documents}\n"
               f"size: {status.size_bytes / 1e6:.1f} MB\nlast update: {updated}{lag}\n"
               f"changes waiting: {waiting}")
