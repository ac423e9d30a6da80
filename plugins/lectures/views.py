"""The members' side of live lectures under /live: the calendar, a lecture's page, RSVP and the
waiting list, joining, calendar files and questions. Every route decides access itself through
``plugins.lectures.access``; the meeting link leaves only through ``join`` and the lecture page."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kpay.api import (
    CSP, User, db, emit, insert_once, keyed_by_member, limiter, login_required, render, utcnow, wants_partial,
)
from plugins.lectures import access, calendars, lessons, listing, replays, seats
from plugins.lectures.forms import QuestionForm
from plugins.lectures.models import Lecture, Question, Rsvp, Vote
from plugins.lectures.providers import providers

bp = Blueprint("lectures", __name__, url_prefix="/live", template_folder="templates", static_folder="static")


@bp.route("/", endpoint="index")
def index():
    """Upcoming lectures, soonest first, a page at a time."""
    chunk = listing.upcoming(request.args.get("after"))
    return render("lectures/index.html", "lectures/_list.html", chunk=chunk, past=False)


@bp.route("/past")
def past():
    chunk = listing.upcoming(request.args.get("after"), past=True)
    return render("lectures/index.html", "lectures/_list.html", chunk=chunk, past=True)


@bp.route("/month")
def month():
    """A month of lectures in the viewer's zone, with links to the months around it."""
    grid = listing.month(listing.parse_month(request.args.get("m")))
    return render("lectures/month.html", "lectures/_month.html", grid=grid)


@bp.route("/week")
def week():
    """A week of lectures in the viewer's zone (``?w=`` any day of it), with links to the weeks around it."""
    grid = listing.week(listing.parse_week(request.args.get("w")))
    return render("lectures/month.html", "lectures/_month.html", grid=grid)


def _lecture_context(lecture: Lecture, rsvp: Rsvp | None) -> dict:
    manager = access.manages(lecture)
    allowed = access.may_attend(lecture)
    asks = manager or (rsvp is not None and rsvp.status != "not_going" and allowed)
    return {"rsvp": rsvp, "allowed": allowed, "show_link": access.shows_link(lecture, rsvp),
            "link_opens_at": access.link_opens_at(lecture), "now": utcnow(), "asks": asks,
            "replay": _may_replay(lecture, allowed or manager),
            **_questions_context(lecture, manager, asks)}


def _may_replay(lecture: Lecture, allowed: bool) -> bool:
    """Whether the replay is shown: there is one, the lecture has started, and the viewer has access."""
    return lecture.has_replay and lecture.starts_at <= utcnow() and allowed


def _questions_context(lecture: Lecture, manager: bool, asks: bool = True) -> dict:
    """What the questions partial shows: the list, whether one may still ask, whether to poll
    (from an hour before the start until the end)."""
    now = utcnow()
    scheduled = lecture.status == "scheduled"
    return {"lecture": lecture, "manager": manager, "questions": _questions(lecture.id) if asks else [],
            "question_form": QuestionForm(formdata=None), "questions_open": scheduled and now < lecture.ends_at,
            "questions_live": scheduled and lecture.starts_at - timedelta(hours=1) <= now <= lecture.ends_at}


def _questions(lecture_id: int) -> list[tuple[Question, User, bool]]:
    uid = current_user.id if current_user.is_authenticated else None
    voted = sa.exists().where(Vote.question_id == Question.id, Vote.user_id == uid)
    return [tuple(row) for row in db.session.execute(
        sa.select(Question, User, voted).join(User, User.id == Question.user_id)
        .where(Question.lecture_id == lecture_id)
        .order_by(Question.answered, Question.votes.desc(), Question.id).limit(200)
    ).all()]


@bp.route("/<int:lecture_id>")
def lecture(lecture_id: int):
    item, rsvp = access.lecture_with_rsvp(lecture_id)
    context = _lecture_context(item, rsvp)
    if context["replay"] and item.replay_file:
        context["replay_src"] = replays.address(item)
    response = render("lectures/lecture.html", "lectures/_rsvp.html", **context)
    if context["replay"] and item.replay_url:
        # The replay's player (an allowed https host, checked when attached) may be framed here.
        response.headers["Content-Security-Policy"] = f"{CSP}; frame-src https://{urlsplit(item.replay_url).hostname}"
    return response


