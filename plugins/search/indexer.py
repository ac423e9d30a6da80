"""Keeping the index in step with the plugins' documents (``kpay_search_documents``).

``sync`` is the one kind of write: under the backend's write lock it asks every plugin for
the documents changed since the watermark and applies them. It runs as a job after activity
events and every minute from the clock, so any change (an edit, a hidden post) is found even
without an event. ``rebuild`` fills a new index from every document and swaps it in, then
syncs what changed while it was building: no update is lost to a concurrent rebuild.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from contextlib import nullcontext

from flask import current_app, has_request_context

from kpay.api import SearchDocument, db, enqueue, hook, utcnow
from plugins.search.backend import Backend, IndexProblem
from plugins.search.pg_index import PostgresBackend
from plugins.search.whoosh_index import WhooshBackend

log = logging.getLogger("kpay.search")

#: How far before a sync's start the next one looks again: a transaction that flushed a
#: document before the sync read and committed after it is still found.
MARGIN = timedelta(seconds=60)


def backend() -> Backend:
    """This app's search backend, as ``[plugins.search] backend`` chose."""
    extensions = current_app.extensions
    if "search.backend" not in extensions:
        settings = current_app.config["KPAY"]["plugins"]["search"]
        extensions["search.backend"] = (PostgresBackend() if settings["backend"] == "postgres"
                                        else WhooshBackend(current_app.instance_path + "/search"))
    return extensions["search.backend"]


def documents(since=None) -> Iterator[SearchDocument]:
    """Every plugin's documents changed after ``since`` (all of them when None).

    Documents hold site-relative URLs: outside a request (the worker's clock, the CLI) a
    stand-in request context lets the plugins build them."""
    with nullcontext() if has_request_context() else current_app.test_request_context("/"):
        for group in hook().kpay_search_documents(since=since):
            yield from group or ()


def sync() -> int:
    """Apply the documents changed since the watermark; the number applied (a job).

    A missing, stale or corrupt index is rebuilt instead."""
    try:
        with backend().writing() as (writer, watermark):
            started = utcnow()
            applied = writer.apply(documents(watermark))
            backend().set_watermark(writer, started - MARGIN)
        return applied
    except IndexProblem as problem:
        log.warning("search index unusable (%s): rebuilding", problem)
        return rebuild()


def rebuild(progress: Callable[[int], None] = lambda n: None) -> int:
    """Build the whole index anew and swap it in; the number of documents (a job, and the CLI)."""
    started = utcnow()
    count = backend().rebuild(
        (d for d in documents(None) if d.visibility != "gone"), started - MARGIN, progress)
    sync_after_rebuild()
    return count


def sync_after_rebuild() -> None:
    """Catch up with what changed while a rebuild ran (a plain sync that never rebuilds)."""
    with backend().writing() as (writer, watermark):
        started = utcnow()
        writer.apply(documents(watermark))
        backend().set_watermark(writer, started - MARGIN)


def queue_sync() -> None:
    """Ask for a sync after the current transaction commits."""
    enqueue(sync)


def queue_rebuild(problem: IndexProblem) -> None:
    """Ask for one rebuild (a query found the index unusable), committed at once; the asks of
    one minute about the same problem share one job."""
    digest = hashlib.sha1(str(problem).encode()).hexdigest()[:12]
    enqueue(rebuild, key=f"search.rebuild:{utcnow():%Y%m%d%H%M}:{digest}")
    db.session.commit()
