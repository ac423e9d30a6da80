"""What ``jobs.enqueue`` costs the request that calls it: the outbox row written in the
caller's transaction (PERFORMANCE.md's target: under 2 ms a call).

    python bench/jobs.py
    python bench/jobs.py --database-url postgresql://postgres@127.0.0.1/kpay_bench --redis-url redis://127.0.0.1:6379/9

Each round enqueues ``--calls`` jobs with their own keys in one transaction and rolls it back,
so nothing runs and nothing is pushed; it prints the mean and the slowest round's mean per call.
Nothing here runs as part of the tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kpay import jobs  # noqa: E402
from kpay.app import create_app  # noqa: E402
from kpay.extensions import db  # noqa: E402


def welcome(user_id: int) -> None:
    """The job enqueued; the rollback means it never runs."""


def measure(app, calls: int, rounds: int) -> list[float]:
    """Mean seconds per ``enqueue`` for each of ``rounds`` rounds of ``calls`` calls."""
    means = []
    with app.app_context():
        jobs.enqueue(welcome, 1, key="bench:warm-up")  # statement caches warm
        db.session.rollback()
        for number in range(rounds):
            started = time.perf_counter()
            for call in range(calls):
                jobs.enqueue(welcome, call, key=f"bench:{number}:{call}")
            means.append((time.perf_counter() - started) / calls)
            db.session.rollback()
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="a database to use (default: a new SQLite file)")
    parser.add_argument("--redis-url", default="", help="Redis for rq mode (default: embedded mode)")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpay-bench-jobs-") as folder:
        url = args.database_url or f"sqlite:///{folder}/kpay.db"
        app = create_app({"instance_path": folder, "database_url": url, "redis_url": args.redis_url})
        with app.app_context():
            db.create_all()
        means = measure(app, args.calls, args.rounds)
        with app.app_context():
            db.engine.dispose()
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    mode = "rq" if args.redis_url else "embedded"
    print(f"enqueue on {where}, {mode} mode: {1000 * sum(means) / len(means):.3f} ms a call "
          f"(slowest round {1000 * max(means):.3f} ms; target < 2 ms)")


if __name__ == "__main__":
    main()
