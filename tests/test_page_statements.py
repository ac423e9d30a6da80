"""Every page and partial a member opens often sends at most 5 SQL statements (SQLite's BEGIN
counted), and the same number on the demo community and on one grown by thousands of rows.

The pages are opened as a visitor, as the demo member and as the demo creator, on the real
database (SQLite, or PostgreSQL with ``KPAY_TEST_DATABASE_URL``), once to warm caches and once
counted, on the demo and again after ``tests.page_data.grow``.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay import demo, jobs
from kpay.app import create_app
from kpay.extensions import db
from kpay.listing import cursor_after
from kpay.models import Notification, User
from kpay.models.commerce import Order, Product
from kpay.clock import site_now
from plugins.courses.models import Course, Enrolment, Lesson
from plugins.forums import lists
from plugins.forums.models import Circle, Topic
from plugins.gamification.models import Challenge
from plugins.lectures.models import Lecture
from plugins.search import indexer
from tests import page_data
from tests.conftest import TEST_DATABASE_URL, Auth, fresh_postgres_database

LIMIT = 5
SCALE = 300  # the grown community: 3,000 members and topics, 6,000 replies to one topic, ...
ROWS_READ = 400  # what one page's statement may read of a table; far below the grown tables
# Plans PostgreSQL may pick on tables of a few thousand rows that it would not on large ones.
# Turned off, the planner takes an index whenever one answers the filter and order, so the
# test checks that such an index exists instead of guessing the planner's size thresholds.
INDEXLESS_PATHS = ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_hashjoin", "enable_mergejoin")
# Tables that grow with the site's set-up, not with its community: every row may be read.
SMALL_TABLES = {"forums_circles", "products", "courses_courses", "courses_chapters",
                "gamification_challenges",  # challenges are set up by the staff, like circles
                "search_pg_state"}  # one row
# Tables whose indexes are GIN (the PostgreSQL search index): PostgreSQL reads those by bitmap
# scans only, so for their statements bitmap scans stay on (a sequential scan is still caught).
GIN_TABLES = ("search_pg_documents",)
# Daily and monthly rollups that a dashboard sums over its range: what one statement reads is the
# range's days times the items active on them, not the community's size (page_data.grow adds
# none), so it may read more than ROWS_READ rows, by an index range, never a sequential scan.
# bench/analytics.py times them at a million events.
ROLLUP_TABLES = {"analytics_daily", "analytics_monthly"}
HTMX = {"HX-Request": "true"}


def page_urls() -> dict[str, tuple[str, str, dict]]:
    """name -> (who, url, headers) with the ids of the data as it is now."""
    member = db.session.scalar(sa.select(User.id).where(User.email == page_data.MEMBER))
    circle = db.session.scalar(sa.select(Circle.id).where(Circle.visibility == "public").order_by(Circle.id))
    long = db.session.scalar(sa.select(Topic).where(Topic.circle_id == circle).order_by(Topic.post_count.desc(), Topic.id))
    latest = db.session.scalars(sa.select(Topic).where(Topic.circle_id == circle, Topic.status == "visible",
                                                       Topic.pinned.is_(False))
                                .order_by(Topic.bumped_at.desc(), Topic.id.desc())).all()
    deep = lists._cursor("latest", latest[len(latest) * 2 // 3])
    enrolled = sa.select(Course.id).join(Enrolment).where(Enrolment.user_id == member).order_by(Course.id)
    course = db.session.scalar(enrolled.where(Course.product_id.is_not(None)))  # bought
    free = db.session.scalar(enrolled.where(Course.product_id.is_(None)))
    lesson, free_lesson = (db.session.scalar(sa.select(Lesson.id).where(Lesson.course_id == c).order_by(Lesson.position, Lesson.id))
                           for c in (course, free))
    product = db.session.scalar(sa.select(Product.id).where(Product.active.is_(True)).order_by(Product.id))
    challenge = db.session.scalar(sa.select(sa.func.min(Challenge.id)))
    last = max(long.post_count - lists.PAGE_SIZE, 1)
    two_thirds = lambda rows: rows[len(rows) * 2 // 3]  # noqa: E731
    person = two_thirds(db.session.execute(sa.select(User.created_at, User.id).order_by(User.created_at, User.id)).all())
    named = two_thirds(db.session.execute(sa.select(User.display_name, User.id).order_by(User.display_name, User.id)).all())
    order = two_thirds(db.session.scalars(sa.select(Order.id).order_by(Order.id)).all())
    paid = two_thirds(db.session.scalars(sa.select(Order.id).where(Order.status == "paid").order_by(Order.id)).all())
    note = two_thirds(db.session.execute(sa.select(Notification.created_at, Notification.id)
                                         .where(Notification.user_id == member)
                                         .order_by(Notification.created_at, Notification.id)).all())
    mine = db.session.scalars(sa.select(Order.id).where(Order.user_id == member).order_by(Order.id)).all()
    course_row = two_thirds(db.session.scalars(sa.select(Course.id).order_by(Course.id)).all())
    lecture = db.session.scalar(sa.select(Lecture.id).where(Lecture.capacity.is_not(None)).order_by(Lecture.id))
    today = site_now().date()
    year_ago = (today - timedelta(days=364)).isoformat()
    urls = {
        "home": "/", "circle directory": "/forums/",
        "circle list": f"/forums/c/{circle}", "circle list, deep page": f"/forums/c/{circle}?cursor={deep}",
        "circle list, top": f"/forums/c/{circle}?list=top", "circle list, unanswered": f"/forums/c/{circle}?list=unanswered",
        "circle list, featured": f"/forums/c/{circle}?list=featured",
        "circle list, compact": f"/forums/c/{circle}?view=table",
        "topic, first page": f"/forums/t/{long.id}", "topic, last page": f"/forums/t/{long.id}?after={last}",
        "catalogue": "/courses/", "catalogue, deep page": f"/courses/?cursor={cursor_after(course_row)}",
        "course": f"/courses/{course}", "shop": "/shop/", "checkout": f"/shop/{product}",
        "live lectures": "/live/", "past lectures": "/live/past", "lecture month": "/live/month",
        "lecture week": "/live/week", "lecture": f"/live/{lecture}",
        "leaderboard": "/gamification/leaderboard", "check-in challenge": f"/gamification/challenges/{challenge}",
        "search": "/search/?q=data+数据",
    }
    pages = {}
    for name, url in urls.items():
        pages[f"{name}, visitor"] = ("visitor", url, {})
        pages[f"{name}, member"] = ("member", url, {})
    for who in ("visitor", "member"):
        pages[f"active widget, {who}"] = (who, "/forums/widgets/active", HTMX)
        pages[f"for you widget, {who}"] = (who, "/recommendations/for-you", HTMX)
        pages[f"also took widget, {who}"] = (who, f"/recommendations/related/course/{course}", HTMX)
        pages[f"what next widget, {who}"] = (who, f"/recommendations/related/lecture/{lecture}", HTMX)
    pages.update({
        "circle list partial, member": ("member", f"/forums/c/{circle}?cursor={deep}", HTMX),
        "topic posts partial, member": ("member", f"/forums/t/{long.id}?after={last}", HTMX),
        "search results partial, member": ("member", "/search/?q=data+数据", HTMX),
        "lesson, member": ("member", f"/courses/{course}/lessons/{lesson}", {}),
        "free course, member": ("member", f"/courses/{free}", {}),
        "free lesson, member": ("member", f"/courses/{free}/lessons/{free_lesson}", {}),
        "notifications, member": ("member", "/notifications", {}),
        "invitations, member": ("member", "/invite", {}),
        "referral payouts, member": ("member", "/referrals/payouts", {}),
        "notifications partial, member": ("member", "/notifications", HTMX),
        "notifications, deep page, member": ("member", f"/notifications?cursor={cursor_after(*note)}", {}),
        "my purchases, member": ("member", "/account/purchases", {}),
        "my purchases, deep page, member": ("member", f"/account/purchases?cursor={cursor_after(mine[len(mine) // 2])}", {}),
        "admin members, admin": ("admin", "/admin/members", {}),
        "admin members, deep page, admin": ("admin", f"/admin/members?cursor={cursor_after(*person)}", {}),
        "admin members by name, deep page, admin": ("admin", f"/admin/members?sort=name&cursor={cursor_after(*named)}", {}),
        "admin orders, admin": ("admin", "/admin/orders", {}),
        "referrals operator, admin": ("admin", "/referrals/admin", {}),
        "referrals operator, a year, admin": ("admin", "/referrals/admin?days=365", {}),
        "admin orders, deep page, admin": ("admin", f"/admin/orders?cursor={cursor_after(order)}", HTMX),
        "admin paid orders, deep page, admin": ("admin", f"/admin/orders?status=paid&cursor={cursor_after(paid)}", {}),
        "bell count, member": ("member", "/notifications/count", {}),
        "unanswered widget, creator": ("creator", "/forums/widgets/unanswered", HTMX),
        "course studio, creator": ("creator", "/courses/studio/", {}),
        "course editor, creator": ("creator", f"/courses/studio/{course}", {}),
        "studio products, creator": ("creator", "/studio/products", {}),
        "studio coupons, creator": ("creator", "/studio/coupons", {}),
        "next lecture widget, member": ("member", "/live/next", HTMX),
        "lecture questions partial, member": ("member", f"/live/{lecture}/questions", HTMX),
        "lecture as a lesson partial, member": ("member", f"/live/{lecture}/lesson", HTMX),
        "lecture studio, creator": ("creator", "/live/studio/", {}),
        "lecture editor, creator": ("creator", f"/live/studio/{lecture}", {}),
        "lecture attendees, creator": ("creator", f"/live/studio/{lecture}/attendees", {}),
        "my points, member": ("member", "/gamification/me", {}),
        "my level widget, member": ("member", "/gamification/widgets/me", HTMX),
        "circle leaderboard widget, member": ("member", f"/gamification/widgets/circle/{circle}", HTMX),
        "challenge editor, creator": ("creator", f"/gamification/challenges/{challenge}/edit", {}),
        "analytics, creator": ("creator", "/analytics/", {}),
        "analytics widget, creator": ("creator", "/analytics/widget", HTMX),
        "analytics, admin": ("admin", "/analytics/", {}),
        "analytics, a year, admin": ("admin", f"/analytics/?start={year_ago}&end={today}&group=month", {}),
        "analytics partial, admin": ("admin", "/analytics/?group=week", HTMX),
        "analytics content, admin": ("admin", "/analytics/content", {}),
        "analytics widget, admin": ("admin", "/analytics/widget", HTMX),
    })
    return pages


def count(app, clients, pages) -> dict[str, tuple[int, list[tuple[str, object]]]]:
    """name -> (statements, their SQL and parameters) of a second GET of each page (the first
    warms caches)."""
    with app.app_context():
        engine = db.engine
    found = {}
    for name, (who, url, headers) in pages.items():
        client = clients[who]
        assert client.get(url, headers=headers).status_code == 200, (name, url)
        seen: list[tuple[str, object]] = []
        record = lambda conn, cursor, statement, parameters, *args, seen=seen: seen.append((statement, parameters))  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(url, headers=headers).status_code == 200, (name, url)
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        found[name] = (len(seen), seen)
    return found


SEARCH_PAGES = ("search, visitor", "search, member", "search results partial, member")


def count_on_postgres_index(app, clients, pages) -> dict:
    """The search pages' statements again with ``[plugins.search] backend = "postgres"`` (its
    index built from the data as it is now), named "<page> (postgres index)"; none on SQLite."""
    if not TEST_DATABASE_URL:
        return {}
    settings = app.config["KPAY"]["plugins"]["search"]
    settings["backend"] = "postgres"
    app.extensions.pop("search.backend", None)
    try:
        with app.test_request_context("/"):
            indexer.rebuild()
        found = count(app, clients, {name: pages[name] for name in SEARCH_PAGES})
    finally:
        settings["backend"] = "whoosh"
        app.extensions.pop("search.backend", None)
    return {f"{name} (postgres index)": statements for name, statements in found.items()}


@contextlib.contextmanager
def database(tmp_path):
    if TEST_DATABASE_URL:
        with fresh_postgres_database("kpay_pages") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'kpay.db'}"


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    """{"small": {...}, "large": {...}}: the statements of every page on the demo, then grown."""
    folder = tmp_path_factory.mktemp("pages")
    with database(folder) as url:
        # The level badges' copy of the standings is read once per process (not per page) here;
        # level unlocks nobody reaches put the member's points (read once a request) on the paid courses' checks.
        unlocks = [f"course:{n}|9" for n in range(1, 5)]
        app = create_app({"instance_path": str(folder / "instance"), "database_url": url, "redis_url": "",
                          "plugins": {"gamification": {"badge_cache_seconds": 3600, "unlocks": unlocks}}})
        app.config.update(TESTING=True, RATELIMIT_ENABLED=False)
        with app.test_request_context("/"):
            db.create_all()
            demo.build()
            jobs.run_queued_inline()  # as `kpay demo` does: the search index, say
        clients = {who: app.test_client() for who in ("visitor", "member", "creator", "admin")}
        Auth(clients["member"]).login(page_data.MEMBER, demo.DEMO_PASSWORD)
        Auth(clients["creator"]).login(page_data.CREATOR, demo.DEMO_PASSWORD)
        Auth(clients["admin"]).login(page_data.ADMIN, demo.DEMO_PASSWORD)
        result = {}
        with app.app_context():
            pages = page_urls()
        result["small"] = count(app, clients, pages) | count_on_postgres_index(app, clients, pages)
        with app.app_context():
            page_data.grow(SCALE)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
            pages = page_urls()
        result["large"] = count(app, clients, pages) | count_on_postgres_index(app, clients, pages)
        result["explain"] = explainer(app)
        yield result
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


PAGE_NAMES = [
    f"{name}, {who}" for name in (
        "home", "circle directory", "active widget", "for you widget", "also took widget", "circle list", "circle list, deep page",
        "circle list, top", "circle list, unanswered", "circle list, featured", "circle list, compact", "topic, first page",
        "topic, last page", "catalogue", "catalogue, deep page", "course", "shop", "checkout", "live lectures",
        "past lectures", "lecture month", "lecture week", "lecture", "leaderboard", "check-in challenge", "search")
    for who in ("visitor", "member")
] + ["circle list partial, member", "topic posts partial, member", "search results partial, member", "lesson, member",
     "free course, member", "free lesson, member", "notifications, member", "notifications, deep page, member",
     "my purchases, member", "my purchases, deep page, member", "admin members, admin", "admin members, deep page, admin",
     "admin members by name, deep page, admin", "admin orders, admin", "admin orders, deep page, admin",
     "admin paid orders, deep page, admin",
     "notifications partial, member", "bell count, member", "unanswered widget, creator", "course studio, creator",
     "course editor, creator", "studio products, creator", "studio coupons, creator", "next lecture widget, member",
     "lecture questions partial, member", "lecture as a lesson partial, member", "lecture studio, creator", "lecture editor, creator",
     "lecture attendees, creator", "my points, member", "my level widget, member", "circle leaderboard widget, member",
     "challenge editor, creator", "analytics, creator", "analytics widget, creator", "analytics, admin",
     "analytics, a year, admin", "analytics partial, admin", "analytics content, admin", "analytics widget, admin",
     "invitations, member", "referral payouts, member", "referrals operator, admin",
     "referrals operator, a year, admin"
] + ([f"{name} (postgres index)" for name in SEARCH_PAGES] if TEST_DATABASE_URL else [])


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_page_sends_at_most_five_statements_at_any_size(counts, page):
    small, _ = counts["small"][page]
    large, large_sql = counts["large"][page]
    listing = "\n".join(sql for sql, _ in large_sql)
    assert large <= LIMIT, f"{page}: {large} statements on grown data:\n{listing}"
    assert large == small, f"{page}: {small} statements on the demo, {large} when grown:\n{listing}"


def explainer(app):
    """A function that runs ``EXPLAIN (ANALYZE, FORMAT JSON)`` of a statement on PostgreSQL."""
    def explain(statement: str, parameters) -> dict:
        with app.app_context():
            connection = db.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("SET jit = off")
                gin = any(table in statement for table in GIN_TABLES)
                for path in INDEXLESS_PATHS:  # any of them left in a plan has no index to use
                    if not (gin and path == "enable_bitmapscan"):
                        cursor.execute(f"SET {path} = off")
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
                return cursor.fetchone()[0][0]["Plan"]
            finally:
                connection.rollback()
                connection.close()
    return explain


def rows_read(plan: dict) -> list[tuple[str, str, int]]:
    """(node type, table, rows the node read) for every node of the plan that reads a table."""
    found = []
    if "Relation Name" in plan:
        loops = plan.get("Actual Loops", 1)
        read = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
                + plan.get("Rows Removed by Index Recheck", 0)) * loops
        found.append((plan["Node Type"], plan["Relation Name"], read))
    for child in plan.get("Plans", ()):
        found.extend(rows_read(child))
    return found


@pytest.mark.postgres
@pytest.mark.parametrize("page", PAGE_NAMES)
def test_page_reads_an_index_range_not_a_growing_table(counts, page):
    """On PostgreSQL, with the tables grown and analysed, no statement of the page scans a
    table sequentially or reads more than ``ROWS_READ`` rows of one."""
    problems = []
    for statement, parameters in counts["large"][page][1]:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        for node, table, read in rows_read(counts["explain"](statement, parameters)):
            if table not in SMALL_TABLES and (node == "Seq Scan" or (read > ROWS_READ and table not in ROLLUP_TABLES)):
                problems.append(f"{node} on {table} read {read} rows in:\n{statement}")
    assert not problems, f"{page}:\n" + "\n\n".join(problems)
