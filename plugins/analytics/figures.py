"""The dashboard's figures for a date range, read from the daily and monthly rollups
(three statements) and, for the dashboard, commerce's entitlements (one)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from kpay.api import Product, User, db
from plugins.analytics.growth import Fit, fit
from plugins.analytics.models import Cost, Daily, Monthly
from plugins.analytics.renewals import Renewals, count as count_renewals
from plugins.analytics.rollup import MILLION

SERIES = ("signups", "active", "pageviews", "visitors", "I", "D", "C", "gross", "net")
MONEY = ("gross", "refunds", "fee", "net")
TOTALS = ("funnel_visits", "funnel_signups", "funnel_first", "funnel_repeat", "referral_visits",
          "referral_signups", "referral_conversions", "I_circle", "D_circle", *(m + s for m in (*MONEY, "payments") for s in ("", "_p", "_c")))
MAX_DAYS = 3660
DAILY_BY_DAY = "sqlite_autoindex_analytics_daily_1"  # SQLite's name for the primary key (day, metric, dim)


@dataclass(frozen=True)
class Range:
    """The days shown, ``start`` to ``end`` inclusive, grouped by ``group`` (day, week, month)."""

    start: date
    end: date
    group: str = "day"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def bucket(day: date, group: str) -> date:
    """The first day of the week (Monday) or month ``day`` is in; the day itself for ``day``."""
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    return day


@dataclass
class Engagement:
    """U = (I + D + C) / T for a period, with its terms (C in courses, T in days)."""

    interactions: int
    discussions: int
    completion: float
    days: int

    @property
    def u(self) -> float:
        return (self.interactions + self.discussions + self.completion) / self.days if self.days else 0.0


@dataclass
class Effect:
    """E = S·U / C for one month (C, the cost, in minor units; None when not entered)."""

    month: date
    members: int
    engagement: Engagement
    cost: int | None
    currency: str

    @property
    def e(self) -> float | None:
        """S·U per unit of the site's currency (major units), or None without a cost."""
        if not self.cost:
            return None
        return self.members * self.engagement.u / (self.cost / 100)


@dataclass
class Figures:
    range: Range
    members: list[int] = field(default_factory=list)  # N at the end of each day
    fit: Fit = field(default_factory=lambda: fit([]))
    forecast: list[tuple[date, float, float, float]] = field(default_factory=list)
    series: dict[str, dict[date, int]] = field(default_factory=dict)  # metric -> bucket -> value
    totals: dict[str, dict[str, int]] = field(default_factory=dict)  # metric -> dim -> value
    engagement: Engagement | None = None
    circles: list[tuple[str, Engagement]] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    mrr: dict[str, int] = field(default_factory=dict)
    cohorts: list[tuple[str, int, list[float | None]]] = field(default_factory=list)  # (month, size, active shares)
    names: dict[str, str] = field(default_factory=dict)  # "p:4" / "c:2" -> product / creator name
    renewals: Renewals = field(default_factory=Renewals)  # memberships ending in the range

    def member_rows(self) -> list[tuple[str, int]]:
        """(date, members at its end) for each day of the range."""
        return [(day.isoformat(), n) for day, n in zip(self.range.dates(), self.members, strict=True)]

    def funnel(self) -> list[tuple[str, int, int, int, int]]:
        """(source, visits, sign-ups, first purchases, repeat purchases), most sign-ups first."""
        steps = ("funnel_visits", "funnel_signups", "funnel_first", "funnel_repeat")
        sources = {dim for step in steps for dim in self.totals.get(step, {})}
        rows = [(s, *(self.totals.get(step, {}).get(s, 0) for step in steps)) for s in sources]
        return sorted(rows, key=lambda row: (-row[2], -row[1], row[0]))

    def referrals(self) -> list[tuple[str, int, int, int]]:
        """(referral code, visits, sign-ups, conversions), most sign-ups first."""
        steps = ("referral_visits", "referral_signups", "referral_conversions")
        codes = {dim for step in steps for dim in self.totals.get(step, {})}
        rows = [(c, *(self.totals.get(step, {}).get(c, 0) for step in steps)) for c in codes]
        return sorted(rows, key=lambda row: (-row[2], -row[1], row[0]))

    def revenue(self, kind: str = "") -> list[tuple[str, str, dict[str, int]]]:
        """(currency, key, {gross, refunds, fee, net}) per currency (``kind`` ""), product
        (``"p"``, key ``p:<id>``) or creator (``"c"``), largest gross first."""
        keyed: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MONEY, 0))
        for metric in MONEY:
            for dim, value in self.totals.get(metric + (f"_{kind}" if kind else ""), {}).items():
                currency, _, key = dim.partition(":")
                keyed[currency, f"{kind}:{key}" if kind else ""][metric] = value
        return sorted(((c, k, v) for (c, k), v in keyed.items()), key=lambda row: (row[0], -row[2]["gross"], row[1]))


