"""The weekly digest to admins: last week's growth, conversion and revenue, the circles whose
engagement fell, and a note when sign-ups or revenue left the band of the weeks before."""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from kpay.api import User, db, notify, today
from plugins.analytics.figures import Range, read

WEEKS = 8  # the weeks before the last one that make the band


def send_digest() -> int:
    """On Mondays, notify each admin of last week's figures (once per admin and week); returns how many."""
    now = today()
    if now.weekday() != 0:
        return 0
    week = Range(now - timedelta(days=7), now - timedelta(days=1))
    text = summary(week)
    admins = db.session.scalars(sa.select(User).where(User.role.in_(("owner", "admin")), User.status == "active")).all()
    sent = 0
    for admin in admins:
        if notify(admin, "analytics.digest", text, "/analytics/", key=f"analytics:digest:{week.start.isoformat()}"):
            sent += 1
    return sent


def outside_band(history: list[float], value: float) -> str:
    """``"above"``/``"below"`` when ``value`` is beyond mean ± 2 standard deviations of ``history``."""
    if len(history) < 3:
        return ""
    mean = sum(history) / len(history)
    spread = 2 * math.sqrt(sum((x - mean) ** 2 for x in history) / (len(history) - 1))
    if value > mean + spread:
        return "above"
    if value < mean - spread:
        return "below"
    return ""


def summary(week: Range) -> str:
    """The digest's text for ``week``, in the language of the request or job that asks."""
    currency = current_app.config["KPAY"]["commerce"]["currency"]
    longer = read(Range(week.start - timedelta(weeks=WEEKS), week.end, "week"))
    last = read(week)
    weekly = sorted(longer.series.get("signups", {}).items())
    signups = sum(last.series.get("signups", {}).values())
    gross = last.totals.get("gross", {}).get(currency, 0)
    history_gross = [v for k, v in sorted(longer.series.get(f"gross:{currency}", {}).items()) if k < week.start]
    funnel = last.funnel()
    buyers = sum(row[3] for row in funnel)
    conversion = f"{100 * buyers / signups:.0f}%" if signups else "-"
    notes = []
    for label, history, value in ((_l("Sign-ups"), [v for k, v in weekly if k < week.start], signups),
                                  (_l("Revenue"), history_gross, gross)):
        where = outside_band([float(x) for x in history], float(value))
        if where == "above":
            notes.append(_l("%(what)s were above the band of the %(weeks)s weeks before.", what=label, weeks=WEEKS))
        elif where == "below":
            notes.append(_l("%(what)s were below the band of the %(weeks)s weeks before.", what=label, weeks=WEEKS))
    active = {dim for dim, e in last.circles if e.u > 0}
    at_risk = sorted(dim for dim, e in longer.circles if dim not in active)
    text = _l("Last week: %(signups)s sign-ups, %(members)s members, first purchases per sign-up %(conversion)s, "
              "gross revenue %(gross)s %(currency)s.", signups=signups, members=last.members[-1] if last.members else 0,
              conversion=conversion, gross=f"{gross / 100:.2f}", currency=currency)
    parts = [str(text), *(str(note) for note in notes)]
    if at_risk:
        parts.append(str(_l("Circles without activity: %(circles)s.", circles=", ".join(at_risk))))
    return " ".join(parts)
