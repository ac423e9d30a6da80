"""A member's story with courses: find one, preview it, buy it, learn, get notices and a
certificate, and review it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import ActivityEvent, Notification, User
from kpay.models.base import utcnow
from plugins.courses.models import Completion, Course, Enrolment, Lesson, Review
from plugins.courses.tests.conftest import count, logged_in, make_course
from tests.commerce_helpers import buy
from tests.conftest import csrf_token


def post(client, url, page_url, **data):
    """POST ``data`` to ``url`` with the CSRF token of ``page_url``."""
    return client.post(url, data={"csrf_token": csrf_token(client.get(page_url)), **data})


def complete(client, course, lesson_id):
    return post(client, f"/courses/{course.id}/lessons/{lesson_id}/complete",
                f"/courses/{course.id}/lessons/{lesson_id}")


def notices(app, user) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user.id)
                                  .order_by(Notification.id)).all()


def events(app, name) -> int:
    return count(app, ActivityEvent, name=name)


def test_catalogue_shows_published_courses_with_price_and_filters(app, make_user):
    creator = make_user(role="creator", name="Teacher Chen")
    make_course(app, creator.id, title="Data basics", tags="data,python", level="beginner", price_minor=9900)
    make_course(app, creator.id, title="Free habits", price_minor=None, level="advanced")
    make_course(app, creator.id, title="Hidden draft", status="draft")
    make_course(app, creator.id, title="Coming soon", publish_at=utcnow() + timedelta(days=1))
    client = app.test_client()
    text = client.get("/courses/").get_data(as_text=True)
    assert "Data basics" in text and "¥99.00" in text and "Free habits" in text and "Teacher Chen" in text
    assert "Hidden draft" not in text and "Coming soon" not in text
    free_only = client.get("/courses/?price=free").get_data(as_text=True)
    assert "Free habits" in free_only and "Data basics" not in free_only
    assert "Free habits" not in client.get("/courses/?tag=python").get_data(as_text=True)
    assert "Data basics" not in client.get("/courses/?level=advanced").get_data(as_text=True)
    partial = client.get("/courses/?sort=popular", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.startswith('<div id="course-cards">') and "Data basics" in partial


def test_visitor_previews_free_lesson_then_buys_with_the_sandbox_and_is_enrolled(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, title="Data basics")
    client = logged_in(app, member)
    preview = client.get(f"/courses/{course.id}/lessons/{course.lessons[0]}")
    assert preview.status_code == 200 and "Body of Lesson 1" in preview.get_data(as_text=True)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert f'href="/shop/{course.product_id}"' in page
    buy(client, course.product_id)
    assert count(app, Enrolment, course_id=course.id, user_id=member.id) == 1
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "Your progress: 0%" in page and "Continue where you left off: Lesson 1" in page
    assert events(app, "course.enrolled") == 1
    with app.app_context():
        assert db.session.get(Course, course.id).learner_count == 1


def test_free_course_enrols_at_once_and_twice_is_once(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, price_minor=None, media=False)
    client = logged_in(app, member)
    for _ in range(2):
        response = post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
        assert response.status_code == 302
    assert count(app, Enrolment, course_id=course.id) == 1
    with app.app_context():
        assert db.session.get(Course, course.id).learner_count == 1


def test_enrol_in_a_paid_course_without_buying_goes_to_its_checkout(app, make_user):
    course = make_course(app, make_user(role="creator").id)
    client = logged_in(app, make_user())
    response = post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    assert response.headers["Location"] == f"/shop/{course.product_id}"
    assert count(app, Enrolment) == 0


def test_progress_milestones_are_sent_once_and_finishing_gives_a_certificate(app, make_user):
    creator, member = make_user(role="creator", name="Teacher Chen"), make_user(name="Mei")
    course = make_course(app, creator.id, lessons=10, media=False, title="Data basics")
    client = logged_in(app, member)
    buy(client, course.product_id)
    for lesson_id in course.lessons[:3]:
        complete(client, course, lesson_id)
    complete(client, course, course.lessons[2])  # again: nothing changes
    assert notices(app, member).count("Congratulations, you have completed 30% of the course!") == 1
    assert count(app, Completion, user_id=member.id) == 3
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "Your progress: 30%" in page and "Continue where you left off: Lesson 4" in page
    for lesson_id in course.lessons[3:]:
        complete(client, course, lesson_id)
    texts = notices(app, member)
    assert [t for t in texts if t.startswith("Congratulations")] == [
        f"Congratulations, you have completed {n}% of the course!" for n in (30, 50, 100)]
    assert events(app, "lesson.completed") == 10 and events(app, "course.completed") == 1
    with app.app_context():  # what analytics names the course by, and shows its creator
        said = db.session.scalars(sa.select(ActivityEvent.data).filter_by(name="lesson.completed")).first()
    assert (said["course_title"], said["course_owner_id"], said["lessons"]) == ("Data basics", creator.id, 10)
    with app.app_context():
        code = db.session.scalar(sa.select(Enrolment.certificate_code).filter_by(user_id=member.id))
    assert code
    certificate = app.test_client().get(f"/courses/certificates/{code}").get_data(as_text=True)
    assert "Mei" in certificate and "Data basics" in certificate and "Teacher Chen" in certificate and code in certificate
    assert app.test_client().get("/courses/certificates/NOTACODE").status_code == 404


def test_milestone_notice_is_in_the_members_language(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    with app.app_context():
        db.session.get(User, member.id).locale = "zh_CN"
        db.session.commit()
    course = make_course(app, creator.id, lessons=3, media=False, preview=0, price_minor=None)
    client = logged_in(app, member)
    complete(client, course, course.lessons[0])
    assert "恭喜您，已经完成了30%的课程学习！" in notices(app, member)


def test_course_without_certificates_gives_none(app, make_user):
    course = make_course(app, make_user(role="creator").id, lessons=1, preview=0, media=False, price_minor=None,
                         certificates=False)
    member = make_user()
    complete(logged_in(app, member), course, course.lessons[0])
    with app.app_context():
        enrolment = db.session.scalar(sa.select(Enrolment).filter_by(user_id=member.id))
        assert enrolment.percent == 100 and enrolment.completed_at and enrolment.certificate_code is None


def test_outsider_cannot_mark_a_paid_lesson_complete(app, make_user):
    course = make_course(app, make_user(role="creator").id)
    client = logged_in(app, make_user())
    assert complete(client, course, course.lessons[1]).status_code == 403
    assert count(app, Completion) == 0


def test_video_marks_itself_complete_through_the_htmx_partial(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, price_minor=None)
    client = logged_in(app, member)
    video = course.lessons[-3]
    page = client.get(f"/courses/{course.id}/lessons/{video}")
    assert f'data-complete-form="complete-{video}"' in page.get_data(as_text=True)
    response = client.post(f"/courses/{course.id}/lessons/{video}/complete",
                           headers={"HX-Request": "true", "X-CSRFToken": csrf_token(page)})
    assert response.get_data(as_text=True).lstrip().startswith('<div class="lesson-complete" id="lesson-complete">')
    assert "Completed" in response.get_data(as_text=True)


def test_scheduled_lesson_shows_when_it_opens_and_members_are_told_once(app, make_user):
    from plugins.courses.drip import announce_opened_lessons

    creator, member = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, price_minor=None, media=False, lessons=3, preview=0)
    later = utcnow() + timedelta(days=2)
    with app.app_context():
        lesson = db.session.get(Lesson, course.lessons[2])
        lesson.opens_at = later
        db.session.commit()
    client = logged_in(app, member)
    post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    locked = client.get(f"/courses/{course.id}/lessons/{course.lessons[2]}")
    assert locked.status_code == 403 and "This lesson opens" in locked.get_data(as_text=True)
    with app.test_request_context():
        assert announce_opened_lessons() == 0
        assert announce_opened_lessons(now=later + timedelta(minutes=5)) == 1
        db.session.commit()
        assert announce_opened_lessons(now=later + timedelta(minutes=15)) == 0
    assert notices(app, member) == ["A new lesson is open: Lesson 3"]


def test_lesson_opening_days_after_enrolment(app, make_user):
    from plugins.courses.drip import announce_opened_lessons

    creator, member = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, price_minor=None, media=False, lessons=2, preview=0)
    with app.app_context():
        db.session.get(Lesson, course.lessons[1]).opens_after_days = 7
        db.session.commit()
    visitor = app.test_client().get(f"/courses/{course.id}/lessons/{course.lessons[1]}")
    assert visitor.status_code == 403 and "7 days after you enrol" in visitor.get_data(as_text=True)
    client = logged_in(app, member)
    post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    assert client.get(f"/courses/{course.id}/lessons/{course.lessons[1]}").status_code == 403
    with app.app_context():
        enrolment = db.session.scalar(sa.select(Enrolment).filter_by(user_id=member.id))
        enrolment.enrolled_at = utcnow() - timedelta(days=7, minutes=1)
        db.session.commit()
    assert client.get(f"/courses/{course.id}/lessons/{course.lessons[1]}").status_code == 200
    with app.test_request_context():
        assert announce_opened_lessons() == 1
        db.session.commit()
        assert announce_opened_lessons() == 0


def test_review_needs_a_rating_is_one_per_member_and_editable(app, make_user):
    creator, member, stranger = make_user(role="creator"), make_user(), make_user()
    course = make_course(app, creator.id, price_minor=None, media=False)
    client = logged_in(app, member)
    page = f"/courses/{course.id}"
    assert post(logged_in(app, stranger), f"/courses/{course.id}/reviews", page, rating="5").status_code == 403
    post(client, f"/courses/{course.id}/enrol", page)
    missing = post(client, f"/courses/{course.id}/reviews", page, text="Nice")
    assert missing.status_code == 422 and "Choose a rating from 1 to 5 stars." in missing.get_data(as_text=True)
    assert post(client, f"/courses/{course.id}/reviews", page, rating="4", text="Clear").status_code == 302
    second = post(client, f"/courses/{course.id}/reviews", page, rating="1")
    assert second.status_code == 422 and "You have already reviewed this course" in second.get_data(as_text=True)
    post(client, f"/courses/{course.id}/reviews/mine", page, rating="2", text="Changed my mind")
    with app.app_context():
        item = db.session.get(Course, course.id)
        assert (item.rating_count, item.rating_sum) == (1, 2)
        assert db.session.scalar(sa.select(Review.text)) == "Changed my mind"
    text = app.test_client().get(page).get_data(as_text=True)
    assert "Changed my mind" in text and "Learner" in text and "0% completed" in text
    assert "Verified purchase" not in text  # a free course: nothing was bought
    assert text.count("1 review") == 2 and "1 reviews" not in text
    assert events(app, "review.created") == 1


def test_members_mark_reviews_helpful_once_and_the_creator_replies(app, make_user):
    creator, author, reader = make_user(role="creator"), make_user(), make_user()
    course = make_course(app, creator.id, price_minor=None, media=False)
    page = f"/courses/{course.id}"
    client = logged_in(app, author)
    post(client, f"/courses/{course.id}/enrol", page)
    post(client, f"/courses/{course.id}/reviews", page, rating="5")
    with app.app_context():
        review_id = db.session.scalar(sa.select(Review.id))
    reader_client = logged_in(app, reader)
    for _ in range(2):
        post(reader_client, f"/courses/reviews/{review_id}/helpful", page)
    post(client, f"/courses/reviews/{review_id}/helpful", page)  # one's own: not counted
    assert post(reader_client, f"/courses/reviews/{review_id}/reply", page, reply="Hi").status_code == 403
    post(logged_in(app, creator), f"/courses/reviews/{review_id}/reply", page, reply="Thank you, **friend**")
    text = app.test_client().get(page).get_data(as_text=True)
    assert "1 member found this helpful" in text and "<strong>friend</strong>" in text


def test_continue_learning_widget_in_my_learning_on_home(app, make_user):
    member = make_user()
    course = make_course(app, make_user(role="creator").id, price_minor=None, media=False, title="Habits")
    client = logged_in(app, member)
    post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    home = client.get("/").get_data(as_text=True)
    assert "/courses/continue" in home
    widget = client.get("/courses/continue", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Habits" in widget and "0%" in widget


def test_a_free_preview_cannot_be_completed_into_an_enrolment_without_buying(app, make_user):
    course = make_course(app, make_user(role="creator").id, media=False)
    client = logged_in(app, make_user())
    page = client.get(f"/courses/{course.id}/lessons/{course.lessons[0]}").get_data(as_text=True)
    assert page and "Mark as complete" not in page
    assert complete(client, course, course.lessons[0]).status_code == 403
    assert count(app, Enrolment) == 0


def test_a_new_course_shows_no_zero_learners_nor_rating_in_cards_and_shared_links(app, make_user):
    creator = make_user(role="creator", name="Teacher Chen")
    fresh = make_course(app, creator.id, title="Brand new", subtitle="Fresh start", learner_count=0)
    known = make_course(app, creator.id, title="Well liked", learner_count=1, rating_sum=9, rating_count=2)
    client = app.test_client()
    catalogue = client.get("/courses/").get_data(as_text=True)
    assert "0 learners" not in catalogue and "1 learner" in catalogue and "★ 4.5 (2)" in catalogue
    # Each card names its creator beside their initials avatar, under a cover of the course's initials.
    assert 'class="avatar avatar-small' in catalogue and ">TC</span>" in catalogue and "<span>BN</span>" in catalogue
    page = client.get(f"/courses/{fresh.id}").get_data(as_text=True)
    # The share card (kpay/sharing.py) adds the price, the cover and the canonical address.
    assert '<meta property="og:description" content="Fresh start · CN¥99.00">' in page and "learners" not in page
    assert f'<link rel="canonical" href="http://localhost/courses/{fresh.id}">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    shared = client.get(f"/courses/{known.id}").get_data(as_text=True)
    assert '<meta property="og:description" content="★ 4.5 (2) · 1 learner · CN¥99.00">' in shared


def test_only_current_learners_and_unrefunded_buyers_review_and_the_badge_says_which(app, make_user):
    """A refunded buyer keeps the enrolment row, but may no longer post or edit a review."""
    from kpay.commerce import orders
    from kpay.models.commerce import Order

    creator, buyer, refunded = make_user(role="creator"), make_user(name="Bea"), make_user(name="Ray")
    course = make_course(app, creator.id, media=False)
    page = f"/courses/{course.id}"
    clients = {}
    for person in (buyer, refunded):
        clients[person.id] = logged_in(app, person)
        buy(clients[person.id], course.product_id)
        assert post(clients[person.id], f"/courses/{course.id}/reviews", page, rating="5").status_code == 302
    with app.test_request_context("/", method="POST"):
        order = db.session.scalar(sa.select(Order).where(Order.user_id == refunded.id))
        orders.refund(order, order.amount_minor, "test-refund", None)
        db.session.commit()
    assert post(clients[refunded.id], f"/courses/{course.id}/reviews/mine", page, rating="1").status_code == 403
    assert post(clients[buyer.id], f"/courses/{course.id}/reviews/mine", page, rating="4").status_code == 302
    text = app.test_client().get(page).get_data(as_text=True)
    bea, ray = text.index("Bea"), text.index("Ray")
    assert "Verified purchase" in text[bea:bea + 200] and "Verified purchase" not in text[ray:ray + 200]