@bp.route("/<int:lecture_id>/lesson")
def as_lesson(lecture_id: int):
    """The lecture as a course lesson shows it (the lazy widget of the ``lesson.source`` slot):
    its time, then its replay for those with access."""
    response = render("lectures/lesson.html", "lectures/_lesson.html", **lessons.shown(access.visible_lecture(lecture_id)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:lecture_id>/replay/<token>")
def replay_file(lecture_id: int, token: str):
    """The uploaded recording under a signed address (Range requests answered); 403 once the
    address has expired, in another session or for another member, or the access has ended."""
    if not replays.valid(token, lecture_id):
        abort(403)
    item = access.visible_lecture(lecture_id)
    if not _may_replay(item, access.manages(item) or access.may_attend(item)):
        abort(403)
    if not item.replay_file:
        abort(404)
    return replays.serve(item)


@bp.route("/<int:lecture_id>/rsvp", methods=["POST"])
@login_required
def rsvp(lecture_id: int):
    """Going (a seat, or the waiting list when full) or not going (a seat given to the first in line)."""
    item = access.visible_lecture(lecture_id)
    answer = request.form.get("answer")
    if answer not in ("going", "not_going"):
        abort(400, _("Answer going or not going."))
    if answer == "going":
        if not access.may_attend(item):
            abort(403, _("Buy this lecture or join the membership to take a seat."))
        try:
            status = seats.going(item, current_user)
        except seats.RsvpRefused:
            abort(409, _("This lecture was cancelled or is over."))
        db.session.commit()
        flash(_("You are going.") if status == "going" else _("It is full: you are on the waiting list."), "success")
    else:
        seats.not_going(item, current_user)
        db.session.commit()
        flash(_("You are not going."), "success")
    if wants_partial():
        return render("lectures/lecture.html", "lectures/_rsvp.html", **_lecture_context(item, access.rsvp_of(item)))
    return redirect(url_for("lectures.lecture", lecture_id=item.id))


@bp.route("/<int:lecture_id>/join", methods=["POST"])
@login_required
def join(lecture_id: int):
    """Open the meeting: a confirmed attendee inside the window is sent to it (and counted as attending)."""
    item = access.visible_lecture(lecture_id)
    rsvp = access.rsvp_of(item)
    if not access.shows_link(item, rsvp):
        abort(403, _("The link opens for confirmed attendees shortly before the start."))
    if rsvp is not None and rsvp.status == "going":
        marked = db.session.execute(sa.update(Rsvp).where(Rsvp.id == rsvp.id, Rsvp.attended_at.is_(None))
                                    .values(attended_at=utcnow())).rowcount
        if marked:
            emit("lecture.attended", user=current_user, subject=item)
        db.session.commit()
    provider = providers().get(item.provider) or providers()["url"]
    return redirect(provider.join_url(item, current_user))


def _ics(body: bytes, name: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:lecture_id>.ics")
def lecture_ics(lecture_id: int):
    item = access.visible_lecture(lecture_id)
    return _ics(calendars.calendar([item], item.title), f"lecture-{item.id}")


@bp.route("/feed/<token>.ics")
@limiter.limit("60/minute")
def feed(token: str):
    """A member's private feed of the lectures they are going to (a revoked token: 404)."""
    owner = calendars.feed_owner(token)
    if owner is None:
        abort(404)
    return _ics(calendars.calendar(calendars.feed_lectures(owner), _("My lectures")), "lectures")


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def my_calendar():
    """The member's feed address (none until they ask); posting makes one, or a new one that
    revokes the old."""
    if request.method == "POST":
        renew = calendars.feed_owner_token(current_user.id) is not None
        calendars.feed_token(current_user.id, renew=renew)
        db.session.commit()
        if renew:
            flash(_("A new address was made; the old one no longer works."), "success")
        return redirect(url_for("lectures.my_calendar"))
    token = calendars.feed_owner_token(current_user.id)
    return render("lectures/calendar.html",
                  feed_url=url_for("lectures.feed", token=token, _external=True) if token else None)


def _version(questions: list[tuple[Question, User, bool]]) -> str:
    """The questions' ETag: it changes with any question, vote, answer, or the viewer's own votes."""
    seen = [(q.id, q.votes, q.answered, voted) for q, _author, voted in questions]
    return hashlib.sha1(repr((seen, current_user.get_id())).encode()).hexdigest()[:16]


@bp.route("/<int:lecture_id>/questions", methods=["GET", "POST"])
@login_required
@limiter.limit("30/minute", methods=["POST"], key_func=keyed_by_member("lectures.questions"))
def questions(lecture_id: int):
    """The questions, most votes first (a poll answers 304 when nothing changed); posting asks one."""
    item, rsvp = access.lecture_with_rsvp(lecture_id)
    access.require_attendee(item, rsvp)
    if request.method == "POST":
        if item.status != "scheduled" or item.ends_at <= utcnow():
            abort(409, _("Questions are closed for this lecture."))
        form = QuestionForm()
        if not form.validate_on_submit():
            abort(400, _("Write a question of at most 1000 characters."))
        db.session.add(Question(lecture_id=item.id, user_id=current_user.id, body=form.body.data.strip()))
        db.session.commit()
        if not wants_partial():
            return redirect(url_for("lectures.lecture", lecture_id=item.id) + "#questions")
    context = _questions_context(item, access.manages(item))
    etag = _version(context["questions"])
    if request.method == "GET" and etag in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = render("lectures/questions.html", "lectures/_questions.html", **context)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _question(question_id: int) -> tuple[Question, Lecture]:
    question = db.get_or_404(Question, question_id)
    return question, access.visible_lecture(question.lecture_id)


@bp.route("/questions/<int:question_id>/vote", methods=["POST"])
@login_required
def vote(question_id: int):
    """Upvote a question, once per member."""
    question, item = _question(question_id)
    access.require_attendee(item, access.rsvp_of(item))
    if question.user_id == current_user.id:
        abort(409, _("You cannot vote for your own question."))
    if insert_once(Vote, ("question_id", "user_id"), question_id=question.id, user_id=current_user.id) is None:
        abort(409, _("You already voted for this question."))
    db.session.execute(sa.update(Question).where(Question.id == question.id)
                       .values(votes=Question.votes + 1, updated_at=utcnow()))
    db.session.commit()
    return _back_to_questions(item)


@bp.route("/questions/<int:question_id>/answered", methods=["POST"])
@login_required
def answered(question_id: int):
    """The speaker marks a question answered."""
    question, item = _question(question_id)
    if not access.manages(item):
        abort(403)
    question.answered = True
    db.session.commit()
    return _back_to_questions(item)


def _back_to_questions(item: Lecture):
    if wants_partial():
        return render("lectures/questions.html", "lectures/_questions.html",
                      **_questions_context(item, access.manages(item)))
    return redirect(url_for("lectures.lecture", lecture_id=item.id) + "#questions")


@bp.route("/next")
@login_required
def next_lecture():
    """The "next lecture" widget: the member's next one, else the next anyone may join."""
    item, mine = listing.next_lecture(current_user.id)
    return render("lectures/next.html", "lectures/_next.html", item=item, mine=mine)

