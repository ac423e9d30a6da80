"""The members' side: catalogue, course page, lessons and their media, enrolling, progress,
reviews and certificates. Every route decides access itself through ``plugins.courses.access``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required


from kpay.api import (
    CSP, User, access_notes, db, emit, insert_once, query_int, read_filters, render, serve_upload, storage, utcnow,
)
from plugins.courses import access, catalogue, kept, playback, progress, uploads
from plugins.courses.playback import PATHS
from plugins.courses.forms import CatalogueFilters, ReplyForm, ReviewForm
from plugins.courses.models import Course, Enrolment, HelpfulVote, Lesson, Review

bp = Blueprint("courses", __name__, template_folder="templates", static_folder="static")

PRIVATE = {"Cache-Control": "private, no-store"}


@bp.route("/", endpoint="catalogue")
def catalogue_page():
    """Published courses, filtered and sorted; htmx swaps only the list."""
    form, values = read_filters(CatalogueFilters)
    listing = catalogue.cards(values, current_app.config["KPAY"]["plugins"]["courses"]["per_page"])
    return render("courses/catalogue.html", "courses/_cards.html", form=form, listing=listing,
                  cards_html=kept.cards_html, filters_html=kept.filters_html)


class Viewer:
    """What the current user is to a course: manager, owner (has access), enrolment.

    A manager who asks ``?as=outsider`` sees the course as a member without access.
    """

    def __init__(self, course: Course, learner: tuple[Enrolment | None, Review | None] | None = None):
        self.manager = access.manages(course)
        self.outsider = self.manager and request.args.get("as") == "outsider"
        if self.outsider:
            self.manager, self.owns, self.enrolment, self.review = False, False, None, None
        else:
            self.owns = access.has_course(course)
            self.enrolment, self.review = learner or catalogue.learner(course.id, current_user)
        # Other ways in than buying (a level reached, say), for the locked page to tell.
        self.notes = [] if self.owns or self.manager else access_notes(current_user, access.resource(course))

    def state(self, course: Course, lesson: Lesson) -> access.LessonState:
        return access.lesson_state(course, lesson, self.enrolment, self.owns, self.manager)


def _course_context(course: Course, learner: tuple[Enrolment | None, Review | None] | None = None,
                    creator=None, offers: dict | None = None) -> dict:
    """What the course, lesson and syllabus pages show; ``creator`` and ``offers`` as
    ``visible_course_page`` reads them, else from the course's loaded relationships."""
    viewer = Viewer(course, learner)
    outline = catalogue.syllabus(course.id, current_user.id if viewer.enrolment else None)
    return {
        "course": course, "viewer": viewer, "syllabus": outline,
        "states": {lesson.id: viewer.state(course, lesson) for lesson in outline.lessons},
        "done": outline.done, "creator": creator or course.creator, "syllabus_html": kept.syllabus_html,
        "facts_html": kept.facts_html,
        "products": offers or {"one_time": course.product, "membership": course.membership_product},
    }


@bp.route("/<int:course_id>")
def course(course_id: int):
    """The course page: description, syllabus, the buy or enrol button, reviews."""
    item, enrolment, review, _lesson, creator, offers = access.visible_course_page(course_id)
    context = _course_context(item, (enrolment, review), creator, offers)
    mine = context["viewer"].review
    reviews, distribution = catalogue.reviews(item.id)
    return render(
        "courses/course.html", **context, reviews=reviews, reviews_html=kept.reviews_html,
        review_form_html=kept.review_form_html, distribution=distribution,
        mine=mine, review_form=None, resume=_resume(context),
    )


def _resume(context: dict) -> Lesson | None:
    """Where the member left off: the first lesson after the last one they studied that is
    not completed, else the first lesson not completed."""
    lessons, done = context["syllabus"].lessons, context["done"]
    enrolment = context["viewer"].enrolment
    if not lessons or enrolment is None:
        return None
    ids = [lesson.id for lesson in lessons]
    start = ids.index(enrolment.last_lesson_id) if enrolment.last_lesson_id in ids else 0
    for lesson in lessons[start:] + lessons[:start]:
        if lesson.id not in done:
            return lesson
    return lessons[start]


@bp.route("/<int:course_id>/syllabus")
def syllabus(course_id: int):
    """The syllabus sidebar (an htmx partial), or a page of its own without htmx."""
    item = access.visible_course(course_id)
    current = query_int("lesson")
    return render("courses/syllabus.html", "courses/_syllabus.html", **_course_context(item), current=current)


