"""The creator's studio for courses: write courses, chapters and lessons, reorder them with
buttons, upload media, publish or schedule, and see learners, drop-off, ratings and revenue.

A creator who asks for another creator's course gets 404, as if it did not exist.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import ngettext
from flask_babel import gettext as _
from flask_login import current_user


from kpay.api import (
    Order,
    OrderStatus,
    Product,
    User,
    allow_large_body,
    begin_resumable,
    can,
    claim_resumable,
    db,
    emit,
    finish_resumable,
    from_local,
    hook,
    insert_once,
    query_int,
    render,
    require,
    to_local,
    utcnow,
)
from plugins.courses import access, catalogue, media, progress, uploads
from plugins.courses.drip import announce_published_courses
from plugins.courses.forms import ChapterForm, CourseForm, LessonForm, PublishForm, options
from plugins.courses.models import Chapter, Completion, Course, Enrolment, FormerProduct, Lesson
from plugins.courses.views import bp

LEARNERS_SHOWN = 50
# The "Add chapter" form's fields are named (and labelled) apart from the course's own title.
NEW_CHAPTER = "chapter"


def _own_course(course_id: int) -> Course:
    """The course if the current user may edit it; else 404 (403/login without the right)."""
    require("courses.create")
    item = db.get_or_404(Course, course_id)
    if not access.manages(item):
        abort(404)
    return item


@bp.route("/studio/")
def studio():
    """The creator's courses (an admin's: everyone's), newest first."""
    require("courses.create")
    query = sa.select(Course).order_by(Course.id.desc()).limit(200)
    if not can("courses.manage"):
        query = query.where(Course.creator_id == current_user.id)
    return render("courses/studio/index.html", courses=db.session.scalars(query).all())


def _product_choices(form: CourseForm, creator_id: int) -> None:
    products = db.session.scalars(
        sa.select(Product).where(Product.creator_id == creator_id, Product.active.is_(True)).order_by(Product.id)
    ).all()
    form.product_id.choices = options(("", _("Free")), *((str(p.id), p.name) for p in products))
    form.membership_product_id.choices = options(("", _("None")), *(
        (str(p.id), p.name) for p in products if p.kind == "membership"))


@bp.route("/studio/new", methods=["GET", "POST"])
def studio_new():
    require("courses.create")
    return _course_form(None)


@bp.route("/studio/<int:course_id>", methods=["GET", "POST"])
def studio_course(course_id: int):
    """Edit a course; its outline with chapters, lessons and the publishing form."""
    return _course_form(_own_course(course_id))


def _course_form(item: Course | None):
    form = CourseForm(obj=item)
    _product_choices(form, item.creator_id if item else current_user.id)
    if item is not None and not form.is_submitted():
        form.product_id.data = str(item.product_id or "")
        form.membership_product_id.data = str(item.membership_product_id or "")
    if form.validate_on_submit():
        cover = None
        if form.cover.data:
            try:
                cover = uploads.store_cover(form.cover.data.stream)
            except uploads.UploadError as error:
                form.cover.errors = [str(error)]
        if not form.cover.errors:
            return _save_course(item, form, cover)
    status = 422 if form.is_submitted() else 200
    context = {}
    if item is not None:
        context = {"syllabus": catalogue.syllabus(item.id),
                   "chapter_form": ChapterForm(formdata=None, prefix=NEW_CHAPTER),
                   "publish_form": PublishForm(formdata=None, publish_at=to_local(item.publish_at))}
    return render("courses/studio/course.html", form=form, course=item, status=status, **context)


def _save_course(item: Course | None, form: CourseForm, cover: str | None):
    created = item is None
    if created:
        item = Course(creator_id=current_user.id, status="draft")
        db.session.add(item)
    for name in ("title", "subtitle", "description", "tags", "level", "language", "certificates"):
        setattr(item, name, getattr(form, name).data if name == "certificates" else (getattr(form, name).data or ""))
    before = {item.product_id, item.membership_product_id} - {None}
    item.product_id = int(form.product_id.data) if form.product_id.data else None
    item.membership_product_id = int(form.membership_product_id.data) if form.membership_product_id.data else None
    for product_id in before - {item.product_id, item.membership_product_id}:  # its buyers keep the course
        insert_once(FormerProduct, ("course_id", "product_id"), course_id=item.id, product_id=product_id,
                    created_at=utcnow())
    if cover:
        uploads.forget(item.cover)
        item.cover = cover
    db.session.flush()
    if created:
        db.session.add(Chapter(course_id=item.id, title=_("Chapter 1"), position=0))
    db.session.commit()
    flash(_("Course saved."), "success")
    return redirect(url_for("courses.studio_course", course_id=item.id))


