"""The rollup job: reads new activity events, ledger transactions and page views since its
cursors and adds them to the daily tables (and each day's figures to its month's); ``rebuild`` empties the tables and reads everything.

Both paths run the same code over batches in id order, so the incremental tables equal the
rebuilt ones (a test checks it on SQLite and PostgreSQL). A row is read once its
``created_at`` is ``LAG`` old, so a transaction that took an id earlier but committed later
is not skipped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from kpay.api import (
    ActivityEvent, LedgerEntry, LedgerTransaction, Order, Product, User, db, site_now, utcnow,
)
from plugins.analytics.models import (
    Cursor, Daily, Imported, MemberDay, MemberMonth, MemberSource, Monthly, Name, PageView, Salt, TopicDay, TopicStart,
)

LAG = timedelta(minutes=2)
BATCH = 5000
MILLION = 1_000_000

INTERACTIONS = ("reply.created", "post.liked", "answer.accepted", "review.created")
REFERRALS = {"referral.visited": "referral_visits", "referral.signed_up": "referral_signups",
             "referral.converted": "referral_conversions"}
EVENT_NAMES = ("user.signed_up", "order.paid", "topic.created", "lesson.completed", "referral.shared", *INTERACTIONS,
               *REFERRALS)
ROLLUPS = (Daily, Monthly, MemberDay, TopicDay, MemberMonth, Name, TopicStart)
# What an event's data names, as (kind, the key of its id, of its name, of its owner).
NAMED = {"topic.created": (("circle", "circle_id", "circle_name", "circle_owner_id"), ("topic", "topic_id", "title", "")),
         "reply.created": (("circle", "circle_id", "circle_name", "circle_owner_id"), ("topic", "topic_id", "title", "")),
         "lesson.completed": (("course", "course_id", "course_title", "course_owner_id"),)}


def run(now: datetime | None = None) -> int:
    """Add what happened since the last run to the rollups; returns how many rows were read."""
    cutoff = (now or utcnow()) - LAG
    zone = site_now().tzinfo
    read = 0
    for source, step in (("events", _events), ("ledger", _ledger), ("views", _views)):
        while True:
            cursor = _cursor(source)
            count, last = step(cursor.last_id, cutoff, zone)
            if last is not None:
                cursor.last_id = last
            db.session.commit()
            read += count
            if count < BATCH:
                break
    db.session.execute(sa.delete(Salt).where(Salt.day < site_now().date()))
    db.session.commit()
    return read


def rebuild(now: datetime | None = None) -> int:
    """Empty the rollups, put back the imported history and read every source from its start;
    returns how many rows were read."""
    for model in ROLLUPS:
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(Cursor).where(Cursor.source.in_(("events", "ledger", "views"))))
    db.session.execute(sa.insert(Daily).from_select(["day", "metric", "dim", "value"],
                                                    sa.select(Imported.day, Imported.metric, Imported.dim, Imported.value)))
    imported: Counter = Counter()
    for day, metric, dim, value in db.session.execute(sa.select(Imported.day, Imported.metric, Imported.dim, Imported.value)):
        imported[day, metric, dim] += value
    _add_monthly(imported)
    db.session.commit()
    return run(now)


def snapshot() -> dict[str, list[tuple]]:
    """Every row of the rollups, sorted: what a rebuild must reproduce."""
    return {
        model.__tablename__: sorted(tuple(row) for row in db.session.execute(sa.select(*model.__table__.c)))
        for model in ROLLUPS
    }


def _cursor(source: str) -> Cursor:
    found = db.session.get(Cursor, source, with_for_update=True)
    if found is None:
        found = Cursor(source=source, last_id=0)
        db.session.add(found)
    return found


def _upsert(model, keys: tuple[str, ...], rows: Iterable[dict], replace: bool = False) -> None:
    """Add each row's numbers to the row with its keys (inserting it at these numbers), or
    with ``replace`` put its values in place of the row's."""
    rows = list(rows)
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)
    numbers = [name for name in rows[0] if name not in keys]
    statement = insert.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: insert.excluded[name] if replace else model.__table__.c[name] + insert.excluded[name]
              for name in numbers},
    )
    db.session.execute(statement, rows)


