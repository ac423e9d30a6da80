"""The lectures as the recommendations plugin sees them (``kpay_recs_items``/``kpay_recs_signals``,
declared by that plugin): lectures one may still join or watch again, with their public card,
and members' RSVPs and attendance as signals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

from kpay.api import Product, db, utcnow
from plugins.lectures.access import path_for, resource
from plugins.lectures.models import Lecture, Rsvp

#: Opening the meeting says more about a member's taste than answering the invitation.
WEIGHTS = {"attended": 3.0, "rsvped": 2.0}


def items(item) -> Iterator:
    """Every scheduled lecture not over yet, or over with a replay: title, speakers and price only."""
    url = path_for("lectures.lecture", lecture_id=0)[:-1]
    now = utcnow()
    # No lecture lasts more than a day (forms.py), so older ones without a replay are over.
    query = (sa.select(Lecture, Product.price_minor, Product.currency)
             .outerjoin(Product, Product.id == Lecture.product_id).where(Lecture.status == "scheduled")
             .where(sa.or_(Lecture.starts_at >= now - timedelta(days=1), Lecture.replay_url != "",
                           Lecture.replay_file.is_not(None))))
    for lecture, price, currency in db.session.execute(query.order_by(Lecture.id)):
        if lecture.ends_at < now and not lecture.has_replay:
            continue
        features = (f"series:{lecture.series}",) if lecture.series else ()
        yield item(kind="lecture", id=lecture.id, title=lecture.title, url=f"{url}{lecture.id}",
                   resource=resource(lecture), summary=lecture.speakers, price_minor=price, currency=currency or "",
                   creator_id=lecture.creator_id, features=features, created_at=lecture.created_at,
                   starts_at=lecture.starts_at)


def signals(signal) -> Iterator:
    """Seats taken or waited for (``rsvped``, 2) and lectures attended (``attended``, 3)."""
    rows = db.session.execute(sa.select(Rsvp.user_id, Rsvp.lecture_id, Rsvp.created_at, Rsvp.attended_at)
                              .where(Rsvp.status != "not_going"))
    for uid, lecture_id, created_at, attended_at in rows:
        key = f"lecture:{lecture_id}"
        yield signal(user_id=uid, key=key, action="rsvped", at=created_at, weight=WEIGHTS["rsvped"])
        if attended_at is not None:
            yield signal(user_id=uid, key=key, action="attended", at=attended_at, weight=WEIGHTS["attended"])
