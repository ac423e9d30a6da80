"""SQL queries per course page and lesson page, for courses of 5 and 500 lessons with 10 and
100,000 learners: the counts must not grow with either. Usage: ``python bench/course_queries.py``.

Builds each case in a new SQLite database (learners inserted in bulk), then requests the pages
through Flask's test client as a visitor and as a learner, counting the statements SQLAlchemy
sends (log-in and session queries included, as a real request makes them).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpay.accounts import create_user  # noqa: E402
from kpay.app import create_app  # noqa: E402
from kpay.extensions import db  # noqa: E402
from kpay.models import User  # noqa: E402
from kpay.models.base import utcnow  # noqa: E402
from plugins.courses.models import Chapter, Completion, Course, Enrolment, Lesson  # noqa: E402
from tests.conftest import Auth  # noqa: E402

PASSWORD = "bench-password-2026"
CASES = [(5, 10), (500, 10), (5, 100_000), (500, 100_000)]


def build(app, lessons: int, learners: int) -> tuple[int, int]:
    """A free course with ``lessons`` lessons in 5 chapters and ``learners`` enrolments."""
    with app.app_context():
        db.create_all()
        creator = create_user("creator@example.com", "Creator", PASSWORD, role="creator")
        create_user("learner@example.com", "Learner", PASSWORD)
        db.session.flush()
        course = Course(creator_id=creator.id, title="Bench", status="published", publish_at=utcnow())
        db.session.add(course)
        db.session.flush()
        chapters = [Chapter(course_id=course.id, title=f"Chapter {n}", position=n) for n in range(5)]
        db.session.add_all(chapters)
        db.session.flush()
        db.session.execute(sa.insert(Lesson), [
            {"course_id": course.id, "chapter_id": chapters[n % 5].id, "title": f"Lesson {n}", "kind": "text",
             "body": "Some text. " * 50, "position": n, "updated_at": utcnow()} for n in range(lessons)
        ])
        now = utcnow()
        db.session.execute(sa.insert(User), [
            {"email": f"l{n}@example.com", "display_name": f"L{n}", "password_hash": "x", "role": "member",
             "status": "active", "created_at": now} for n in range(learners - 1)
        ])
        learner_ids = db.session.scalars(sa.select(User.id).where(User.role == "member")).all()
        db.session.execute(sa.insert(Enrolment), [
            {"course_id": course.id, "user_id": uid, "enrolled_at": now, "updated_at": now, "percent": 10,
             "completed_count": 1} for uid in learner_ids
        ])
        first = db.session.scalar(sa.select(Lesson.id).order_by(Lesson.id))
        db.session.execute(sa.insert(Completion), [
            {"course_id": course.id, "lesson_id": first, "user_id": uid, "created_at": now} for uid in learner_ids
        ])
        course.learner_count = len(learner_ids)
        db.session.commit()
        return course.id, first


def count_queries(app, client, url: str) -> tuple[int, int]:
    """(status, statements) of one GET of ``url``."""
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        status = client.get(url).status_code
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return status, len(seen)


def main() -> None:
    print(f"{'lessons':>8}{'learners':>10}  {'course, visitor':>16}{'course, learner':>16}{'lesson, learner':>16}")
    for lessons, learners in CASES:
        with tempfile.TemporaryDirectory(prefix="kpay-bench-courses-") as folder:
            app = create_app({"instance_path": folder, "database_url": f"sqlite:///{folder}/kpay.db",
                              "redis_url": "", "plugins": {"enabled": ["courses"]}})
            course_id, lesson_id = build(app, lessons, learners)
            visitor, learner = app.test_client(), app.test_client()
            Auth(learner).login("learner@example.com", PASSWORD)
            counts = [
                count_queries(app, visitor, f"/courses/{course_id}"),
                count_queries(app, learner, f"/courses/{course_id}"),
                count_queries(app, learner, f"/courses/{course_id}/lessons/{lesson_id}"),
            ]
            assert all(status == 200 for status, _ in counts), counts
            print(f"{lessons:>8}{learners:>10}  " + "".join(f"{n:>16}" for _, n in counts))
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