@bp.route("/studio/<int:course_id>/publish", methods=["POST"])
def studio_publish(course_id: int):
    """Publish now, schedule, or take a course back to draft."""
    item = _own_course(course_id)
    form = PublishForm()
    if not form.validate():
        flash(" ".join(str(e) for e in form.publish_at.errors or form.action.errors), "error")
        return redirect(url_for("courses.studio_course", course_id=item.id))
    if form.action.data == "draft":
        item.status, item.publish_at = "draft", None
        flash(_("The course is a draft again."), "success")
    else:
        when = utcnow() if form.action.data == "now" else from_local(form.publish_at.data)
        item.status, item.publish_at = "published", when
        flash(_("The course is published.") if when <= utcnow() else _("The course will be published then."),
              "success")
    db.session.flush()
    announce_published_courses()
    db.session.commit()
    return redirect(url_for("courses.studio_course", course_id=item.id))


@bp.route("/studio/<int:course_id>/chapters", methods=["POST"])
def studio_chapter_new(course_id: int):
    item = _own_course(course_id)
    form = ChapterForm(prefix=NEW_CHAPTER)
    if form.validate():
        last = db.session.scalar(sa.select(sa.func.max(Chapter.position)).where(Chapter.course_id == item.id))
        db.session.add(Chapter(course_id=item.id, title=form.title.data, position=(last or 0) + 1))
        db.session.commit()
    else:
        flash(_("Give the chapter a title."), "error")
    return redirect(url_for("courses.studio_course", course_id=item.id) + "#outline")


@bp.route("/studio/chapters/<int:chapter_id>", methods=["POST"])
def studio_chapter_edit(chapter_id: int):
    """Rename a chapter."""
    chapter = db.get_or_404(Chapter, chapter_id)
    item = _own_course(chapter.course_id)
    form = ChapterForm()
    if form.validate():
        chapter.title = form.title.data
        db.session.commit()
    else:
        flash(_("Give the chapter a title."), "error")
    return redirect(url_for("courses.studio_course", course_id=item.id) + "#outline")


def _reorder(model, row_id: int, parent: str):
    """Move a chapter (or lesson) among those of the same course (or chapter): one place up
    or down (the buttons' ``direction``), or to place ``to`` (drag and drop), numbering
    positions afresh."""
    row = db.get_or_404(model, row_id)
    item = _own_course(row.course_id)
    siblings = list(db.session.scalars(
        sa.select(model).where(getattr(model, parent) == getattr(row, parent)).order_by(model.position, model.id)
    ))
    at = siblings.index(row)
    target = request.form.get("to", type=int)
    if target is None:
        target = at + (-1 if request.form.get("direction") == "up" else 1)
    siblings.insert(min(max(target, 0), len(siblings) - 1), siblings.pop(at))
    for position, each in enumerate(siblings):
        each.position = position
    db.session.commit()
    return redirect(url_for("courses.studio_course", course_id=item.id) + "#outline")


@bp.route("/studio/chapters/<int:chapter_id>/move", methods=["POST"])
def studio_chapter_move(chapter_id: int):
    return _reorder(Chapter, chapter_id, "course_id")


@bp.route("/studio/lessons/<int:lesson_id>/move", methods=["POST"])
def studio_lesson_move(lesson_id: int):
    return _reorder(Lesson, lesson_id, "chapter_id")


def _largest_upload_mb() -> int:
    return max(uploads.settings()[f"max_{kind}_mb"] for kind in uploads.ALLOWED)


@bp.route("/studio/<int:course_id>/lessons/new", methods=["GET", "POST"])
@allow_large_body(_largest_upload_mb)
def studio_lesson_new(course_id: int):
    item = _own_course(course_id)
    return _lesson_form(item, None)


@bp.route("/studio/lessons/<int:lesson_id>", methods=["GET", "POST"])
@allow_large_body(_largest_upload_mb)
def studio_lesson(lesson_id: int):
    found = db.get_or_404(Lesson, lesson_id)
    return _lesson_form(_own_course(found.course_id), found)


def _lesson_form(item: Course, found: Lesson | None):
    form = LessonForm(obj=found)
    chapters = db.session.scalars(
        sa.select(Chapter).where(Chapter.course_id == item.id).order_by(Chapter.position, Chapter.id)).all()
    form.chapter_id.choices = options(*((c.id, c.title) for c in chapters))
    form.offered = lesson_sources(item.creator)
    form.source.choices = options(("", _("Choose…")), *((s.key, s.title) for s in form.offered))
    if not form.is_submitted():
        if found is None:
            form.chapter_id.data = query_int("chapter_id")
        else:
            form.opens_at.data = to_local(found.opens_at)
    if form.validate_on_submit() and _check_content(form, found):
        return _save_lesson(item, found, form)
    return render("courses/studio/lesson.html", form=form, course=item, lesson=found,
                  status=422 if form.is_submitted() else 200)


