"""The core's fixtures, an app with courses and the sandbox, and a paid course whose every paid
lesson, media file and attachment carries a canary string an outsider must never see."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.models.commerce import Product
from plugins.courses import uploads
from plugins.courses.demo import tiny_pdf
from plugins.courses.models import Chapter, Course, Lesson
from kpay.testing import Auth
from tests.conftest import s3_endpoint, s3_storage, storage_settings  # noqa: F401 (media tests use both backends)

MEDIA = Path(__file__).resolve().parent.parent / "demo"
WEBM = (MEDIA / "demo.webm").read_bytes()
OGG = (MEDIA / "demo.ogg").read_bytes()
ENABLED = {"plugins": {"enabled": ["courses", "pay_sandbox"]}}


def canary(lesson_id) -> str:
    return f"CANARY-PAID-{lesson_id}-END"


@pytest.fixture
def app(make_app):
    return make_app(ENABLED)


@dataclass
class Built:
    """A course made for a test: its id, its product's id and its lessons' ids in order."""

    id: int
    product_id: int | None
    lessons: list[int]


def make_course(app, creator_id: int, price_minor: int | None = 9900, lessons: int = 4, preview: int = 1,
                media: bool = True, **values) -> Built:
    """A published course of ``creator_id`` in one chapter: ``preview`` free-preview text lessons,
    then paid text lessons carrying the canary, and (with ``media``) a paid video, audio and
    attachment whose files carry it too. Sold for ``price_minor`` (None: free)."""
    with app.test_request_context():
        product = None
        if price_minor is not None:
            product = Product(creator_id=creator_id, name=values.get("title", "Course"), price_minor=price_minor,
                              currency="CNY")
            db.session.add(product)
            db.session.flush()
        values = {"title": "Course", "status": "published", "publish_at": utcnow(), **values}
        course = Course(creator_id=creator_id, product_id=product.id if product else None, **values)
        db.session.add(course)
        db.session.flush()
        chapter = Chapter(course_id=course.id, title="Chapter one")
        db.session.add(chapter)
        db.session.flush()
        rows = []
        for n in range(lessons):
            lesson = Lesson(course_id=course.id, chapter_id=chapter.id, title=f"Lesson {n + 1}", kind="text",
                            position=n, preview=n < preview, minutes=5)
            rows.append(lesson)
        if media:
            for kind, _data, name in (("video", WEBM, "v.webm"), ("audio", OGG, "a.ogg"),
                                     ("attachment", tiny_pdf("notes"), "notes.pdf")):
                rows.append(Lesson(course_id=course.id, chapter_id=chapter.id, title=f"A {kind}", kind=kind,
                                   position=len(rows), media_name=name))
        db.session.add_all(rows)
        db.session.flush()
        for lesson in rows:
            secret = "" if lesson.preview else canary(lesson.id)
            lesson.body = f"Body of {lesson.title}. {secret}"
            if lesson.kind != "text":
                data = {"video": WEBM, "audio": OGG}.get(lesson.kind) or tiny_pdf("notes")
                stored = uploads.store_media(io.BytesIO(data + secret.encode()), lesson.kind)
                lesson.media, lesson.media_type, lesson.media_size = stored
        db.session.commit()
        return Built(course.id, product.id if product else None, [lesson.id for lesson in rows])


@pytest.fixture
def course_factory(app):
    return lambda creator_id, **values: make_course(app, creator_id, **values)


def logged_in(app, user):
    """A new test client logged in as ``user``."""
    client = app.test_client()
    Auth(client).login(user.email)
    return client


def count(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))
