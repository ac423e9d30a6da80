"""The dashboard's figures for a date range, read from the daily rollups in three statements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from kpay.api import Product, User, db
from plugins.analytics.growth import Fit, fit
from plugins.analytics.models import Cost, Daily
from plugins.analytics.rollup import MILLION

SERIES = ("signups", "active", "pageviews", "visitors", "I", "D", "C", "gross", "net")
TOTALS = ("funnel_visits", "funnel_signups", "funnel_first", "funnel_repeat", "referral_visits",
          "referral_signups", "referral_conversions", "I", "D", "C", "gross", "refunds", "fee", "net", "payments")
MONEY = ("gross", "refunds", "fee", "net")
MAX_DAYS = 3660


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
    names: dict[str, str] = field(default_factory=dict)  # "p:4" / "c:2" -> product / creator name

    def member_rows(self) -> list[tuple[str, int]]:
        """(date, members at its end) for each day of the range."""
        return [(day.isoformat(), n) for day, n in zip(self.range.dates(), self.members)]

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
        (``"p"``) or creator (``"c"``), largest gross first."""
        keyed: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MONEY, 0))
        for metric in MONEY:
            for dim, value in self.totals.get(metric, {}).items():
                parts = dim.split(":")
                if (kind == "" and len(parts) == 1) or (len(parts) == 3 and parts[1] == kind):
                    keyed[parts[0], ":".join(parts[1:])][metric] = value
        return sorted(((c, k, v) for (c, k), v in keyed.items()), key=lambda row: (row[0], -row[2]["gross"], row[1]))


def read(chosen: Range, creator_id: int | None = None) -> Figures:
    """The figures of ``chosen``; for a creator (``creator_id``) only their own revenue."""
    figures = Figures(chosen)
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
    for metric, dim, value in _total_rows(chosen):
        if creator_id is not None and not _creators(dim, creator_id):
            continue
        figures.totals.setdefault(metric, {})[dim] = int(value)
    if creator_id is not None:
        figures.totals = {m: {d.replace(f":c:{creator_id}", ""): v for d, v in dims.items()}
                          for m, dims in figures.totals.items() if m in (*MONEY, "payments")}
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
    for metric in SERIES:
        for (name, dim), by_day in daily.items():
            if name == metric and (dim == "" or metric in MONEY):
                target = figures.series.setdefault(metric if not dim else f"{metric}:{dim}", {})
                for day, value in by_day.items():
                    if chosen.start <= day <= chosen.end:
                        target[bucket(day, chosen.group)] = target.get(bucket(day, chosen.group), 0) + value
    if creator_id is None:
        _engagement(figures, costs, daily)
    figures.mrr = _mrr(daily, chosen.end)
    return figures


def _creators(dim: str, creator_id: int) -> bool:
    return dim.endswith(f":c:{creator_id}")


def _series_rows(chosen: Range):
    """Per-day site totals in the range, a year of membership sales before its end (MRR), the
    members who signed up before it, and the costs of its months: one statement."""
    in_range = Daily.day.between(chosen.start, chosen.end)
    year = Daily.day.between(chosen.end - timedelta(days=366), chosen.end)
    daily = sa.select(Daily.day, Daily.metric, Daily.dim, Daily.value).where(sa.or_(
        sa.and_(in_range, Daily.metric.in_(SERIES), Daily.dim.not_like("%:%")),
        sa.and_(year, Daily.metric == "membership_gross"),
        sa.and_(in_range, Daily.metric.in_(("I", "D", "C")), Daily.dim.like("circle:%")),
    ))
    before = sa.select(sa.null(), sa.literal("before"), sa.literal(""), sa.func.sum(Daily.value)).where(
        Daily.metric == "signups", Daily.dim == "", Daily.day < chosen.start)
    costs = sa.select(Cost.month, sa.literal("cost"), Cost.currency, Cost.amount_minor).where(
        Cost.month.between(bucket(chosen.start, "month"), chosen.end))
    return db.session.execute(sa.union_all(daily, before, costs)).all()


def _total_rows(chosen: Range):
    return db.session.execute(
        sa.select(Daily.metric, Daily.dim, sa.func.sum(Daily.value))
        .where(Daily.day.between(chosen.start, chosen.end), Daily.metric.in_(TOTALS))
        .group_by(Daily.metric, Daily.dim)
    ).all()


def _names(figures: Figures) -> None:
    """The names of the products and creators the revenue tables show: one statement."""
    products, creators = set(), set()
    for dims in (figures.totals.get(m, {}) for m in MONEY):
        for dim in dims:
            parts = dim.split(":")
            if len(parts) == 3 and parts[2].isdigit():
                (products if parts[1] == "p" else creators).add(int(parts[2]))
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
        get = lambda metric: sum(daily[metric, dim].get(day, 0) for day in days)  # noqa: E731
        return Engagement(get("I"), get("D"), get("C") / MILLION, len(days))

    dates = chosen.dates()
    figures.engagement = terms("", dates)
    circles = {dim for metric, dim in daily if dim.startswith("circle:")}
    figures.circles = sorted(((dim, terms(dim, dates)) for dim in circles), key=lambda row: (-row[1].u, row[0]))
    months: dict[date, list[date]] = defaultdict(list)
    for index, day in enumerate(dates):
        months[bucket(day, "month")].append(day)
    for month, days in sorted(months.items()):
        members = figures.members[dates.index(days[-1])]
        cost, currency = costs.get(month, (None, ""))
        figures.effects.append(Effect(month, members, terms("", days), cost, currency))


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