def lesson_sources(creator: User) -> list:
    """What the plugins offer ``creator`` to make a lesson of (``kpay_lesson_sources``), by order and title."""
    offered = [source for group in hook().kpay_lesson_sources(user=creator) for source in group or ()]
    return sorted(offered, key=lambda source: (source.order, source.title))


def _check_content(form: LessonForm, found: Lesson | None) -> bool:
    """Store the file sent with the form, or the resumable upload it names, in ``form.stored``;
    False (with a message beside the field) when the file is refused or the lesson would have
    no content. A refused file is deleted at once."""
    form.stored = None
    kind = form.kind.data
    if form.file.data or form.upload.data:
        if kind in ("text", "source"):
            form.file.errors = [_("A text lesson has no file: choose another kind.") if kind == "text"
                                else _("A linked lesson has no file: choose another kind.")]
            return False
        # Storing and probing a large file takes seconds: end the transaction first (on SQLite
        # a POST's transaction holds the write lock); _save_lesson reads the lesson again.
        db.session.commit()
        try:
            form.stored = _store_upload(form, kind)
        except uploads.UploadError as error:
            form.file.errors = [str(error)]
            return False
    has_file = form.stored is not None or (found is not None and found.media and found.kind == kind)
    if kind == "source" and form.source.data not in {source.key for source in form.offered}:
        form.source.errors = [_("Choose what this lesson shows.") if form.offered else
                              _("You have nothing to link yet: schedule a live lecture first.")]
    elif kind != "source" and form.source.data:
        form.source.errors = [_("Only a linked lesson shows linked content.")]
    if kind == "text" and not (form.body.data or "").strip():
        form.body.errors = [_("Write the lesson's text.")]
    elif kind == "video" and not (has_file or form.embed_url.data):
        form.file.errors = [_("Upload a video or give a player to embed.")]
    elif kind in ("audio", "attachment") and not has_file:
        form.file.errors = [_("Upload the lesson's file.")]
    if kind != "video" and form.embed_url.data:
        form.embed_url.errors = [_("Only a video lesson embeds a player.")]
    if form.body.errors or form.file.errors or form.embed_url.errors or form.source.errors:
        if form.stored:
            uploads.discard(form.stored[0])
        return False
    return True


def _store_upload(form: LessonForm, kind: str) -> tuple[str, str, int, str, dict | None]:
    """(name, media type, size, the member's file name, ffprobe's figures) of the stored file
    of ``form``: the file it carries, else its finished resumable upload (whose partial file
    goes either way). A video ffprobe cannot read is deleted and refused."""
    if form.file.data:
        stored = (*uploads.store_media(form.file.data.stream, kind), form.file.data.filename or "")
    else:
        path, filename = claim_resumable(form.upload.data, current_user.id, f"courses.{kind}")
        try:
            stored = (*uploads.store_media(path, kind), filename)
        finally:
            finish_resumable(form.upload.data)
    try:
        return (*stored, media.probe_stored(stored[0]) if kind == "video" else None)
    except uploads.UploadError:
        uploads.discard(stored[0])
        raise


@bp.route("/studio/<int:course_id>/uploads", methods=["POST"])
def studio_upload_begin(course_id: int):
    """Start a resumable upload for a lesson of the course: JSON ``kind``, ``filename``,
    ``size`` and ``head`` (the file's first bytes, base64) are checked before any chunk is sent."""
    _own_course(course_id)
    data = request.get_json(silent=True) or {}
    kind, size = data.get("kind"), data.get("size")
    if kind not in uploads.ALLOWED or not isinstance(size, int):
        return {"error": _("Choose the lesson's kind, then its file.")}, 400
    try:
        head = base64.b64decode(str(data.get("head", "")), validate=True)
    except ValueError:
        head = b""
    try:
        if uploads.sniff(head, kind) is None:
            raise uploads.UploadError(uploads.refusal(kind))
        token = begin_resumable(current_user.id, f"courses.{kind}", str(data.get("filename", "")), size,
                                uploads.settings()[f"max_{kind}_mb"])
    except uploads.UploadError as error:
        return {"error": str(error)}, 422
    return {"token": token, "url": url_for("uploads.chunk", token=token)}, 201