def add_daily(counts: Counter, model=Daily) -> None:
    """Add ``{(day, metric, dim): value}`` to the daily table and its months (or to the
    imported history)."""
    _upsert(model, ("day", "metric", "dim"), (
        {"day": day, "metric": metric, "dim": dim, "value": value}
        for (day, metric, dim), value in sorted(counts.items()) if value
    ))
    if model is Daily:
        _add_monthly(counts)


def _add_monthly(counts: Counter) -> None:
    """Add daily figures ``{(day, metric, dim): value}`` to their months' rows (a month's row
    is there once one of its days is, as a month of a payment and its refund sums to 0)."""
    months: Counter = Counter()
    for (day, metric, dim), value in counts.items():
        if value:
            months[day.replace(day=1), metric, dim] += value
    _upsert(Monthly, ("month", "metric", "dim"), (
        {"month": month, "metric": metric, "dim": dim, "value": value}
        for (month, metric, dim), value in sorted(months.items())
    ))


def _events(after: int, cutoff: datetime, zone) -> tuple[int, int | None]:
    rows = db.session.execute(
        sa.select(ActivityEvent.id, ActivityEvent.name, ActivityEvent.user_id, ActivityEvent.subject_id,
                  ActivityEvent.data, ActivityEvent.created_at)
        .where(ActivityEvent.id > after, ActivityEvent.name.in_(EVENT_NAMES), ActivityEvent.created_at < cutoff)
        .order_by(ActivityEvent.id).limit(BATCH)
    ).all()
    if not rows:
        return 0, None
    add_events(rows, zone)
    return len(rows), rows[-1].id


def add_events(rows, zone) -> Counter:
    """Add activity events (rows with ``id``, ``name``, ``user_id``, ``data``, ``created_at``,
    in id order) to the rollups; returns the daily figures they added."""
    counts: Counter = Counter()
    members: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    users = {row.user_id for row in rows if row.user_id is not None}
    sources = dict(db.session.execute(
        sa.select(MemberSource.user_id, MemberSource.source).where(MemberSource.user_id.in_(users))
    ).all()) if users else {}
    buyers = {row.user_id for row in rows if row.name == "order.paid" and row.user_id is not None}
    first_order = dict(db.session.execute(
        sa.select(ActivityEvent.user_id, sa.func.min(ActivityEvent.id))
        .where(ActivityEvent.name == "order.paid", ActivityEvent.user_id.in_(buyers)).group_by(ActivityEvent.user_id)
    ).all()) if buyers else {}
    took_part: set[tuple] = set()
    for row in rows:
        day, data = row.created_at.astimezone(zone).date(), row.data or {}
        circle = str(data["circle_id"]) if data.get("circle_id") is not None else None
        source = sources.get(row.user_id, "direct")
        if row.name == "user.signed_up":
            counts[day, "signups", ""] += 1
            counts[day.replace(day=1), "cohort_size", f"{day:%Y-%m}"] += 1
            counts[day, "funnel_signups", source] += 1
        elif row.name == "order.paid":
            step = "funnel_first" if first_order.get(row.user_id) == row.id else "funnel_repeat"
            counts[day, step, source] += 1
        elif row.name in REFERRALS:
            counts[day, REFERRALS[row.name], str(data.get("code") or "-")[:100]] += 1
        elif row.name == "referral.shared":
            counts[day, "shares", ""] += 1
            counts[day, "shares_path", str(data.get("item") or "/")[:120]] += 1
        elif row.name == "lesson.completed":
            share = MILLION // max(int(data.get("lessons") or 1), 1)
            counts[day, "C", ""] += share
            counts[day, "C_course", str(data.get("course_id"))] += share
            if row.user_id is not None:
                members[day, row.user_id][2] += share
        elif row.name == "topic.created":
            _engaged(counts, members, day, row.user_id, "D", circle)
            counts[day, "topics", ""] += 1
        else:
            _engaged(counts, members, day, row.user_id, "I", circle)
            if row.name == "reply.created":
                counts[day, "replies_topic", str(data.get("topic_id"))] += 1
                if row.user_id is not None:
                    took_part.add((day, row.user_id, str(data.get("topic_id"))))
            elif row.name == "post.liked" and data.get("topic_id") is not None:
                counts[day, "likes_topic", str(data["topic_id"])] += 1
    for day, user_id, _topic, circle in _new_topic_days(took_part, rows):
        _engaged(counts, members, day, user_id, "D", circle)
    _first_replies(counts, rows, zone)
    _names(rows)
    _count_active(counts, members)
    _count_cohorts(counts, members, zone)
    add_daily(counts)
    _upsert(MemberDay, ("day", "user_id"), (
        {"day": day, "user_id": user_id, "interactions": i, "discussions": d, "completion": c}
        for (day, user_id), (i, d, c) in sorted(members.items())
    ))
    return counts