@bp.route("/<int:course_id>/lessons/<int:lesson_id>")
def lesson(course_id: int, lesson_id: int):
    """A lesson; without access, its title, the syllabus and the buy button (403)."""
    item, enrolment, review, found, creator, offers = access.visible_course_page(course_id, lesson_id)
    context = _course_context(item, (enrolment, review), creator, offers)
    state = context["states"][found.id]
    previous, following = context["syllabus"].neighbours(found.id)
    response = render(
        "courses/lesson.html", "courses/_lesson.html", status=200 if state.open else 403, **context,
        lesson=found, state=state, previous=previous, following=following, current=found.id,
        lesson_body_html=kept.lesson_body_html,
    )
    response.headers.update(PRIVATE)
    if state.open and found.embed_url:
        host = urlsplit(found.embed_url).hostname
        response.headers["Content-Security-Policy"] = f"{CSP}; frame-src https://{host}"
    return response


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/media-status")
def media_status(course_id: int, lesson_id: int):
    """The lesson's media part: progress while it is processed, then the player (htmx polls it)."""
    item, found = _open_lesson(course_id, lesson_id)
    if found.kind not in ("video", "audio") or not found.media:
        abort(404)
    if not request.htmx:
        return redirect(url_for("courses.lesson", course_id=item.id, lesson_id=found.id))
    response = render("courses/lesson.html", "courses/_media.html", course=item, lesson=found, viewer=Viewer(item))
    response.headers.update(PRIVATE)
    return response


def _open_lesson(course_id: int, lesson_id: int) -> tuple[Course, Lesson]:
    """The course and lesson if the current user may open the lesson now; else 403 (404 when
    there is no such lesson for them to see)."""
    item = access.visible_course(course_id)
    found = access.visible_lesson(item, lesson_id)
    state, _enrolment = access.lesson_access(item, found)
    if not state.open:
        abort(403)
    return item, found


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/stream/<token>/<path:path>")
def stream(course_id: int, lesson_id: int, token: str, path: str):
    """The lesson's media under a signed playback address: the source file (Range requests),
    its poster, or its HLS playlists and segments; 403 once the address has expired, in
    another session, or the member's access has ended."""
    found = PATHS.fullmatch(path)
    if not playback.valid(token, lesson_id):
        abort(403)
    _course, lesson_row = _open_lesson(course_id, lesson_id)
    if found is None or lesson_row.kind not in ("video", "audio") or not lesson_row.media:
        abort(404)
    if path == "source":
        return uploads.serve(lesson_row.media, lesson_row.media_type)
    if path == "poster":
        return uploads.serve(lesson_row.poster, "image/jpeg") if lesson_row.poster else abort(404)
    if not lesson_row.hls:
        abort(404)
    key = f"{uploads.FOLDER}/hls/{lesson_row.hls}/{path}"
    if path.endswith(".ts"):
        return serve_upload(key, "video/mp2t", accel_prefix=uploads.settings()["accel_redirect_prefix"])
    try:
        with storage().open(key) as playlist:
            body = playlist.read()
    except FileNotFoundError:
        abort(404)
    return Response(body, mimetype="application/vnd.apple.mpegurl", headers=PRIVATE)


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/download")
def download(course_id: int, lesson_id: int):
    """The lesson's attachment, downloaded after the access check, under a name made from the
    lesson's title and the type its bytes were found to be (never the uploader's file name:
    a PDF called ``x.html`` is saved as ``<title>.pdf``)."""
    _course, found = _open_lesson(course_id, lesson_id)
    if found.kind != "attachment" or not found.media:
        abort(404)
    return uploads.serve(found.media, found.media_type, download_name=attachment_name(found.title, found.media_type))


def attachment_name(title: str, media_type: str) -> str:
    """A safe file name: the title's words (no separators, quotes or control characters, at
    most 80 characters) and the extension of ``media_type``."""
    words = re.sub(r"[^\w\s.-]", " ", title, flags=re.UNICODE).replace(".", " ").split()
    stem = "-".join(words)[:80].strip("-") or "attachment"
    return f"{stem}.{uploads.ALLOWED['attachment'].get(media_type, 'bin')}"


@bp.route("/<int:course_id>/cover")
def cover(course_id: int):
    """The course's cover picture (public once the course is)."""
    item = access.visible_course(course_id)
    if not item.cover:
        abort(404)
    return uploads.serve(item.cover, "image/webp", private=not access.is_public(item))


@bp.route("/<int:course_id>/enrol", methods=["POST"])
@login_required
def enrol(course_id: int):
    """Enrol in a free course, or in a course the member has access to; else to its checkout."""
    item = access.visible_course(course_id)
    if not access.has_course(item):
        product_id = item.product_id or item.membership_product_id
        return redirect(url_for("commerce.product", product_id=product_id))
    progress.enrol(db.session.get(User, current_user.id), item)
    db.session.commit()
    flash(_("You are enrolled. Enjoy the course!"), "success")
    return redirect(url_for("courses.course", course_id=item.id))


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/complete", methods=["POST"])
@login_required
def complete(course_id: int, lesson_id: int):
    """Mark the lesson complete (enrolling in a course the member has access to; a free
    preview of a course they have not bought does not enrol them)."""
    item, found = _open_lesson(course_id, lesson_id)
    if not access.has_course(item):
        abort(403)
    member = db.session.get(User, current_user.id)
    enrolment = progress.enrol(member, item)
    if progress.complete(member, item, found, enrolment):
        db.session.commit()
        if enrolment.percent == 100:
            flash(_("You finished the course. Well done!"), "success")
    else:
        db.session.commit()
    if request.htmx and not request.htmx.boosted:
        return render("courses/lesson.html", "courses/_complete.html", course=item, lesson=found, done={found.id},
                      enrolment=enrolment)
    previous, following = catalogue.syllabus(item.id).neighbours(found.id)
    target = following or found
    return redirect(url_for("courses.lesson", course_id=item.id, lesson_id=target.id))