def _save_lesson(item: Course, found: Lesson | None, form: LessonForm):
    if found is None:
        last = db.session.scalar(sa.select(sa.func.max(Lesson.position)).where(Lesson.chapter_id == form.chapter_id.data))
        found = Lesson(course_id=item.id, position=(last or 0) + 1)
        db.session.add(found)
    else:  # a second save racing this one waits here, then replaces what this one stored
        db.session.refresh(found, with_for_update=True)
    found.chapter_id, found.title, found.kind = form.chapter_id.data, form.title.data, form.kind.data
    found.body = form.body.data or ""
    found.embed_url = form.embed_url.data or None if form.kind.data == "video" else None
    found.source = form.source.data if form.kind.data == "source" else None
    found.minutes, found.preview = form.minutes.data or 0, form.preview.data
    found.opens_at, found.opens_after_days = from_local(form.opens_at.data), form.opens_after_days.data
    if form.stored:
        media.replace(found, *form.stored)
    elif found.media and form.kind.data in ("text", "source"):
        media.replace(found, None, None, None, None)
    db.session.flush()
    emit("lesson.saved", user=db.session.get(User, current_user.id), subject=found, course_id=item.id)
    try:
        db.session.commit()
    except Exception:
        if form.stored:
            uploads.discard(form.stored[0])
        raise
    flash(_("Lesson saved."), "success")
    return redirect(url_for("courses.studio_course", course_id=item.id) + "#outline")


@bp.route("/studio/lessons/<int:lesson_id>/delete", methods=["GET", "POST"])
def studio_lesson_delete(lesson_id: int):
    """Delete a lesson after a confirmation page (a plain form, no script needed).

    Learners lose their completion of it; their progress is recomputed over the lessons left,
    and one who has thereby done them all finishes the course. Nothing already given is taken
    back: certificates, finishing dates and milestone notices stay.
    """
    found = db.get_or_404(Lesson, lesson_id)
    item = _own_course(found.course_id)
    if request.method == "GET":  # a POST's CSRF token is checked for every form (CSRFProtect)
        completed = db.session.scalar(sa.select(sa.func.count()).where(Completion.lesson_id == found.id))
        warning = ngettext(
            "%(num)s member completed this lesson; it will no longer count in their progress.",
            "%(num)s members completed this lesson; it will no longer count in their progress.", completed,
        ) if completed else None
        return render("courses/studio/delete.html", course=item, thing=found.title, warning=warning,
                      action=url_for("courses.studio_lesson_delete", lesson_id=found.id))
    # Before the row goes (the event names it); the search index drops the lesson at once.
    emit("lesson.deleted", user=db.session.get(User, current_user.id), subject=found, course_id=item.id)
    progress.forget_lesson(item, found)
    media.replace(found, None, None, None, None)
    db.session.commit()
    flash(_("Lesson deleted."), "success")
    return redirect(url_for("courses.studio_course", course_id=item.id) + "#outline")


@bp.route("/studio/chapters/<int:chapter_id>/delete", methods=["GET", "POST"])
def studio_chapter_delete(chapter_id: int):
    """Delete an empty chapter after a confirmation page; one with lessons is refused, so no
    lesson (and no learner's progress) goes by accident."""
    chapter = db.get_or_404(Chapter, chapter_id)
    item = _own_course(chapter.course_id)
    has_lessons = db.session.scalar(sa.select(Lesson.id).where(Lesson.chapter_id == chapter.id).limit(1))
    refusal = _("Delete or move this chapter's lessons first.") if has_lessons else None
    if request.method == "GET" or refusal:
        return render("courses/studio/delete.html", course=item, thing=chapter.title, refusal=refusal,
                      action=url_for("courses.studio_chapter_delete", chapter_id=chapter.id),
                      status=409 if request.method == "POST" else 200)
    db.session.execute(sa.delete(Chapter).where(Chapter.id == chapter.id))
    db.session.commit()
    flash(_("Chapter deleted."), "success")
    return redirect(url_for("courses.studio_course", course_id=item.id) + "#outline")


@bp.route("/studio/<int:course_id>/learners")
def studio_learners(course_id: int):
    """Enrolments, completion per lesson (where learners drop off), ratings and revenue."""
    item = _own_course(course_id)
    outline = catalogue.syllabus(item.id)
    completions = dict(db.session.execute(
        sa.select(Completion.lesson_id, sa.func.count()).where(Completion.course_id == item.id)
        .group_by(Completion.lesson_id)
    ).all())
    learners = db.session.execute(
        sa.select(Enrolment, User).join(User, User.id == Enrolment.user_id).where(Enrolment.course_id == item.id)
        .order_by(Enrolment.enrolled_at.desc()).limit(LEARNERS_SHOWN)
    ).all()
    revenue = db.session.execute(
        sa.select(Product.currency, sa.func.count(Order.id), sa.func.coalesce(sa.func.sum(Order.amount_minor), 0))
        .join(Product, Product.id == Order.product_id)
        .where(Order.product_id.in_(access.product_ids(item.id)), Order.status == OrderStatus.PAID).group_by(Product.currency)
    ).all()
    return render(
        "courses/studio/learners.html", course=item, syllabus=outline, completions=completions,
        learners=learners, revenue=revenue, distribution=catalogue.distribution(item.id),
    )