def read(chosen: Range, creator: tuple[int, str] | None = None, memberships: bool = False) -> Figures:
    """The figures of ``chosen``; for a creator (``(user id, the site's currency)``) only their
    own revenue, from one statement. ``memberships`` adds their renewals (one statement more)."""
    figures = Figures(chosen)
    if creator is not None:
        dim = f"{creator[1]}:{creator[0]}"
        for metric, _, value in _total_rows(chosen, [m + "_c" for m in (*MONEY, "payments")], [dim]):
            figures.totals.setdefault(metric.removesuffix("_c"), {})[creator[1]] = int(value)
        return figures
    daily: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    before = 0
    costs: dict[date, tuple[int, str]] = {}
    for day, metric, dim, value in _series_rows(chosen):
        if metric == "before":
            before = int(value or 0)
        elif metric == "cost":
            costs[day] = (int(value), dim)
        else:
            daily[metric, dim][day] = int(value)
    for metric, dim, value in _total_rows(chosen, TOTALS):
        figures.totals.setdefault(metric, {})[dim] = int(value)
    _names(figures)
    dates = chosen.dates()
    count = before
    for day in dates:
        count += daily["signups", ""].get(day, 0)
        figures.members.append(count)
    figures.fit = fit(figures.members)
    if figures.fit.ok:
        ahead = max(7, min(90, chosen.days // 3))
        figures.forecast = [(chosen.end + timedelta(days=n), *figures.fit.predict(chosen.days - 1 + n))
                            for n in (ahead // 3, 2 * ahead // 3, ahead)]
    for (metric, dim), by_day in daily.items():
        if metric in SERIES:
            target = figures.series.setdefault(f"{metric}:{dim}" if dim else metric, {})
            for day, value in by_day.items():
                if chosen.start <= day <= chosen.end:
                    key = bucket(day, chosen.group)
                    target[key] = target.get(key, 0) + value
    _engagement(figures, costs, daily)
    _cohorts(figures, daily)
    figures.mrr = _mrr(daily, chosen.end)
    if memberships:
        figures.renewals = count_renewals(chosen.start, chosen.end)
    return figures


def _series_rows(chosen: Range):
    """Per-day site totals in the range, its months' cohorts, a year of membership sales before
    its end (MRR), the members who signed up before it, and the costs of its months: one
    statement, each part an index range on (metric, dim, day)."""
    in_range = Daily.day.between(chosen.start, chosen.end)
    columns = (Daily.day, Daily.metric, Daily.dim, Daily.value)
    series = sa.select(*columns).where(Daily.metric.in_(SERIES), in_range)
    cohorts = sa.select(*columns).where(Daily.metric.in_(("cohort_active", "cohort_size")),
                                        Daily.day.between(bucket(chosen.start, "month"), chosen.end))
    memberships = sa.select(*columns).where(Daily.metric == "membership_gross",
                                            Daily.day.between(chosen.end - timedelta(days=366), chosen.end))
    before = sa.select(sa.null(), sa.literal("before"), sa.literal(""), sa.func.sum(Daily.value)).where(
        Daily.metric == "signups", Daily.dim == "", Daily.day < chosen.start)
    costs = sa.select(Cost.month, sa.literal("cost"), Cost.currency, Cost.amount_minor).where(
        Cost.month.between(bucket(chosen.start, "month"), chosen.end))
    return db.session.execute(sa.union_all(series, cohorts, memberships, before, costs)).all()


def _total_rows(chosen: Range, metrics, dims=None):
    """(metric, dim, sum over the range) of ``metrics`` (of ``dims`` only, when given)."""
    rows = _range_rows(chosen, metrics, dims)
    query = sa.select(rows.c.metric, rows.c.dim, sa.func.sum(rows.c.value)).group_by(rows.c.metric, rows.c.dim)
    return db.session.execute(query).all()


def full_months(chosen: Range) -> tuple[date, date] | None:
    """The first days of the first and last calendar months wholly inside ``chosen``, or None."""
    first = bucket(chosen.start, "month")
    if first != chosen.start:
        first = bucket(first + timedelta(days=31), "month")
    after = bucket(chosen.end + timedelta(days=1), "month")  # the month after the last whole one
    last = bucket(after - timedelta(days=1), "month")
    return (first, last) if first <= last and first >= chosen.start else None


def _range_rows(chosen: Range, metrics, dims=None) -> sa.Subquery:
    """The rows (metric, dim, value) that add up to ``metrics`` over ``chosen``: the monthly
    rows of its whole months and the daily rows of the days before and after them."""
    def part(table, column, start: date, end: date):
        query = (sa.select(table.metric, table.dim, table.value)
                 .where(table.metric.in_(list(metrics)), column.between(start, end)))
        if table is Daily:  # under two months of days: SQLite would walk every day of each metric
            query = query.with_hint(Daily, f"INDEXED BY {DAILY_BY_DAY}", "sqlite")
        return query.where(table.dim.in_(list(dims))) if dims is not None else query

    months = full_months(chosen)
    if months is None:
        return part(Daily, Daily.day, chosen.start, chosen.end).subquery()
    first, last = months
    return sa.union_all(
        part(Daily, Daily.day, chosen.start, first - timedelta(days=1)),
        part(Monthly, Monthly.month, first, last),
        part(Daily, Daily.day, bucket(last + timedelta(days=31), "month"), chosen.end),
    ).subquery()


def _names(figures: Figures) -> None:
    """The names of the products and creators the revenue tables show: one statement."""
    products = {int(dim.partition(":")[2]) for dim in figures.totals.get("gross_p", {})}
    creators = {int(dim.partition(":")[2]) for dim in figures.totals.get("gross_c", {})}
    if not products and not creators:
        return
    query = sa.union_all(
        sa.select(sa.literal("p"), Product.id, Product.name).where(Product.id.in_(products or {0})),
        sa.select(sa.literal("c"), User.id, User.display_name).where(User.id.in_(creators or {0})),
    )
    figures.names = {f"{kind}:{key}": name for kind, key, name in db.session.execute(query)}


def _engagement(figures: Figures, costs: dict, daily: dict) -> None:
    """U for the range and per circle, and E per month of the range."""
    chosen = figures.range

    def terms(dim: str, days: list[date]) -> Engagement:
        get = lambda metric: sum(daily.get((metric, dim), {}).get(day, 0) for day in days)  # noqa: E731
        return Engagement(get("I"), get("D"), get("C") / MILLION, len(days))

    dates = chosen.dates()
    figures.engagement = terms("", dates)
    interactions, discussions = figures.totals.get("I_circle", {}), figures.totals.get("D_circle", {})
    figures.circles = sorted(
        ((dim, Engagement(interactions.get(dim, 0), discussions.get(dim, 0), 0.0, len(dates)))
         for dim in {*interactions, *discussions}),
        key=lambda row: (-row[1].u, row[0]))
    months: dict[date, list[date]] = defaultdict(list)
    for day in dates:
        months[bucket(day, "month")].append(day)
    for month, days in sorted(months.items()):
        members = figures.members[dates.index(days[-1])]
        cost, currency = costs.get(month, (None, ""))
        figures.effects.append(Effect(month, members, terms("", days), cost, currency))


def _cohorts(figures: Figures, daily: dict) -> None:
    """Monthly cohorts of the range: (month joined, members who joined, the share of them active
    in that month and each month after, up to the range's end)."""
    sizes = {dim: sum(by_day.values()) for (metric, dim), by_day in daily.items() if metric == "cohort_size"}
    active: dict[tuple[str, str], int] = {}
    for (metric, dim), by_day in daily.items():
        if metric == "cohort_active":
            for day, value in by_day.items():
                active[dim, f"{day:%Y-%m}"] = value
    months = sorted({f"{day:%Y-%m}" for day in figures.range.dates()})
    for cohort in sorted(sizes):
        later = [m for m in months if m >= cohort]
        figures.cohorts.append((cohort, sizes[cohort], [active.get((cohort, m), 0) / sizes[cohort] for m in later]))


def _mrr(daily: dict, end: date) -> dict[str, int]:
    """Monthly recurring revenue at ``end`` per currency: each membership period's sales within
    that period before ``end``, scaled to 30 days."""
    mrr: dict[str, int] = {}
    for (metric, dim), by_day in daily.items():
        if metric != "membership_gross":
            continue
        currency, period = dim.split(":")
        since = end - timedelta(days=int(period))
        sold = sum(value for day, value in by_day.items() if since < day <= end)
        mrr[currency] = mrr.get(currency, 0) + round(sold * 30 / int(period))
    return mrr


CONTENT = {"replies_topic": "topic", "likes_topic": "topic", "pageviews_path": "path"}


def top_items(chosen: Range, limit: int = 10) -> dict[str, list[tuple[str, int]]]:
    """The most replied and most liked topics and the most viewed pages of the range:
    {metric: [(topic id or path, count)]}, one statement."""
    parts = []
    for metric in CONTENT:
        rows = _range_rows(chosen, [metric])
        parts.append(
            sa.select(rows.c.metric, rows.c.dim, sa.func.sum(rows.c.value).label("total"))
            .group_by(rows.c.metric, rows.c.dim).order_by(sa.desc("total"), rows.c.dim).limit(limit).subquery().select()
        )
    found: dict[str, list[tuple[str, int]]] = {metric: [] for metric in CONTENT}
    for metric, dim, total in db.session.execute(sa.union_all(*parts)):
        found[metric].append((dim, int(total)))
    return found