# Reviews

def _reviewer(item: Course) -> None:
    """403 unless the current member may review ``item`` (``access.may_review``)."""
    if not access.may_review(item):
        abort(403)


def _review_page(item: Course, form: ReviewForm, mine: Review | None):
    context = _course_context(item)
    reviews, distribution = catalogue.reviews(item.id)
    return render(
        "courses/course.html", **context, reviews=reviews, reviews_html=kept.reviews_html,
        review_form_html=kept.review_form_html, distribution=distribution,
        mine=mine, review_form=form,
        resume=_resume(context), status=422,
    )


@bp.route("/<int:course_id>/reviews", methods=["POST"])
@login_required
def review(course_id: int):
    """Write the member's one review of a course they are enrolled in."""
    item = access.visible_course(course_id)
    _reviewer(item)
    form = ReviewForm()
    mine = db.session.scalar(sa.select(Review).filter_by(course_id=item.id, user_id=current_user.id))
    if mine is not None:
        form.validate()
        form.rating.errors = [*form.rating.errors, _("You have already reviewed this course: edit your review.")]
        return _review_page(item, form, mine)
    if not form.validate():
        return _review_page(item, form, None)
    rating, now = form.rating.data, utcnow()
    new_id = insert_once(Review, ("course_id", "user_id"), course_id=item.id, user_id=current_user.id,
                         rating=rating, text=form.text.data or "", reply="", helpful_count=0,
                         created_at=now, updated_at=now)
    if new_id is not None:
        db.session.execute(sa.update(Course).where(Course.id == item.id).values(
            rating_count=Course.rating_count + 1, rating_sum=Course.rating_sum + rating))
        emit("review.created", user=db.session.get(User, current_user.id), subject=item, rating=rating)
    db.session.commit()
    flash(_("Thank you for your review."), "success")
    return redirect(url_for("courses.course", course_id=item.id) + "#reviews")


@bp.route("/<int:course_id>/reviews/mine", methods=["POST"])
@login_required
def review_edit(course_id: int):
    """Change the member's own review."""
    item = access.visible_course(course_id)
    _reviewer(item)
    mine = db.session.scalar(sa.select(Review).filter_by(course_id=item.id, user_id=current_user.id))
    if mine is None:
        abort(404)
    form = ReviewForm()
    if not form.validate():
        return _review_page(item, form, mine)
    rating = form.rating.data
    db.session.execute(sa.update(Course).where(Course.id == item.id).values(
        rating_sum=Course.rating_sum + rating - mine.rating))
    mine.rating, mine.text, mine.updated_at = rating, form.text.data or "", utcnow()
    db.session.commit()
    flash(_("Your review is updated."), "success")
    return redirect(url_for("courses.course", course_id=item.id) + "#reviews")


def _review_of_visible_course(review_id: int) -> tuple[Review, Course]:
    found = db.get_or_404(Review, review_id)
    return found, access.visible_course(found.course_id)


@bp.route("/reviews/<int:review_id>/helpful", methods=["POST"])
@login_required
def helpful(review_id: int):
    """Mark a review helpful, once per member (not one's own)."""
    found, item = _review_of_visible_course(review_id)
    if found.user_id != current_user.id and insert_once(
        HelpfulVote, ("review_id", "user_id"), review_id=found.id, user_id=current_user.id
    ) is not None:
        db.session.execute(sa.update(Review).where(Review.id == found.id)
                           .values(helpful_count=Review.helpful_count + 1))
    db.session.commit()
    return redirect(url_for("courses.course", course_id=item.id) + f"#review-{found.id}")


@bp.route("/reviews/<int:review_id>/reply", methods=["POST"])
@login_required
def reply(review_id: int):
    """The course's creator answers a review."""
    found, item = _review_of_visible_course(review_id)
    if not access.manages(item):
        abort(403)
    form = ReplyForm()
    if form.validate():
        found.reply = form.reply.data
        db.session.commit()
        flash(_("Your reply is published."), "success")
    else:
        flash(_("Write a reply first."), "error")
    return redirect(url_for("courses.course", course_id=item.id) + f"#review-{found.id}")


# Certificates and the home widget

@bp.route("/certificates/<code>")
def certificate(code: str):
    """A certificate, printable, open to anyone who has its code (that is how it is verified)."""
    enrolment = db.session.scalar(sa.select(Enrolment).filter_by(certificate_code=code.upper()[:24]))
    if enrolment is None:
        abort(404)
    item = db.session.get(Course, enrolment.course_id)
    return render("courses/certificate.html", enrolment=enrolment, course=item,
                  learner=db.session.get(User, enrolment.user_id), creator=db.session.get(User, item.creator_id))


@bp.route("/continue")
@login_required
def continue_learning():
    """The member's courses with their progress (a lazy widget of My learning, or a page)."""
    return render("courses/continue.html", "courses/_continue.html", rows=progress.learning(current_user))
