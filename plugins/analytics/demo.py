"""A year of plausible history for the demo: the daily figures of anonymous past members'
activity and their page views, so the charts and the fit mean something on ``make run``.

The history never happened on this site, so it is not written as activity events (which are
the core's): the generated events are added up into ``analytics_imported``, which a rebuild
starts from, as a site moving from another platform would import its past.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app

from kpay.api import ActivityEvent, db, site_now, utcnow
from plugins.analytics import rollup
from plugins.analytics.models import Cost, Cursor, Imported, PageView

SOURCES = ("direct", "direct", "site:google.com", "site:weibo.com", "utm:newsletter/autumn", "utm:wechat")


@dataclass
class Places:
    """The site's circles (each with its topics) and courses (each with its number of lessons)
    that the history's activity happens in."""

    circles: dict[str, list[str]] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)


def known_places() -> Places:
    """The circles, topics and courses the site's activity events name (the other plugins'
    demo content, announced as real use announces it): the history happens in them, so the
    dashboard shows their names."""
    places = Places()
    rows = db.session.execute(sa.select(ActivityEvent.name, ActivityEvent.subject_id, ActivityEvent.data).where(
        ActivityEvent.name.in_(("topic.created", "lesson.completed"))).order_by(ActivityEvent.id))
    for name, subject_id, data in rows:
        if name == "topic.created" and data.get("circle_id") is not None and data.get("circle_name"):
            places.circles.setdefault(str(data["circle_id"]), []).append(str(subject_id))
        elif name == "lesson.completed" and data.get("course_id") is not None and data.get("course_title"):
            places.courses[str(data["course_id"])] = int(data.get("lessons") or 1)
    return places


def events(days: int, start_rate: float, growth: float, places: Places, seed: int = 7) -> Iterator[dict]:
    """ActivityEvent rows for the ``days`` before today: sign-ups at ``start_rate`` a day,
    growing by ``growth`` a day, and the activity such a community makes in ``places`` (none
    where the site has no circles or courses)."""
    rng = random.Random(seed)
    end = datetime.combine(site_now().date(), time(), tzinfo=site_now().tzinfo).astimezone(UTC)
    circles, courses = sorted(places.circles), sorted(places.courses)
    kinds = [name for name, there in (("reply.created", circles), ("post.liked", circles), ("topic.created", circles),
                                      ("lesson.completed", courses), ("answer.accepted", circles)) if there]
    weights = [{"reply.created": 40, "post.liked": 30, "topic.created": 8, "lesson.completed": 12,
                "answer.accepted": 3}[name] for name in kinds]
    members = 0
    for back in range(days, 0, -1):
        day = end - timedelta(days=back)
        signups = _poisson(rng, start_rate * math.exp(growth * (days - back)))
        members += signups
        names = ["user.signed_up"] * signups
        if kinds:
            names += rng.choices(kinds, weights=weights, k=_poisson(rng, max(1, members // 20) * 1.5))
        for name in names:
            data: dict = {"demo": True}
            if name == "topic.created":  # a topic since gone: counted, never named
                data.update(circle_id=int(rng.choice(circles)))
            elif name == "lesson.completed":
                course = rng.choice(courses)
                data.update(course_id=int(course), lessons=places.courses[course])
            elif name != "user.signed_up":
                circle = rng.choice(circles)
                data.update(circle_id=int(circle), topic_id=int(rng.choice(places.circles[circle])))
            yield {"name": name, "user_id": None, "subject_type": None, "subject_id": None, "data": data,
                   "created_at": day + timedelta(seconds=rng.randint(0, 86_399))}


def page_views(days: int, per_day: float, growth: float, seed: int = 8) -> Iterator[dict]:
    """PageView rows for the ``days`` before today (visitors are random hashes)."""
    rng = random.Random(seed)
    today = site_now().date()
    paths = ("/", "/courses/", "/forums/", "/shop/", "/forums/c/1", "/courses/1")
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        visitors = [hashlib.sha256(f"{seed}:{day}:{n}".encode()).hexdigest()[:32]
                    for n in range(max(1, _poisson(rng, per_day * math.exp(growth * (days - back)) / 3)))]
        for visitor in visitors:
            source = rng.choice(SOURCES)
            for n in range(rng.randint(1, 5)):
                yield {"day": day, "path": rng.choice(paths), "source": source if n == 0 else "", "visitor": visitor,
                       "created_at": datetime.combine(day, time(12), tzinfo=UTC)}


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation above 30)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _cohorts_active(counts) -> Counter:
    """The anonymous past members' activity by cohort: 60 % in the month they joined, then
    fewer each month, never below 15 %."""
    sizes = {(day, dim): value for (day, metric, dim), value in counts.items() if metric == "cohort_size"}
    months = sorted({day for day, _ in sizes})
    active: Counter = Counter()
    for (joined, dim), size in sizes.items():
        for n, month in enumerate(m for m in months if m >= joined):
            active[month, "cohort_active", dim] = round(size * max(0.15, 0.6 * 0.75 ** n))
    return active


def insert(model, rows: Iterator[dict], chunk: int = 5000) -> int:
    """Insert ``rows`` in chunks; returns how many."""
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            db.session.execute(sa.insert(model), batch)
            count, batch = count + len(batch), []
    if batch:
        db.session.execute(sa.insert(model), batch)
        count += len(batch)
    return count


def add_history() -> None:
    """A year of history (imported daily figures and page views) in the circles and courses
    the site's events name, monthly costs and the rollups, once (a marker row says it was added)."""
    if db.session.get(Cursor, "demo") is not None:
        return
    db.session.add(Cursor(source="demo", last_id=1))
    rows = [SimpleNamespace(id=number, **row) for number, row in enumerate(events(365, 2.0, 0.004, known_places()))]
    counts = rollup.add_events(rows, site_now().tzinfo)
    rollup.add_daily(counts + _cohorts_active(counts), Imported)
    rollup.add_daily(_cohorts_active(counts))
    insert(PageView, page_views(365, 20, 0.004))
    month = site_now().date().replace(day=1)
    for _ in range(12):
        db.session.add(Cost(month=month, amount_minor=300_000, currency=current_app.config["KPAY"]["commerce"]["currency"],
                            updated_at=utcnow()))
        month = (month - timedelta(days=1)).replace(day=1)
    db.session.commit()
    rollup.run(utcnow() + rollup.LAG)
