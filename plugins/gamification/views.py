"""The gamification pages: my points, leaderboards, check-in challenges and engagement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kpay.api import (
    PointsEntry, UploadError, User, can, db, discard_upload, login_required, render, render_markdown, serve_upload, today,
)
from plugins.gamification import badges, boards, checkins, circles, engagement, levels, rules
from plugins.gamification.forms import ChallengeForm, CheckInForm
from plugins.gamification.models import Challenge, CheckIn, Standing

bp = Blueprint("gamification", __name__, template_folder="templates", static_folder="static")

HISTORY = 20


def _require_login() -> None:
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())


def reason_label(reason: str, amount: int) -> str:
    """What a ledger entry's reason says to a member."""
    name = reason.removeprefix("gamification.")
    rule = rules.RULES.get(name)
    if rule is None:
        return reason
    return str(rule.label) if amount > 0 else str(_l("%(rule)s (taken back)", rule=rule.label))


@bp.route("/me")
@login_required
def me():
    """My points, level, streak, badges and the last entries of my ledger."""
    total = sa.select(sa.func.sum(PointsEntry.amount)).where(PointsEntry.user_id == current_user.id).scalar_subquery()
    rows = db.session.execute(sa.select(PointsEntry, total).where(PointsEntry.user_id == current_user.id)
                              .order_by(PointsEntry.id.desc()).limit(HISTORY)).all()
    entries = [entry for entry, _ in rows]
    points = int(rows[0][1]) if rows else 0
    return render("gamification/me.html", progress=levels.progress(points), streak=checkins.my_streak(current_user.id),
                  held=badges.held(current_user.id), entries=entries, reason_label=reason_label)


@bp.route("/widgets/me")
def me_widget():
    """My level and streak (home and My learning)."""
    _require_login()
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == current_user.id))
    return render("gamification/me_widget.html", partial="gamification/_me_widget.html",
                  progress=levels.progress(standing.points if standing else 0),
                  streak=checkins.my_streak(current_user.id))


@bp.route("/widgets/badges/<int:user_id>")
def badges_widget(user_id: int):
    """A member's badges with their dates (their profile)."""
    if db.session.get(User, user_id) is None:
        abort(404)
    return render("gamification/badges_widget.html", partial="gamification/_badges.html", held=badges.held(user_id))


def _scope(value: str) -> str:
    if value.startswith("circle:") and value[7:].isdigit():
        return value
    return "site"


@bp.route("/leaderboard")
def leaderboard():
    """A leaderboard (site or circle; 7, 30 days or all time) as the last sweep computed it."""
    scope = _scope(request.args.get("scope", "site"))
    period = request.args.get("period", "7")
    if period not in boards.PERIODS:
        period = "7"
    circle_name = None
    if scope != "site":
        circle_name, visibility, creator_id = db.session.execute(sa.select(*circles.facts_columns(int(scope[7:])))).one()
        if circle_name is None or not circles.can_read(current_user, int(scope[7:]), visibility, creator_id):
            abort(404)
    return render("gamification/leaderboard.html", partial="gamification/_board.html", scope=scope, period=period,
                  rows=boards.read(scope, period), circle_name=circle_name)


@bp.route("/widgets/circle/<int:circle_id>")
def circle_widget(circle_id: int):
    """A circle's 7-day leaderboard and its running challenges (the circle page)."""
    name, visibility, creator_id, can_start = db.session.execute(sa.select(
        *circles.facts_columns(circle_id), circles.moderator_column(current_user, circle_id))).one()
    if name is None or not circles.can_read(current_user, circle_id, visibility, creator_id):
        abort(404)
    running = db.session.scalars(sa.select(Challenge).where(Challenge.circle_id == circle_id)
                                 .order_by(Challenge.starts_on.desc()).limit(3)).all()
    return render("gamification/circle_widget.html", partial="gamification/_circle_widget.html", circle_id=circle_id,
                  rows=boards.read(f"circle:{circle_id}", "7")[:5], challenges=running,
                  can_start=bool(can_start))


