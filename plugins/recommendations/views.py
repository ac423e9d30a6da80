"""The widgets' routes: each list as a lazy partial (or a full page without JavaScript), the
"not interested" form, and the two beacons the widget posts with JavaScript (htmx, CSRF header):
the impression once it is shown, and the click that opens the item. Opening a page writes
nothing: without JavaScript no impression or click is recorded and the links lead straight on."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from kpay.api import (
    ActivityEvent, Entitlement, EntitlementStatus, FlaskForm, Resource, can_access, db, emit, insert_once, limiter, login_required, render, utcnow,
    wants_partial,
)
from plugins.recommendations.models import Card, Dismissal, Entry, Mark, Reset, Taken
from plugins.recommendations.refresh import EVERYONE, member_owner, settings

bp = Blueprint("recommendations", __name__, template_folder="templates", static_folder="static")

SHOWN = 4  # cards a widget shows
TITLES = {  # widget -> (its title for members, for visitors)
    "home": (_l("For you"), _l("Popular now")),
    "learning": (_l("Continue with"), _l("Continue with")),
    "course": (_l("Members who took this also took"), _l("Members who took this also took")),
    "topic": (_l("Related topics"), _l("Related topics")),
    "lecture": (_l("What next"), _l("What next")),
}


#: The events that say a member now owns or finished an item (buying a course enrols its buyer),
#: by the kind of item their subject is: hidden from them before the next refresh knows it.
TAKING = {"course": ("course.enrolled", "course.completed"), "circle": ("circle.joined",),
          "lecture": ("lecture.rsvp", "lecture.attended")}


class DismissForm(FlaskForm):
    """Only the CSRF token: the item and the widget are in the URL."""


def enabled(widget: str) -> bool:
    """The admin's switch for ``widget`` (``[plugins.recommendations] widget_<name>``)."""
    return bool(settings()[f"widget_{widget}"])


def title(widget: str):
    return TITLES[widget][0 if current_user.is_authenticated else 1]


def _rows(owners: list[str]):
    """(entry, card, the member's taken keys) of the lists ``owners``, best first, in one statement
    that leaves out what the member dismissed, what they took (``TAKING``) since the last refresh,
    and the products they hold a running entitlement to."""
    uid = current_user.id if current_user.is_authenticated else None
    query = (sa.select(Entry, Card, sa.select(Taken.keys).where(Taken.user_id == uid).scalar_subquery())
             .join(Card, Card.key == Entry.key).where(Entry.owner.in_(owners)))
    if uid is not None:
        since = sa.select(Mark.at).where(Mark.name == "refresh").scalar_subquery()
        took = sa.or_(*(sa.and_(ActivityEvent.name.in_(names), Entry.key == sa.literal(f"{kind}:") + ActivityEvent.subject_id)
                        for kind, names in TAKING.items()))
        now = utcnow()
        held = sa.exists().where(
            Entitlement.user_id == uid, Entitlement.status == EntitlementStatus.ACTIVE, Entitlement.starts_at <= now,
            sa.or_(Entitlement.ends_at.is_(None), Entitlement.ends_at > now),
            Entry.key == sa.literal("product:") + sa.cast(Entitlement.product_id, sa.String))
        query = query.where(~sa.exists().where(Dismissal.user_id == uid, Dismissal.key == Entry.key),
                            ~sa.exists().where(ActivityEvent.user_id == uid, ActivityEvent.created_at >= since, took),
                            ~held)
    return db.session.execute(query.order_by(Entry.owner != owners[0], Entry.position)).all()


def visible(card: Card, seen: dict) -> bool:
    """True when the viewer may see ``card``: public cards to all, members' cards to members,
    others only when ``can_access`` lets them into the card's resource (asked once per resource)."""
    if card.audience == "public":
        return True
    if not current_user.is_authenticated:
        return False
    if card.audience == "members":
        return True
    if card.resource_kind is None:
        return False
    key = (card.resource_kind, card.resource_id)
    if key not in seen:
        resource_id = int(card.resource_id) if str(card.resource_id).isdigit() else card.resource_id
        seen[key] = can_access(current_user, Resource(card.resource_kind, resource_id, card.creator_id, card.free))
    return seen[key]


