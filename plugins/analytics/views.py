"""The dashboard, its CSV tables, the monthly cost form, the page-view beacon and the widget."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kpay.api import can, db, limiter, read_filters, render, require, today, utcnow
from plugins.analytics import charts, figures, pageviews
from plugins.analytics.forms import CostForm, RangeFilters
from plugins.analytics.models import Cost

bp = Blueprint("analytics", __name__, template_folder="templates", static_folder="static")


def _scope() -> tuple[int, str] | None:
    """None for a site-wide viewer, (their id, the site's currency) for a creator; else 403
    (or log in)."""
    if can("analytics.view"):
        return None
    require("commerce.sell")
    return current_user.id, _currency()


def _range() -> tuple[RangeFilters, figures.Range]:
    """The filter form and the range it asks for (the last 30 days where it says nothing valid)."""
    form, values = read_filters(RangeFilters)
    end = values.get("end") or today()
    start = values.get("start") or end - timedelta(days=29)
    if start > end or (end - start).days >= figures.MAX_DAYS:
        start, end = today() - timedelta(days=29), today()
    form.start.data, form.end.data = start, end
    return form, figures.Range(start, end, values.get("group", "day"))


def _currency() -> str:
    return current_app.config["KPAY"]["commerce"]["currency"]


@bp.route("/")
def dashboard():
    """The dashboard; an htmx request with a new range gets only its figures."""
    creator = _scope()
    form, chosen = _range()
    found = figures.read(chosen, creator, memberships=creator is None)
    return render("analytics/dashboard.html", "analytics/_figures.html", status=422 if form.errors else 200,
                  form=form, figures=found, charts=_charts(found), creator=creator, cost_form=CostForm(),
                  presets=_presets(chosen), currency=_currency())


def _presets(chosen: figures.Range) -> list[tuple[str, str]]:
    end = today()
    links = [(_("Last 30 days"), 29), (_("Last 90 days"), 89), (_("Last year"), 364)]
    return [(label, url_for("analytics.dashboard", start=(end - timedelta(days=back)).isoformat(),
                            end=end.isoformat(), group=chosen.group)) for label, back in links]


def _charts(found: figures.Figures) -> dict[str, charts.Chart]:
    chosen = found.range
    dates = chosen.dates()
    keys = [day.isoformat() for day in dates]
    made = {}
    if found.members:
        band = []
        if found.fit.ok:
            step = max(1, len(dates) // 60)
            band = [(i, *found.fit.predict(i)[0::2]) for i in range(0, len(dates), step)]
            band += [(len(dates) - 1 + (day - chosen.end).days, low, high) for day, low, _, high in found.forecast]
        slots = len(dates) + ((found.forecast[-1][0] - chosen.end).days if found.forecast else 0)
        made["members"] = charts.line_chart("chart-members", _("Members"), keys, {"members": found.members},
                                            band, slots, header=(_("Date"), _("Members")))
    buckets = sorted({figures.bucket(day, chosen.group) for day in dates})
    bucket_keys = [b.isoformat() for b in buckets]
    period = _("Period")
    for metric, title in (("signups", _("Sign-ups")), ("active", _("Active members")), ("pageviews", _("Page views"))):
        series = found.series.get(metric, {})
        made[metric] = charts.bar_chart(f"chart-{metric}", title, bucket_keys, [series.get(b, 0) for b in buckets],
                                        header=(period, title))
    gross = found.series.get(f"gross:{_currency()}", {})
    title = _("Gross revenue")
    made["gross"] = charts.bar_chart("chart-gross", title, bucket_keys, [gross.get(b, 0) / 100 for b in buckets],
                                     header=(period, title), shown=[f"{gross.get(b, 0) / 100:.2f}" for b in buckets])
    return made


@bp.route("/content")
def content():
    """Content spread: the most replied, liked, viewed and shared items of the range."""
    require("analytics.view")
    form, chosen = _range()
    items = figures.top_items(chosen)
    return render("analytics/content.html", "analytics/_content.html", status=422 if form.errors else 200,
                  form=form, range=chosen, items=items, names=figures.topic_names(items),
                  first_reply=dict(items["first_reply_topic"]))


TABLES = ("members", "funnel", "referrals", "circles", "courses", "effect", "cohorts", "revenue", "products", "creators")
CREATOR_TABLES = ("circles", "courses", "revenue", "products")


@bp.route("/<any(" + ", ".join(TABLES) + "):table>.csv")
def table_csv(table: str):
    """One of the dashboard's tables for the chosen range, as CSV."""
    creator = _scope()
    if creator is not None and table not in CREATOR_TABLES:
        abort(404)
    form, chosen = _range()
    found = figures.read(chosen, creator)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in _rows(table, found):
        writer.writerow([_cell(value) for value in row])
    name = f"analytics-{table}-{chosen.start.isoformat()}-{chosen.end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


def _rows(table: str, found: figures.Figures) -> list[list]:
    """The header and the rows of a table: the same numbers the page shows."""
    money = lambda minor: f"{Decimal(minor) / 100:.2f}"  # noqa: E731
    if table == "members":
        signups = found.series.get("signups", {})
        return [["date", "members", "signups"]] + [
            [day.isoformat(), n, signups.get(day, 0) if found.range.group == "day" else ""]
            for day, n in zip(found.range.dates(), found.members, strict=True)]
    if table == "funnel":
        return [["source", "visits", "signups", "first_purchases", "repeat_purchases"], *map(list, found.funnel())]
    if table == "referrals":
        return [["referral_code", "visits", "signups", "conversions"], *map(list, found.referrals())]
    if table == "circles":
        return [["circle", "name", "interactions", "discussions", "completion", "days", "engagement_u"]] + [
            [dim, found.names.get(f"circle:{dim}", ""), e.interactions, e.discussions, f"{e.completion:.3f}", e.days,
             f"{e.u:.4f}"] for dim, e in found.circles]
    if table == "courses":
        return [["course", "name", "courses_completed"]] + [
            [dim, found.names.get(f"course:{dim}", ""), f"{done:.3f}"] for dim, done in found.courses]
    if table == "effect":
        return [["month", "members_s", "engagement_u", "cost_c", "currency", "effect_e"]] + [
            [row.month.strftime("%Y-%m"), row.members, f"{row.engagement.u:.4f}",
             money(row.cost) if row.cost is not None else "", row.currency, f"{row.e:.4f}" if row.e is not None else ""]
            for row in found.effects]
    if table == "cohorts":
        widest = max((len(shares) for _, _, shares in found.cohorts), default=0)
        return [["joined", "members", *(f"month_{n}" for n in range(widest))]] + [
            [month, size, *(f"{share:.4f}" for share in shares)] for month, size, shares in found.cohorts]
    kind = {"revenue": "", "products": "p", "creators": "c"}[table]
    return [["currency", "key", "name", "gross", "refunds", "fee", "net"]] + [
        [currency, key, found.names.get(key, ""), *(money(values[m]) for m in figures.MONEY)]
        for currency, key, values in found.revenue(kind)]


def _cell(value) -> object:
    """Text a spreadsheet will not run as a formula."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.route("/costs", methods=["POST"])
def save_cost():
    """Set what running the community cost in a month (replacing what was entered before)."""
    require("analytics.view")
    form = CostForm()
    if not form.validate_on_submit():
        form_range, chosen = _range()
        found = figures.read(chosen, memberships=True)
        return render("analytics/dashboard.html", status=422, form=form_range, figures=found, charts=_charts(found),
                      creator=None, cost_form=form, presets=_presets(chosen), currency=_currency())
    year, number = form.month.data.split("-")
    month = date(int(year), int(number), 1)
    values = {"amount_minor": int(form.amount.data * 100), "currency": _currency(), "updated_at": utcnow()}
    updated = db.session.execute(sa.update(Cost).where(Cost.month == month).values(values)).rowcount
    if not updated:
        db.session.add(Cost(month=month, **values))
    db.session.commit()
    flash(_("The cost of %(month)s is saved.", month=form.month.data), "info")
    return redirect(url_for("analytics.dashboard", start=month.isoformat(), end=today().isoformat(), group="month"))


@bp.route("/hit", methods=["POST"])
@limiter.limit("120/minute")  # a browser reading fast sends a few a minute; a script, thousands
def hit():
    """The page-view beacon (sent by analytics.js): 204 whether it was counted or not."""
    pageviews.record(request)
    return Response(status=204)


@bp.route("/widget")
def widget():
    """The overview widget (admin overview and studio): the last 30 days in four figures."""
    creator = _scope()
    chosen = figures.Range(today() - timedelta(days=29), today())
    return render("analytics/widget_page.html", "analytics/_widget.html", figures=figures.read(chosen, creator),
                  creator=creator, currency=_currency())