@bp.route("/c/<int:circle_id>/challenges/new", methods=["GET", "POST"])
@login_required
def new_challenge(circle_id: int):
    """A circle's creator or moderator starts a check-in challenge."""
    name = circles.circle_name(circle_id)
    if name is None:
        abort(404)
    if not circles.moderates(current_user, circle_id):
        abort(403)
    form = ChallengeForm()
    if request.method == "GET":
        form.starts_on.data = today()
    if form.validate_on_submit():
        challenge = Challenge(circle_id=circle_id, creator_id=current_user.id)
        _fill(challenge, form)
        db.session.add(challenge)
        db.session.commit()
        flash(_l("The challenge is open."), "success")
        return redirect(url_for("gamification.challenge", challenge_id=challenge.id))
    return render("gamification/challenge_form.html", form=form, circle_id=circle_id, circle_name=name, challenge=None)


def _fill(challenge: Challenge, form: ChallengeForm) -> None:
    challenge.title, challenge.prompt = form.title.data, form.prompt.data or ""
    challenge.starts_on, challenge.days, challenge.grace_days = form.starts_on.data, form.days.data, form.grace_days.data or 0


@dataclass(frozen=True)
class Place:
    """A challenge as the current user finds it: its circle's name, whether they belong to the
    circle and whether they may run its challenges."""

    challenge: Challenge
    circle_name: str
    member: bool
    manager: bool
    days: set[date]  # the days the current member checked in


def _load_challenge(challenge_id: int) -> Place:
    """The challenge as the current user finds it (one query); 404 when there is none or the
    reader may not read its circle."""
    row = db.session.execute(sa.select(Challenge, *circles.facts_columns(Challenge.circle_id),
                                       circles.member_column(current_user, Challenge.circle_id),
                                       circles.moderator_column(current_user, Challenge.circle_id),
                                       checkins.days_column(current_user, Challenge.id))
                             .where(Challenge.id == challenge_id)).first()
    if row is None or not circles.can_read(current_user, row[0].circle_id, row[2], row[3]):
        abort(404)
    days = {date.fromisoformat(day) for day in row[6].split(",")} if row[6] else set()
    return Place(row[0], row[1], bool(row[4]), bool(row[5]), days)


def _managed_challenge(challenge_id: int) -> Challenge:
    """The challenge if the current member may edit or end it (its circle's creator or a
    moderator); else 404 or 403."""
    place = _load_challenge(challenge_id)
    if not place.manager:
        abort(403)
    return place.challenge


def _challenge_page(place: Place, form: CheckInForm, status: int = 200):
    challenge, mine = place.challenge, place.days
    return render("gamification/challenge.html", status=status, challenge=challenge, form=form,
                  prompt=render_markdown(challenge.prompt), board=checkins.board(challenge.id),
                  recent=checkins.recent(challenge.id), today=today(), checked_today=today() in mine,
                  days_in=len(mine), streak=checkins.current_streak(mine, today()),
                  last_day=checkins.last_day(challenge), running=checkins.is_running(challenge),
                  member=place.member, manager=place.manager, circle_name=place.circle_name)


@bp.route("/challenges/<int:challenge_id>")
def challenge(challenge_id: int):
    """A challenge: its prompt, my streak, the check-in form, the latest check-ins and its leaderboard."""
    return _challenge_page(_load_challenge(challenge_id), CheckInForm())


