"""Parts of the catalogue and course pages rendered once per process (``kpay.api.kept_macro``)
and shared by every reader they look the same to; an edit makes a new key at once."""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app, get_template_attribute
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from kpay.api import CSRF_HOLE, KeptHtml, keep_html, kept_macro, render_markdown, with_csrf
from plugins.courses.access import LessonState
from plugins.courses.catalogue import Card, ReviewRow, Syllabus
from plugins.courses.forms import CatalogueFilters, ReviewForm
from plugins.courses.models import Lesson, Review

LESSON_BODIES = 4_000_000  # characters of lesson bodies' HTML kept per process (one over a twentieth is not)


def cards_html(cards: list[Card]) -> Markup:
    """The catalogue's cards (``_card.html``), the same for every reader."""
    kept = kept_macro("courses/_card.html", "course_card")
    return Markup("".join(kept(card.creator, len(card.course.title) + len(card.course.subtitle), card)
                          for card in cards))


def facts_html(course) -> Markup:
    """A course page's facts (``_facts.html``): level, language, tags, rating and learners."""
    macro = get_template_attribute("courses/_facts.html", "course_facts")
    key = ("courses.facts", course.level, course.language, course.tags, course.rating_count, course.rating_sum,
           course.learner_count)
    return keep_html(key, len(course.tags), lambda: macro(course))


def filters_html(form: CatalogueFilters) -> Markup:
    """The catalogue's filter form (``_filters.html``), kept per process for its values unless
    it shows an error."""
    macro = get_template_attribute("courses/_filters.html", "catalogue_filters")
    if form.errors:
        return macro(form)
    values = tuple((field.name, field.data) for field in form if field.name != "cursor")
    return keep_html(("courses.filters", values), len(form.tag.data or ""), lambda: macro(form))


def reviews_html(rows: list[ReviewRow], manager: bool) -> Markup:
    """A course page's reviews (``_review.html``) as the reader sees them: whether they may
    mark each helpful (not their own) and reply (the course's manager)."""
    kept = kept_macro("courses/_review.html", "review_item")
    uid = current_user.id if current_user.is_authenticated else None
    return with_csrf("".join(
        kept(row.author, len(row.review.text) + len(row.review.reply), row,
             uid is not None and uid != row.review.user_id, bool(manager), CSRF_HOLE)
        for row in rows))


class SyllabusItem(NamedTuple):
    """A lesson as the syllabus shows it to its reader."""

    id: int
    title: str
    kind: str
    minutes: int
    preview: bool
    opens_after_days: int | None
    done: bool
    state: LessonState


class SyllabusChapter(NamedTuple):
    title: str
    lessons: tuple[SyllabusItem, ...]


def syllabus_html(course_id: int, syllabus: Syllabus, states: dict[int, LessonState], done: set[int],
                  current=None) -> Markup:
    """The syllabus (``_syllabus_nav.html``) with each lesson's state for the reader and
    ``current`` (a lesson's id) marked."""
    chapters = tuple(
        SyllabusChapter(chapter.title, tuple(
            SyllabusItem(lesson.id, lesson.title, lesson.kind, lesson.minutes, lesson.preview,
                         lesson.opens_after_days, lesson.id in done, states[lesson.id])
            for lesson in lessons))
        for chapter, lessons in syllabus.chapters)
    size = sum(len(lesson.title) for chapter in chapters for lesson in chapter.lessons)
    current = current if isinstance(current, int) else None
    return kept_macro("courses/_syllabus_nav.html", "syllabus_nav")(None, size, course_id, chapters, current)


def review_form_html(form: ReviewForm | None, mine: Review | None, course_id: int) -> Markup:
    """The member's review form (``_review_form.html``): ``form`` as sent back with errors, or
    (None) empty or holding their review, kept per process and made only when not kept."""
    macro = get_template_attribute("courses/_review_form.html", "review_form_box")
    if form is not None:
        return macro(form, mine is not None, course_id)
    token = escape(generate_csrf())
    key = ("courses.review_form", course_id, mine.rating if mine else None, mine.text if mine else None)
    return with_csrf(keep_html(key, len(key[-1] or ""), lambda: Markup(
        macro(ReviewForm(obj=mine, formdata=None), mine is not None, course_id).replace(token, CSRF_HOLE))))


def lesson_body_html(lesson: Lesson) -> Markup:
    """The lesson's body as sanitized HTML, kept per process for its version (its id and
    ``updated_at``, which every edit moves): bodies are longer than ``render_markdown``
    remembers. They are kept apart from the pages' kept HTML, once for every reader (a body
    shows no reader's language, zone or link), so long bodies never push the rest out. Called
    only once the reader's access check has opened the lesson."""
    bodies = current_app.extensions.setdefault("courses_lesson_bodies", KeptHtml(LESSON_BODIES))
    return bodies.get((lesson.id, lesson.updated_at), 0, lambda: render_markdown(lesson.body))
