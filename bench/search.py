"""Search at scale: build, query, recall, freshness, memory and concurrent writers, per backend.

    python bench/search.py --docs 100000 [--postgres postgresql://postgres@127.0.0.1/kpay_bench]
        [--instance FOLDER [--queries-only]] [--backends whoosh] [--build-only]

Makes ``--docs`` synthetic documents (half Chinese, half English; a fifth of them paid), builds
the whoosh index (and, with ``--postgres``, the PostgreSQL one in that database, which must
exist) with a progress bar, then reports per backend: build time, query p50/p95 with
highlights, recall of Chinese two-character words against a brute-force scan, how long a new
document takes to be searchable, the peak RSS of a fresh web-worker process with the index open
(50 queries), and the updates lost when 4 processes write at once. Build and query times are
given in wall and CPU time (this process's: PostgreSQL's own work is only in the wall time).
With ``--instance`` the whoosh index is kept in that folder and reused when it is already
there (a 100,000-document build takes minutes); ``--queries-only`` then measures only the
queries and the recall (the other measures add documents to the index).
Nothing here runs in the tests.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, UTC
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpay.app import create_app  # noqa: E402
from kpay.types import SearchDocument  # noqa: E402
from plugins.search import indexer  # noqa: E402
from plugins.search.backend import Query  # noqa: E402
from plugins.search.searching import highlight, query_terms  # noqa: E402

CHARACTERS = [chr(c) for c in range(0x4E00, 0x4E00 + 800)]
LETTERS = "abcdefghijklmnoprstuvwy"


def vocabulary(rng: random.Random, count: int = 8000) -> tuple[list[str], list[str], list[float]]:
    """Two-character Chinese words and English-like words, with Zipf weights as real text has."""
    chinese = ["".join(rng.choices(CHARACTERS, k=2)) for _ in range(count)]
    english = ["".join(rng.choices(LETTERS, k=rng.randint(4, 9))) for _ in range(count)]
    return chinese, english, [1 / (rank + 1) for rank in range(count)]


def make_documents(count: int, seed: int = 1) -> list[SearchDocument]:
    rng = random.Random(seed)
    chinese, english, weights = vocabulary(rng)
    now = datetime.now(UTC)
    documents = []
    for n in range(count):
        if n % 2:
            title = "".join(rng.choices(chinese, weights, k=4))
            body = "".join(rng.choices(chinese, weights, k=rng.randint(30, 100)))
        else:
            title = " ".join(rng.choices(english, weights, k=5))
            body = " ".join(rng.choices(english, weights, k=rng.randint(30, 120)))
        visibility = f"course:{n % 50}" if n % 5 == 0 else "public"
        documents.append(SearchDocument("bench", str(n), title, body, f"/bench/{n}", visibility, now,
                                        place=f"circle:{n % 20}", place_title="Bench", author_id=1, author="Bench"))
    return documents


def app_for(backend: str, instance: Path, postgres: str | None):
    return create_app({
        "instance_path": str(instance), "database_url": postgres or f"sqlite:///{instance / 'kpay.db'}",
        "redis_url": "", "plugins": {"enabled": ["search"], "search": {"backend": backend}},
    })


def build(app, documents: list[SearchDocument]) -> tuple[float, float]:
    """Wall and CPU seconds (this process's CPU: PostgreSQL's own is not in it)."""
    _reset_peak_rss()
    with app.test_request_context("/"):
        started, cpu = time.perf_counter(), time.process_time()
        with click.progressbar(length=len(documents), label=f"Indexing ({indexer.backend().name})",
                               show_pos=True) as bar:
            indexer.backend().rebuild(iter(documents), datetime.now(UTC), bar.update)
        return time.perf_counter() - started, time.process_time() - cpu


def _reset_peak_rss() -> None:
    """Start this process's peak RSS (VmHWM) afresh, so that it tells the build's peak."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss() -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def query_times(app, documents: list[SearchDocument], queries: int = 300) -> tuple[float, float, float, float]:
    """p50 and p95 of a query with highlights, in wall then CPU milliseconds (on a shared
    machine the CPU figures are the steadier ones)."""
    rng = random.Random(2)
    times, cpu_times = [], []
    with app.test_request_context("/"):
        backend = indexer.backend()
        for n in range(queries):
            source = documents[rng.randrange(len(documents))]
            text = source.title[:2] if n % 2 and "\u4e00" <= source.title[0] else " ".join(source.title.split()[:2])
            started, cpu = time.perf_counter(), time.process_time()
            words = query_terms(text)
            found = backend.search(Query(words, ("public",)), 0, 10)
            for hit in found.hits:
                highlight(hit.title, words, None)
                highlight(hit.body, words, 180)
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
    return (statistics.median(times), statistics.quantiles(times, n=20)[18],
            statistics.median(cpu_times), statistics.quantiles(cpu_times, n=20)[18])


