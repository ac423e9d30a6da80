"""The analytics dashboard at size: a million activity events and a year of page views on top
of ``bench/scale.py``'s community of 100,000 members, rolled up, then the dashboard's server
time (median of ``--runs``) for a month and for a year, as the admin and as a creator.

    python bench/scale.py --scale large --database-url sqlite:////tmp/large/kpay.db
    python bench/analytics.py --database-url sqlite:////tmp/large/kpay.db --instance /tmp/large

Events are written in bulk (no announcements); ``--events`` sets how many. Nothing here runs
as part of the tests.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, time as clock, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kpay.app import create_app  # noqa: E402
from kpay.demo import DEMO_PASSWORD  # noqa: E402
from kpay.extensions import db  # noqa: E402
from kpay.models import ActivityEvent  # noqa: E402
from kpay.testing import Auth  # noqa: E402
from plugins.analytics import demo, rollup  # noqa: E402
from plugins.analytics.models import PageView  # noqa: E402

NAMES = ("reply.created", "post.liked", "topic.created", "lesson.completed", "answer.accepted", "review.created",
         "user.signed_up", "order.paid", "referral.visited", "referral.signed_up")
WEIGHTS = (40, 30, 6, 12, 2, 1, 4, 2, 2, 1)


def bulk_events(count: int, members: int, days: int = 365, seed: int = 11):
    """``count`` events over the last ``days`` days, by members 1..``members``, in time order."""
    rng = random.Random(seed)
    end = datetime.combine(datetime.now(UTC).date(), clock(), tzinfo=UTC)
    per_day = count // days
    for back in range(days, 0, -1):
        day = end - timedelta(days=back)
        moments = sorted(rng.randint(0, 86_399) for _ in range(per_day))
        for name, second in zip(rng.choices(NAMES, weights=WEIGHTS, k=per_day), moments, strict=True):
            data: dict = {}
            if name in ("reply.created", "post.liked", "topic.created", "answer.accepted"):
                data = {"circle_id": rng.randint(1, 50), "topic_id": rng.randint(1, 50_000)}
            elif name == "lesson.completed":
                data = {"course_id": rng.randint(1, 200), "lessons": 20}
            elif name.startswith("referral."):
                data = {"code": f"R{rng.randint(1, 300)}"}
            yield {"name": name, "user_id": rng.randint(1, members), "subject_type": None, "subject_id": None,
                   "data": data, "created_at": day + timedelta(seconds=second)}


def timed(client, url: str, runs: int) -> str:
    """Median milliseconds of ``runs`` GETs of ``url`` (after one to warm up), in wall-clock
    time and in this process's CPU time (which a loaded shared machine inflates far less)."""
    assert client.get(url).status_code == 200, url
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    return f"{statistics.median(times):.0f} ms, CPU {statistics.median(cpu):.0f} ms (medians of {runs})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-load", action="store_true", help="the events are there already")
    args = parser.parse_args()
    app = create_app({"instance_path": args.instance, "database_url": args.database_url, "redis_url": ""})
    app.config.update(RATELIMIT_ENABLED=False)
    with app.test_request_context("/"):
        members = db.session.scalar(sa.text("SELECT count(*) FROM users"))
        if not args.skip_load:
            start = time.perf_counter()
            written = demo.insert(ActivityEvent, bulk_events(args.events, members), chunk=20_000)
            written += demo.insert(PageView, demo.page_views(365, 2_000, 0.002), chunk=20_000)
            db.session.commit()
            print(f"wrote {written:,} rows in {time.perf_counter() - start:.0f} s")
            start = time.perf_counter()
            read = rollup.rebuild(rollup.utcnow() + rollup.LAG)
            print(f"rebuild read {read:,} rows in {time.perf_counter() - start:.0f} s")
        events = db.session.scalar(sa.text("SELECT count(*) FROM activity_events"))
        daily = db.session.scalar(sa.text("SELECT count(*) FROM analytics_daily"))
        print(f"{members:,} members, {events:,} events, {daily:,} daily rollup rows")
        start = time.perf_counter()
        rollup.run()
        print(f"an incremental run with nothing new: {(time.perf_counter() - start) * 1000:.0f} ms")
    today = datetime.now(UTC).date()
    ranges = {"30 days": today - timedelta(days=29), "365 days": today - timedelta(days=364)}
    for who in ("owner@example.com", "creator@example.com"):
        client = app.test_client()
        Auth(client).login(who, DEMO_PASSWORD)
        for label, start_day in ranges.items():
            url = f"/analytics/?start={start_day.isoformat()}&end={today.isoformat()}"
            print(f"{who}, {label}: {timed(client, url, args.runs)}")
        print(f"{who}, widget: {timed(client, '/analytics/widget', args.runs)}")
    print(f"load average: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