def _names(rows) -> None:
    """Keep what the events say circles, courses and topics are called and who owns them (the
    latest event wins, so a renamed circle shows its new name)."""
    named: dict[tuple[str, str], dict] = {}
    for row in rows:
        data = row.data or {}
        for kind, id_key, name_key, owner_key in NAMED.get(row.name, ()):
            item = data.get(id_key, row.subject_id if kind == "topic" and row.name == "topic.created" else None)
            if item is not None and data.get(name_key):
                named[kind, str(item)] = {"kind": kind, "item": str(item), "name": str(data[name_key])[:200],
                                          "owner_id": data.get(owner_key)}
    _upsert(Name, ("kind", "item"), (named[key] for key in sorted(named)), replace=True)


def _first_replies(counts: Counter, rows, zone) -> None:
    """Count each topic's first reply by someone other than its author, on the day the topic
    was started: ``first_replies`` and the seconds it took (``first_reply_seconds``, and per
    topic ``first_reply_topic``). Topics of unknown authors (the demo's history) are not timed."""
    topics = {str(row.subject_id or (row.data or {}).get("topic_id")) for row in rows
              if row.name == "topic.created" and row.user_id is not None}
    topics |= {str((row.data or {}).get("topic_id")) for row in rows if row.name == "reply.created"}
    if not topics:
        return
    starts = {start.topic_id: start for start in db.session.scalars(
        sa.select(TopicStart).where(TopicStart.topic_id.in_(topics)))}
    for row in rows:
        if row.name == "topic.created" and row.user_id is not None:
            topic = str(row.subject_id or (row.data or {}).get("topic_id"))
            if topic not in starts:
                starts[topic] = TopicStart(topic_id=topic, author_id=row.user_id, started_at=row.created_at)
                db.session.add(starts[topic])
        elif row.name == "reply.created":
            start = starts.get(str((row.data or {}).get("topic_id")))
            if start is None or start.replied_at is not None or row.user_id == start.author_id:
                continue
            start.replied_at = row.created_at
            seconds = max(0, round((row.created_at - start.started_at).total_seconds()))
            day = start.started_at.astimezone(zone).date()
            counts[day, "first_replies", ""] += 1
            counts[day, "first_reply_seconds", ""] += seconds
            counts[day, "first_reply_topic", start.topic_id] += seconds


def _engaged(counts: Counter, members: dict, day, user_id: int | None, term: str, circle: str | None) -> None:
    """Count one interaction (``I``) or discussion (``D``) for the site, the circle and the member."""
    counts[day, term, ""] += 1
    if circle:
        counts[day, f"{term}_circle", circle] += 1
    if user_id is not None:
        members[day, user_id][0 if term == "I" else 1] += 1


def _new_topic_days(took_part: set[tuple], rows) -> list[tuple]:
    """The (day, member, topic, circle) a reply in this batch was the member's first in the
    topic that day; records them so that a later batch does not count them again."""
    if not took_part:
        return []
    days, users = {t[0] for t in took_part}, {t[1] for t in took_part}
    known = set(db.session.execute(
        sa.select(TopicDay.day, TopicDay.user_id, TopicDay.topic_id)
        .where(TopicDay.day.in_(days), TopicDay.user_id.in_(users))
    ).all())
    fresh = sorted(took_part - known)
    if fresh:
        db.session.execute(sa.insert(TopicDay), [{"day": d, "user_id": u, "topic_id": t} for d, u, t in fresh])
    circles = {str((row.data or {}).get("topic_id")): (row.data or {}).get("circle_id") for row in rows
               if row.name == "reply.created"}
    return [(d, u, t, str(circles[t]) if circles.get(t) is not None else None) for d, u, t in fresh]


def _count_active(counts: Counter, members: dict) -> None:
    """Count the members active on a day for the first time (a new member-day row)."""
    if not members:
        return
    days, users = {key[0] for key in members}, {key[1] for key in members}
    known = set(db.session.execute(
        sa.select(MemberDay.day, MemberDay.user_id).where(MemberDay.day.in_(days), MemberDay.user_id.in_(users))
    ).all())
    for day, _ in set(members) - known:
        counts[day, "active", ""] += 1