def chinese_recall(app, documents: list[SearchDocument], words: int = 40) -> float:
    rng = random.Random(3)
    public = [d for d in documents if d.visibility == "public" and "\u4e00" <= d.title[0]]
    found = expected = 0
    with app.test_request_context("/"):
        backend = indexer.backend()
        for _ in range(words):
            source = rng.choice(public).body
            start = rng.randrange(len(source) - 2)
            word = source[start:start + 2]
            truth = {f"bench:{d.id}" for d in public if word in d.title or word in d.body}
            hits = backend.search(Query(query_terms(word), ("public",)), 0, 100_000).hits
            found += len(truth & {h.key for h in hits})
            expected += len(truth)
    return found / expected


def freshness(app, samples: int = 20) -> tuple[float, float]:
    """Seconds from writing a new document (one sync's worth) to finding it."""
    times = []
    with app.test_request_context("/"):
        backend = indexer.backend()
        for n in range(samples):
            word = f"fresh{n}word"
            document = SearchDocument("bench", f"fresh-{n}", word, word, "/", "public", datetime.now(UTC))
            started = time.perf_counter()
            with backend.writing() as (writer, _):
                writer.apply([document])
            while not backend.search(Query(query_terms(word), ("public",)), 0, 1).hits:
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def _worker_rss(args) -> float:
    """A web worker's peak RSS in MB: a fresh process that opens the app and the index and
    answers 50 queries with highlights."""
    backend, instance, postgres = args
    app = app_for(backend, Path(instance), postgres)
    with app.test_request_context("/"):
        for n in range(50):
            words = query_terms(f"{LETTERS[n % 20:n % 20 + 4]} {chr(0x4E00 + n)}{chr(0x4E01 + n)}")
            for hit in indexer.backend().search(Query(words, ("public",)), 0, 10).hits:
                highlight(hit.body, words, 180)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a spawned child would report
    # the bench's own peak (its 100,000 documents and the build).
    return _peak_rss()


def worker_rss(backend: str, instance: Path, postgres: str | None) -> float:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.map(_worker_rss, [(backend, str(instance), postgres)])[0]


def _writer(args) -> int:
    backend, instance, postgres, worker = args
    app = app_for(backend, Path(instance), postgres)
    with app.test_request_context("/"):
        for n in range(25):
            document = SearchDocument("bench", f"w{worker}-{n}", f"writer{worker} item{n}", "x", "/", "public",
                                      datetime.now(UTC))
            with indexer.backend().writing() as (writer, _):
                writer.apply([document])
    return 25


def lost_updates(backend: str, instance: Path, postgres: str | None) -> int:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        written = sum(pool.map(_writer, [(backend, str(instance), postgres, w) for w in range(4)]))
    app = app_for(backend, instance, postgres)
    with app.test_request_context("/"):
        found = sum(len(indexer.backend().search(Query(query_terms(f"writer{w}"), ("public",)), 0, 1000).hits)
                    for w in range(4))
    return written - found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL database to build the postgres backend in")
    parser.add_argument("--instance", type=Path, help="keep the whoosh index in this folder; reuse it if built")
    parser.add_argument("--queries-only", action="store_true", help="only query times and recall")
    parser.add_argument("--backends", default="whoosh,postgres", help="which of whoosh,postgres to measure")
    parser.add_argument("--build-only", action="store_true", help="measure the build alone, with its peak RSS")
    args = parser.parse_args()
    documents = make_documents(args.docs)
    backends = [b for b in args.backends.split(",") if b == "whoosh" or (b == "postgres" and args.postgres)]
    rows = []
    for backend in backends:
        with tempfile.TemporaryDirectory() as folder:
            instance = args.instance if args.instance and backend == "whoosh" else Path(folder)
            instance.mkdir(parents=True, exist_ok=True)
            app = app_for(backend, instance, args.postgres)
            built = backend == "whoosh" and (instance / "search" / "CURRENT").exists() and not args.build_only
            seconds, cpu = (0.0, 0.0) if built else build(app, documents)
            if args.build_only:
                print(f"{backend}: {args.docs:,} documents built in {seconds:.1f} s wall, {cpu:.1f} s CPU, "
                      f"peak RSS {_peak_rss():.0f} MB (the documents included)")
                continue
            p50, p95, cpu50, cpu95 = query_times(app, documents)
            recall = chinese_recall(app, documents)
            fresh50 = fresh95 = rss = lost = float("nan")
            if not args.queries_only:
                fresh50, fresh95 = freshness(app)
                rss = worker_rss(backend, instance, args.postgres)
                lost = lost_updates(backend, instance, args.postgres)
            rows.append((backend, seconds, cpu, p50, p95, cpu50, cpu95, recall, fresh50, fresh95, rss, lost))
    if not rows:
        return
    print(f"\n{args.docs:,} documents (half Chinese); wall (CPU of this process)")
    print("| backend | build s | query p50 ms | query p95 ms | Chinese recall | new doc found p50/p95 s | "
          "web worker RSS MB | lost of 100 updates by 4 writers |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for backend, seconds, cpu, p50, p95, cpu50, cpu95, recall, fresh50, fresh95, rss, lost in rows:
        print(f"| {backend} | {seconds:.1f} ({cpu:.1f}) | {p50:.1f} ({cpu50:.1f}) | {p95:.1f} ({cpu95:.1f}) | "
              f"{recall:.3f} | {fresh50:.3f} / {fresh95:.3f} | {rss:.0f} | {lost} |")


if __name__ == "__main__":
    main()
