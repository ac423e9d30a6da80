"""The weekly digest to admins: last week's growth, conversion and revenue, the circles whose
engagement fell, and a note when sign-ups or revenue left the band of the weeks before."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from kpay.api import User, db, notify, today
from plugins.analytics.figures import Range, read

WEEKS = 8  # the weeks before the last one that make the band


def send_digest() -> int:
    """On Mondays, notify each admin of last week's figures (once per admin and week), each in
    their own language; returns how many."""
    now = today()
    if now.weekday() != 0:
        return 0
    week = Range(now - timedelta(days=7), now - timedelta(days=1))
    found = facts(week)
    admins = db.session.scalars(sa.select(User).where(User.role.in_(("owner", "admin")), User.status == "active")).all()
    text = LazyString(summary, found)  # notify renders it in each admin's language
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


@dataclass(frozen=True)
class Facts:
    """Last week's figures for the digest, in no language yet."""

    signups: int
    members: int
    buyers: int
    gross: int
    currency: str
    signups_band: str  # "above", "below" or ""
    gross_band: str
    at_risk: tuple[str, ...]  # the names of circles active in the weeks before but not last week


def facts(week: Range) -> Facts:
    """The digest's figures for ``week`` and the ``WEEKS`` weeks before it."""
    currency = current_app.config["KPAY"]["commerce"]["currency"]
    longer = read(Range(week.start - timedelta(weeks=WEEKS), week.end, "week"))
    last = read(week)
    weekly = [v for k, v in sorted(longer.series.get("signups", {}).items()) if k < week.start]
    history_gross = [v for k, v in sorted(longer.series.get(f"gross:{currency}", {}).items()) if k < week.start]
    signups = sum(last.series.get("signups", {}).values())
    gross = last.totals.get("gross", {}).get(currency, 0)
    active = {dim for dim, e in last.circles if e.u > 0}
    at_risk = sorted(longer.names.get(f"circle:{dim}", f"#{dim}") for dim, _ in longer.circles if dim not in active)
    return Facts(signups, last.members[-1] if last.members else 0, sum(row[3] for row in last.funnel()), gross, currency,
                 outside_band([float(x) for x in weekly], float(signups)),
                 outside_band([float(x) for x in history_gross], float(gross)), tuple(at_risk))


def summary(found: Facts) -> str:
    """The digest's text, in the language of the request, job or member (``force_locale``) that asks."""
    conversion = f"{100 * found.buyers / found.signups:.0f}%" if found.signups else "-"
    parts = [_("Last week: %(signups)s sign-ups, %(members)s members, first purchases per sign-up %(conversion)s, "
               "gross revenue %(gross)s %(currency)s.", signups=found.signups, members=found.members,
               conversion=conversion, gross=f"{found.gross / 100:.2f}", currency=found.currency)]
    for label, where in ((_("Sign-ups"), found.signups_band), (_("Revenue"), found.gross_band)):
        if where == "above":
            parts.append(_("%(what)s were above the band of the %(weeks)s weeks before.", what=label, weeks=WEEKS))
        elif where == "below":
            parts.append(_("%(what)s were below the band of the %(weeks)s weeks before.", what=label, weeks=WEEKS))
    if found.at_risk:
        parts.append(_("Circles without activity: %(circles)s.", circles=", ".join(found.at_risk)))
    return " ".join(parts)