def pick(owners: list[str]) -> list[tuple[Entry, Card]]:
    """The first ``SHOWN`` entries of the first of ``owners`` that has any the viewer may see,
    leaving out what the member took and the items they may not see."""
    chosen: list[tuple[Entry, Card]] = []
    seen: dict = {}
    for entry, card, taken in _rows(owners):
        if chosen and entry.owner != chosen[0][0].owner:
            break
        if entry.key in (taken or ()) or not visible(card, seen):
            continue
        chosen.append((entry, card))
        if len(chosen) == SHOWN:
            break
    return chosen


def _impressions() -> URLSafeSerializer:
    """Signs what a widget showed, so its beacon can only report what was rendered."""
    return URLSafeSerializer(current_app.secret_key, salt="recommendations.shown")


def show(widget: str, owners: list[str], **context):
    """The widget's partial (an empty, hidden one when there is nothing to show), or its page;
    it carries the signed impression its beacon posts back (see ``shown``)."""
    if not enabled(widget):
        abort(404)
    chosen = pick(owners)
    impression = _impressions().dumps([widget, [card.key for _, card in chosen]]) if chosen else ""
    return render("recommendations/list.html", "recommendations/_list.html", widget=widget, title=title(widget),
                  chosen=chosen, form=DismissForm(), here=request.path, impression=impression, **context)


@bp.get("/for-you")
def for_you():
    """Home: the member's blend, or (visitors, members not yet refreshed) what is popular now."""
    owners = [member_owner(current_user.id), EVERYONE] if current_user.is_authenticated else [EVERYONE]
    return show("home", owners)


@bp.get("/next")
@login_required
def next_courses():
    """My learning: courses to continue with."""
    return show("learning", [member_owner(current_user.id, "course")])


@bp.get("/related/<any(course, topic, lecture):kind>/<int:item_id>")
def related(kind: str, item_id: int):
    """Beside a course ("also took"), a topic ("related") or a lecture ("what next")."""
    return show(kind, [f"{kind}:{item_id}"])


@bp.post("/dismiss/<widget>/<key>")
@login_required
def dismiss(widget: str, key: str):
    """"Not interested": the item leaves the member's lists now and counts against its
    features at the next refresh. A replay changes nothing."""
    if widget not in TITLES or not DismissForm().validate_on_submit():
        abort(400)
    if db.session.get(Card, key) is not None:
        insert_once(Dismissal, ("user_id", "key"), user_id=current_user.id, key=key, created_at=utcnow())
        db.session.commit()
    if wants_partial():
        return ""
    return redirect(request.form.get("back") if request.form.get("back", "").startswith("/recommendations/")
                    else url_for("recommendations.for_you"))


@bp.post("/shown/<impression>")
@limiter.limit("60/minute")  # a reader's widgets send a few a minute; a script inflating counts, more
def shown(impression: str):
    """The widget's beacon once it is on screen: record ``recs.shown`` (the widget and the items'
    keys, not the member) for the impression ``show`` signed."""
    try:
        widget, keys = _impressions().loads(impression)
    except BadSignature:
        abort(404)
    emit("recs.shown", widget=widget, keys=keys)
    db.session.commit()
    return "", 204


@bp.post("/go/<widget>/<int:position>/<key>")
@limiter.limit("60/minute")
def go(widget: str, position: int, key: str):
    """Count a click on a recommendation, then open the item (only a known card's own URL):
    htmx follows ``HX-Redirect``, a plain form post a redirect."""
    card = db.session.get(Card, key)
    if card is None or widget not in TITLES:
        abort(404)
    emit("recs.clicked", widget=widget, key=key, position=position)
    db.session.commit()
    if wants_partial():
        return "", 204, {"HX-Redirect": card.url}
    return redirect(card.url, 303)


@bp.post("/forget")
@login_required
def forget():
    """Clear the member's signals for recommendations: what they did until now no longer shapes
    their lists (or anyone's), their "not interested" choices go, and their lists fall back to
    popular items until the next refresh. What they took stays hidden from them."""
    if not DismissForm().validate_on_submit():
        abort(400)
    uid = current_user.id
    db.session.execute(sa.delete(Reset).where(Reset.user_id == uid))
    db.session.add(Reset(user_id=uid, at=utcnow()))
    db.session.execute(sa.delete(Dismissal).where(Dismissal.user_id == uid))
    db.session.execute(sa.delete(Entry).where(Entry.owner.in_([member_owner(uid), member_owner(uid, "course")])))
    db.session.commit()
    flash(_("Recommendations have forgotten what you did so far."), "success")
    return redirect(url_for("recommendations.for_you"))
