"""The gamification leaderboards' sweep at size: ``--entries`` points entries (200,000 by
default) over 60 days on top of ``bench/scale.py``'s community, then the sweep's time when it
sums the whole ledger (the first run, or ``kpay gamification sweep --full``), with nothing new,
and after ``--new`` new entries (what a 5-minute sweep meets).

    python bench/scale.py --scale large --database-url sqlite:////tmp/large/kpay.db
    python bench/gamification.py --database-url sqlite:////tmp/large/kpay.db --instance /tmp/large

Entries are written in bulk (no events). Nothing here runs as part of the tests.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kpay.app import create_app  # noqa: E402
from kpay.extensions import db  # noqa: E402
from kpay.models import PointsEntry  # noqa: E402
from plugins.gamification import boards  # noqa: E402

RULES = (("reply_liked", 1), ("first_post_of_day", 2), ("lesson_completed", 5), ("question_asked", 3),
         ("answer_accepted", 15))


def entries(count: int, members: int, start: int, days: int = 60, seed: int = 17):
    """``count`` ledger rows by members 1..``members`` over the last ``days`` days, in time order
    (a tenth outside circles, the rest in circles 1..50), keys numbered from ``start``."""
    rng = random.Random(seed + start)
    now = datetime.now(UTC) - timedelta(minutes=10)
    moments = sorted(rng.randint(0, days * 86_400) for _ in range(count))
    for number, back in enumerate(reversed(moments), start=start):
        rule, amount = rng.choice(RULES)
        user = rng.randint(1, members)
        circle = 0 if rng.random() < 0.1 else rng.randint(1, 50)
        yield {"user_id": user, "amount": amount, "reason": f"gamification.{rule}",
               "key": f"gam:{rule}:c{circle}:bench:{number}:u{user}", "created_at": now - timedelta(seconds=back)}


def write(rows) -> int:
    """Insert ``rows`` in chunks; returns how many."""
    written, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 20_000:
            db.session.execute(sa.insert(PointsEntry), chunk)
            written, chunk = written + len(chunk), []
    if chunk:
        db.session.execute(sa.insert(PointsEntry), chunk)
    return written + len(chunk)


def timed(label: str, work) -> None:
    start = time.perf_counter()
    read = work()
    db.session.commit()
    print(f"{label}: {(time.perf_counter() - start) * 1000:,.0f} ms ({read:,} entries read)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--new", type=int, default=1_000)
    args = parser.parse_args()
    app = create_app({"instance_path": args.instance, "database_url": args.database_url, "redis_url": ""})
    with app.app_context():
        members = db.session.scalar(sa.text("SELECT count(*) FROM users"))
        held = db.session.scalar(sa.select(sa.func.count()).select_from(PointsEntry))
        if held < args.entries:
            print(f"wrote {write(entries(args.entries - held, members, held)):,} ledger entries")
            db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(PointsEntry))
        print(f"{members:,} members, {total:,} ledger entries")
        timed("full sweep (the whole ledger)", boards.rebuild)
        timed("incremental sweep, nothing new", boards.sweep)
        write(entries(args.new, members, total, days=1))
        db.session.commit()
        timed(f"incremental sweep, {args.new:,} new entries", boards.sweep)
        days = db.session.scalar(sa.text("SELECT count(*) FROM gamification_point_days"))
        print(f"{days:,} daily rollup rows")


if __name__ == "__main__":
    main()