def _count_cohorts(counts: Counter, members: dict, zone) -> None:
    """Count each member once per month they were active, under the month they joined (their cohort)."""
    pairs = {(day.replace(day=1), user_id) for day, user_id in members}
    if not pairs:
        return
    known = set(db.session.execute(
        sa.select(MemberMonth.month, MemberMonth.user_id)
        .where(MemberMonth.month.in_({p[0] for p in pairs}), MemberMonth.user_id.in_({p[1] for p in pairs}))
    ).all())
    fresh = sorted(pairs - known)
    if not fresh:
        return
    db.session.execute(sa.insert(MemberMonth), [{"month": m, "user_id": u} for m, u in fresh])
    joined = dict(db.session.execute(
        sa.select(User.id, User.created_at).where(User.id.in_({u for _, u in fresh}))
    ).all())
    for month, user_id in fresh:
        if user_id in joined:
            counts[month, "cohort_active", f"{joined[user_id].astimezone(zone):%Y-%m}"] += 1


def _ledger(after: int, cutoff: datetime, zone) -> tuple[int, int | None]:
    transactions = db.session.execute(
        sa.select(LedgerTransaction.id, LedgerTransaction.kind, LedgerTransaction.created_at, Order.product_id,
                  Product.creator_id, Product.kind.label("product_kind"), Product.period_days)
        .outerjoin(Order, Order.id == LedgerTransaction.order_id)
        .outerjoin(Product, Product.id == Order.product_id)
        .where(LedgerTransaction.id > after, LedgerTransaction.created_at < cutoff)
        .order_by(LedgerTransaction.id).limit(BATCH)
    ).all()
    if not transactions:
        return 0, None
    money = [t for t in transactions if t.kind in ("payment", "refund")]
    entries: dict[int, list] = defaultdict(list)
    if money:
        for transaction_id, account, amount, currency in db.session.execute(
            sa.select(LedgerEntry.transaction_id, LedgerEntry.account, LedgerEntry.amount_minor, LedgerEntry.currency)
            .where(LedgerEntry.transaction_id.in_([t.id for t in money]))
        ):
            entries[transaction_id].append((account, amount, currency))
    counts: Counter = Counter()
    for t in money:
        day = t.created_at.astimezone(zone).date()
        paid = sum(a for account, a, _ in entries[t.id] if account.startswith("provider:"))
        fee = -sum(a for account, a, _ in entries[t.id] if account == "platform:fees")
        net = -sum(a for account, a, _ in entries[t.id] if account.startswith("creator:"))
        currency = entries[t.id][0][2] if entries[t.id] else "-"
        figures = {"gross": paid, "payments": 1} if t.kind == "payment" else {"refunds": -paid, "refund_count": 1}
        figures.update(fee=fee, net=net)
        for suffix, dim in (("", currency), ("_p", f"{currency}:{t.product_id}"), ("_c", f"{currency}:{t.creator_id}")):
            for metric, value in figures.items():
                counts[day, metric + suffix, dim] += value
        if t.product_kind == "membership" and t.period_days:
            counts[day, "membership_gross", f"{currency}:{t.period_days}"] += paid
    add_daily(counts)
    return len(transactions), transactions[-1].id


def _views(after: int, cutoff: datetime, zone) -> tuple[int, int | None]:
    rows = db.session.execute(
        sa.select(PageView.id, PageView.day, PageView.path, PageView.source, PageView.visitor)
        .where(PageView.id > after, PageView.created_at < cutoff).order_by(PageView.id).limit(BATCH)
    ).all()
    if not rows:
        return 0, None
    first = dict(((day, visitor), first_id) for day, visitor, first_id in db.session.execute(
        sa.select(PageView.day, PageView.visitor, sa.func.min(PageView.id))
        .where(PageView.day.in_({r.day for r in rows}), PageView.visitor.in_({r.visitor for r in rows}))
        .group_by(PageView.day, PageView.visitor)
    ))
    counts: Counter = Counter()
    for row in rows:
        counts[row.day, "pageviews", ""] += 1
        counts[row.day, "pageviews_path", row.path] += 1
        if first.get((row.day, row.visitor)) == row.id:
            counts[row.day, "visitors", ""] += 1
        if row.source:
            counts[row.day, "funnel_visits", row.source] += 1
    add_daily(counts)
    return len(rows), rows[-1].id
