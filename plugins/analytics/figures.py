"""The dashboard's figures for a date range, read from the daily and monthly rollups
(two statements: series, and totals with names; a creator's, one) and, for the dashboard,
commerce's entitlements (one)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from kpay.api import Product, User, db
from plugins.analytics.growth import Fit, fit
from plugins.analytics.models import Cost, Daily, Monthly, Name
from plugins.analytics.renewals import Renewals, count as count_renewals
from plugins.analytics.rollup import MILLION

SERIES = ("signups", "active", "pageviews", "I", "D", "C", "gross")  # read per day
MONEY = ("gross", "refunds", "fee", "net")
CONTENT_TOTALS = ("shares", "first_replies", "first_reply_seconds")
TOTALS = ("funnel_visits", "funnel_signups", "funnel_first", "funnel_repeat", "referral_visits",
          "referral_signups", "referral_conversions", "I_circle", "D_circle", "C_course", *CONTENT_TOTALS,
          *(m + s for m in (*MONEY, "payments") for s in ("", "_p", "_c")))
MAX_DAYS = 3660
DAILY_BY_DAY = "ix_analytics_daily_metric_day_dim_value"


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
    courses: list[tuple[str, float]] = field(default_factory=list)  # (course id, completion in courses)
    effects: list[Effect] = field(default_factory=list)
    mrr: dict[str, int] = field(default_factory=dict)
    cohorts: list[tuple[str, int, list[float | None]]] = field(default_factory=list)  # (month, size, active shares)
    names: dict[str, str] = field(default_factory=dict)  # "p:4", "c:2", "circle:3", "course:5" -> its name
    renewals: Renewals = field(default_factory=Renewals)  # memberships ending in the range

    def first_reply_hours(self) -> float | None:
        """The mean hours from a topic's start (in the range) to its first reply by someone else."""
        replied = self.totals.get("first_replies", {}).get("", 0)
        return self.totals.get("first_reply_seconds", {}).get("", 0) / 3600 / replied if replied else None

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
    own revenue, products, courses and circles, from one statement. ``memberships`` adds their
    renewals (one statement more)."""
    figures = Figures(chosen)
    if creator is not None:
        _creator_totals(figures, *creator)
        _by_item(figures)
        return figures
    daily: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    before = 0
    costs: dict[date, tuple[int, str]] = {}
    days: dict[str, date] = {}  # a year of days is thousands of rows but 366 dates: parse each once
    for text, metric, dim, value in _series_rows(chosen):
        if metric == "before":
            before = int(value or 0)
            continue
        day = days.get(text) or days.setdefault(text, date.fromisoformat(text))
        if metric == "cost":
            costs[day] = (int(value), dim)
        else:
            daily[metric, dim][day] = int(value)
    _read_totals(figures, [_total_query(chosen, TOTALS)], _names())
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
    statement, each part an index range on (metric, dim, day). Days come as ISO text."""
    in_range = Daily.day.between(chosen.start, chosen.end)
    columns = (sa.cast(Daily.day, sa.String), Daily.metric, Daily.dim, Daily.value)
    series = sa.select(*columns).where(Daily.metric.in_(SERIES), in_range)
    cohorts = sa.select(*columns).where(Daily.metric.in_(("cohort_active", "cohort_size")),
                                        Daily.day.between(bucket(chosen.start, "month"), chosen.end))
    memberships = sa.select(*columns).where(Daily.metric == "membership_gross",
                                            Daily.day.between(chosen.end - timedelta(days=366), chosen.end))
    before = sa.select(sa.null(), sa.literal("before"), sa.literal(""), sa.func.sum(Daily.value)).where(
        Daily.metric == "signups", Daily.dim == "", Daily.day < chosen.start)
    costs = sa.select(sa.cast(Cost.month, sa.String), sa.literal("cost"), Cost.currency, Cost.amount_minor).where(
        Cost.month.between(bucket(chosen.start, "month"), chosen.end))
    return db.session.execute(sa.union_all(series, cohorts, memberships, before, costs)).all()


def _total_query(chosen: Range, metrics, dims=None) -> sa.Select:
    """(metric, dim, sum over the range, no name) of ``metrics`` (of ``dims`` only, when given)."""
    rows = _range_rows(chosen, metrics, dims)
    return (sa.select(rows.c.metric, rows.c.dim, sa.func.sum(rows.c.value), sa.cast(sa.null(), sa.String))
            .group_by(rows.c.metric, rows.c.dim))


def _read_totals(figures: Figures, totals: list[sa.Select], names: list[sa.Select]) -> None:
    """Sum ``totals`` into ``figures.totals`` and read ``names`` (see ``_names``) into
    ``figures.names``, in one statement."""
    for metric, dim, value, name in db.session.execute(sa.union_all(*totals, *names)):
        if metric == "name":
            figures.names[dim] = name
        else:
            figures.totals.setdefault(metric, {})[dim] = int(value)


