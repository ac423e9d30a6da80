"""Long ranges read the monthly rollups for their whole months and give what the daily rows add
up to (SQLite, and PostgreSQL with KPAY_TEST_DATABASE_URL)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa

from kpay.api import db
from plugins.analytics import figures, rollup
from plugins.analytics.models import Daily, Monthly
from plugins.analytics.tests.conftest import roll
from plugins.analytics.tests.test_rollups import story


def history() -> Counter:
    """Revenue per product and replies per topic on every day from 2025-11-20 to 2026-03-10."""
    counts: Counter = Counter()
    day = date(2025, 11, 20)
    while day <= date(2026, 3, 10):
        n = day.toordinal()
        counts[day, "gross_p", f"CNY:{n % 3}"] += 100 + n % 7
        counts[day, "net_c", f"CNY:{n % 2}"] += 90 + n % 5
        counts[day, "replies_topic", str(n % 4)] += 1 + n % 3
        day += timedelta(days=1)
    return counts


def daily_sums(start: date, end: date) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        sa.select(Daily.metric, Daily.dim, sa.func.sum(Daily.value))
        .where(Daily.day.between(start, end)).group_by(Daily.metric, Daily.dim))
    return {(metric, dim): int(value) for metric, dim, value in rows}


def test_a_long_range_sums_months_and_edge_days_as_the_days_do(app):
    with app.test_request_context("/"):
        rollup.add_daily(history())
        db.session.commit()
        for start, end in ((date(2025, 11, 25), date(2026, 3, 5)),   # two edges, three whole months
                           (date(2025, 12, 1), date(2026, 2, 28)),    # whole months only
                           (date(2025, 12, 2), date(2026, 1, 30))):   # no whole month: days only
            chosen = figures.Range(start, end)
            query = figures._total_query(chosen, ["gross_p", "net_c", "replies_topic"])
            read = {(m, d): int(v) for m, d, v, _ in db.session.execute(query)}
            assert read == daily_sums(start, end)
            top = figures.top_items(chosen)["replies_topic"]
            expected = sorted(((d, v) for (m, d), v in daily_sums(start, end).items() if m == "replies_topic"),
                              key=lambda row: (-row[1], row[0]))
            assert top == expected
        assert figures.full_months(figures.Range(date(2025, 11, 25), date(2026, 3, 5))) == (date(2025, 12, 1), date(2026, 2, 1))
        assert figures.full_months(figures.Range(date(2025, 12, 2), date(2026, 1, 30))) is None


def test_the_monthly_rows_are_the_daily_rows_summed_by_month(app, make_user):
    members = [make_user().id for _ in range(3)]
    for step in story(app, members):
        step()
        roll(app)
    with app.app_context():
        rollup.add_daily(history())
        db.session.commit()
        by_month: Counter = Counter()
        for day, metric, dim, value in db.session.execute(sa.select(Daily.day, Daily.metric, Daily.dim, Daily.value)):
            by_month[day.replace(day=1), metric, dim] += value
        kept = {tuple(row[:3]): row[3] for row in db.session.execute(sa.select(*Monthly.__table__.c))}
        assert kept == dict(by_month)
