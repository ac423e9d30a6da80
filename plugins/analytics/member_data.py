"""A member's analytics data: where they came from and their daily engagement terms.

Page views hold no member, IP address or user agent: once their day's salt is deleted nobody
can tell whose they were, so they are neither exported nor erased (docs/analytics.md).
"""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import User, db
from plugins.analytics.models import MemberDay, MemberMonth, MemberSource, Name, TopicDay, TopicStart


def export(user: User) -> dict | None:
    """The member's source and engagement days, for their data export; None when there are none."""
    source = db.session.get(MemberSource, user.id)
    days = db.session.execute(
        sa.select(MemberDay.day, MemberDay.interactions, MemberDay.discussions, MemberDay.completion)
        .where(MemberDay.user_id == user.id).order_by(MemberDay.day)
    ).all()
    if source is None and not days:
        return None
    return {
        "signed_up_from": source.source if source else None,
        "engagement_days": [{"day": d.isoformat(), "interactions": i, "discussions": t, "completion": c / 1_000_000}
                            for d, i, t, c in days],
    }


def erase(user: User) -> None:
    """Delete the member's rows and forget them as a topic's author or a circle's or course's
    owner; the site's daily totals keep their (anonymous) counts."""
    for model in (MemberSource, MemberDay, TopicDay, MemberMonth):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
    db.session.execute(sa.update(TopicStart).where(TopicStart.author_id == user.id).values(author_id=None))
    db.session.execute(sa.update(Name).where(Name.owner_id == user.id).values(owner_id=None))