@bp.route("/challenges/<int:challenge_id>/checkin", methods=["POST"])
@login_required
def check_in(challenge_id: int):
    """Check in for today (or make up a missed day within the grace), with an optional photo."""
    place = _load_challenge(challenge_id)
    if not place.member:
        abort(403)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _challenge_page(place, form, 400)
    photo = None
    if form.photo.data and form.photo.data.filename:
        try:
            photo = checkins.store_photo(form.photo.data.stream)
        except UploadError as error:
            form.photo.errors = [str(error)]
            return _challenge_page(place, form, 400)
    try:
        made = checkins.check_in(place.challenge, db.session.get(User, current_user.id), form.note.data or "",
                                 form.day.data, photo)
    except checkins.CheckInRefused as refused:
        discard_upload(checkins.PHOTOS, photo)
        form.day.errors = [str(refused)]
        return _challenge_page(place, form, 400)
    db.session.commit()
    flash(_l("Checked in. Keep it going!") if made else _l("You had checked in for that day already."), "success")
    return redirect(url_for("gamification.challenge", challenge_id=challenge_id))


@bp.route("/checkins/<int:checkin_id>/photo")
def checkin_photo(checkin_id: int):
    """A check-in's photo, to those who may read its challenge's circle."""
    found = db.session.get(CheckIn, checkin_id)
    if found is None or not found.photo:
        abort(404)
    _load_challenge(found.challenge_id)
    return serve_upload(f"{checkins.PHOTOS}/{found.photo}", "image/webp")


@bp.route("/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
@login_required
def edit_challenge(challenge_id: int):
    """Change a challenge's title, prompt, days and grace (its circle's creator or a moderator);
    its first day only while nobody has checked in."""
    found = _managed_challenge(challenge_id)
    form = ChallengeForm(obj=found)
    if form.validate_on_submit() and _fits_check_ins(found, form):
        _fill(found, form)
        db.session.commit()
        flash(_l("The challenge is saved."), "success")
        return redirect(url_for("gamification.challenge", challenge_id=found.id))
    return render("gamification/challenge_form.html", form=form, circle_id=found.circle_id,
                  circle_name=circles.circle_name(found.circle_id), challenge=found,
                  status=400 if form.errors else 200)


def _fits_check_ins(found: Challenge, form: ChallengeForm) -> bool:
    """True when the edited dates keep every check-in inside the challenge; else the message
    goes beside the field."""
    first, last = db.session.execute(sa.select(sa.func.min(CheckIn.day), sa.func.max(CheckIn.day))
                                     .where(CheckIn.challenge_id == found.id)).one()
    if first is None:
        return True
    if form.starts_on.data != found.starts_on:
        form.starts_on.errors = [_l("The first day cannot move once members have checked in.")]
        return False
    if found.starts_on + timedelta(days=form.days.data - 1) < last:
        form.days.errors = [_l("Members have checked in up to %(day)s: the challenge must last until then.",
                               day=last.isoformat())]
        return False
    return True


@bp.route("/challenges/<int:challenge_id>/end", methods=["POST"])
@login_required
def end_challenge(challenge_id: int):
    """End a challenge today (its circle's creator or a moderator): no check-ins after today,
    and completion counts the days it ran."""
    found = _managed_challenge(challenge_id)
    if checkins.is_running(found) or found.starts_on > today():
        found.ended_on = today()
        db.session.commit()
        flash(_l("The challenge has ended."), "success")
    return redirect(url_for("gamification.challenge", challenge_id=found.id))


@bp.route("/engagement")
@login_required
def engagement_page():
    """Engagement and the members at risk: site-wide for admins, their circles' for moderators."""
    if can("gamification.engagement", current_user):
        member_ids = None
    else:
        moderated = circles.moderated_circle_ids(current_user)
        if not moderated:
            abort(403)
        member_ids = sorted({m for c in moderated for m in circles.member_ids(c)})
    return render("gamification/engagement.html", rows=engagement.at_risk(member_ids),
                  days=engagement.period_days())


@bp.route("/widgets/risk")
@login_required
def risk_widget():
    """The five members whose engagement fell most (the admin overview)."""
    if not can("gamification.engagement", current_user):
        abort(403)
    return render("gamification/risk_widget.html", partial="gamification/_risk_widget.html",
                  rows=engagement.at_risk(limit=5))