def _creator_totals(figures: Figures, user_id: int, currency: str) -> None:
    """A creator's own figures, in one statement: their revenue, per product, per course
    (completion) and per circle (I and D), the courses' and circles' owners as the events named them."""
    chosen = figures.range
    products = sa.select(sa.literal(f"{currency}:") + sa.cast(Product.id, sa.String)).where(Product.creator_id == user_id)
    owned = lambda kind: sa.select(Name.item).where(Name.owner_id == user_id, Name.kind == kind)  # noqa: E731
    _read_totals(figures, [
        _total_query(chosen, [m + "_c" for m in (*MONEY, "payments")], [f"{currency}:{user_id}"]),
        _total_query(chosen, [m + "_p" for m in MONEY], products),
        _total_query(chosen, ["C_course"], owned("course")),
        _total_query(chosen, ["I_circle", "D_circle"], owned("circle")),
    ], _names(user_id))
    for metric in (*MONEY, "payments"):  # filed under the site's currency, as the site's totals are
        mine = figures.totals.pop(metric + "_c", {}).get(f"{currency}:{user_id}")
        if mine is not None:
            figures.totals[metric] = {currency: mine}


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
        if table is Daily:  # under two months of days: SQLite would walk every dim's days of each metric
            query = query.with_hint(Daily, f"INDEXED BY {DAILY_BY_DAY}", "sqlite")
        return query.where(table.dim.in_(dims if isinstance(dims, sa.Select) else list(dims))) if dims is not None else query

    months = full_months(chosen)
    if months is None:
        return part(Daily, Daily.day, chosen.start, chosen.end).subquery()
    first, last = months
    return sa.union_all(
        part(Daily, Daily.day, chosen.start, first - timedelta(days=1)),
        part(Monthly, Monthly.month, first, last),
        part(Daily, Daily.day, bucket(last + timedelta(days=31), "month"), chosen.end),
    ).subquery()


def _names(owner_id: int | None = None) -> list[sa.Select]:
    """Selects of ("name", key, None, name) for every product (key ``p:<id>``), every creator of
    one (``c:<id>``), circle (``circle:<id>``) and course (``course:<id>``), or of those
    ``owner_id`` owns: tables the size of the site's set-up, not of its activity. Circles and
    courses are named as the latest event about them named them."""
    def named(key, name):
        return sa.select(sa.literal("name"), key, sa.cast(sa.null(), sa.BigInteger), name)

    products = named(sa.literal("p:") + sa.cast(Product.id, sa.String), Product.name)
    others = named(Name.kind + ":" + Name.item, Name.name).where(Name.kind.in_(("circle", "course")))
    if owner_id is not None:
        return [products.where(Product.creator_id == owner_id), others.where(Name.owner_id == owner_id)]
    creators = named(sa.literal("c:") + sa.cast(User.id, sa.String), User.display_name).where(
        User.id.in_(sa.select(Product.creator_id)))
    return [products, creators, others]


def _engagement(figures: Figures, costs: dict, daily: dict) -> None:
    """U for the range and per circle, and E per month of the range."""
    chosen = figures.range

    def terms(dim: str, days: list[date]) -> Engagement:
        get = lambda metric: sum(daily.get((metric, dim), {}).get(day, 0) for day in days)  # noqa: E731
        return Engagement(get("I"), get("D"), get("C") / MILLION, len(days))

    dates = chosen.dates()
    figures.engagement = terms("", dates)
    _by_item(figures)
    months: dict[date, list[date]] = defaultdict(list)
    for day in dates:
        months[bucket(day, "month")].append(day)
    for month, days in sorted(months.items()):
        members = figures.members[dates.index(days[-1])]
        cost, currency = costs.get(month, (None, ""))
        figures.effects.append(Effect(month, members, terms("", days), cost, currency))


def _by_item(figures: Figures) -> None:
    """U per circle (I and D in the circle over the range's days) and completion per course."""
    days = figures.range.days
    interactions, discussions = figures.totals.get("I_circle", {}), figures.totals.get("D_circle", {})
    figures.circles = sorted(
        ((dim, Engagement(interactions.get(dim, 0), discussions.get(dim, 0), 0.0, days))
         for dim in {*interactions, *discussions}),
        key=lambda row: (-row[1].u, row[0]))
    figures.courses = sorted(((dim, value / MILLION) for dim, value in figures.totals.get("C_course", {}).items()),
                             key=lambda row: (-row[1], row[0]))


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


CONTENT = {"replies_topic": "topic", "likes_topic": "topic", "pageviews_path": "path", "shares_path": "path"}


def top_items(chosen: Range, limit: int = 10) -> dict[str, list[tuple[str, int]]]:
    """The most replied and most liked topics, the most viewed and most shared pages of the
    range, and the seconds to the first reply of the most replied topics: {metric: [(topic id
    or path, count)]}, ``first_reply_topic`` {topic id: seconds}; one statement."""
    parts, tops = [], {}
    for metric in CONTENT:
        rows = _range_rows(chosen, [metric])
        tops[metric] = (sa.select(rows.c.metric, rows.c.dim, sa.func.sum(rows.c.value).label("total"))
                        .group_by(rows.c.metric, rows.c.dim).order_by(sa.desc("total"), rows.c.dim).limit(limit).subquery())
        parts.append(tops[metric].select())
    replied = tops["replies_topic"]
    parts.append(sa.select(Daily.metric, Daily.dim, sa.func.sum(Daily.value))  # on the topic's first day, maybe before
                 .where(Daily.metric == "first_reply_topic", Daily.dim.in_(sa.select(replied.c.dim)))
                 .group_by(Daily.metric, Daily.dim))
    found: dict[str, list[tuple[str, int]]] = {metric: [] for metric in (*CONTENT, "first_reply_topic")}
    for metric, dim, total in db.session.execute(sa.union_all(*parts)):
        found[metric].append((dim, int(total)))
    return found


def topic_names(items: dict[str, list[tuple[str, int]]]) -> dict[str, str]:
    """{topic id: title} of the topics in ``items``, as the latest event about them named them; one statement."""
    topics = {dim for metric, kind in CONTENT.items() if kind == "topic" for dim, _ in items[metric]}
    if not topics:
        return {}
    return dict(db.session.execute(sa.select(Name.item, Name.name).where(Name.kind == "topic", Name.item.in_(topics))).all())
