"""RSVP stories: going, the waiting list, promotion, paid seats, double clicks, refusals."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import Notification
from kpay.testing import csrf_token
from plugins.lectures.models import Lecture, Rsvp
from plugins.lectures.tests.conftest import count, lecture_row, logged_in, make_lecture, move
from tests.commerce_helpers import add_product, buy


def answer(client, lecture_id: int, what: str, **headers):
    page = client.get(f"/live/{lecture_id}")
    return client.post(f"/live/{lecture_id}/rsvp", data={"csrf_token": csrf_token(page), "answer": what},
                       headers=headers)


def test_second_member_waits_and_is_promoted_and_told_when_the_first_cancels(app, make_user):
    creator, first, second = make_user(role="creator"), make_user(), make_user()
    lecture_id = make_lecture(app, creator.id, capacity=1)
    one, two = logged_in(app, first), logged_in(app, second)
    assert answer(one, lecture_id, "going").status_code == 302
    assert "You are going." in one.get(f"/live/{lecture_id}").get_data(as_text=True)
    answer(two, lecture_id, "going")
    assert "You are on the waiting list." in two.get(f"/live/{lecture_id}").get_data(as_text=True)
    assert lecture_row(app, lecture_id).going_count == 1

    answer(one, lecture_id, "not_going")
    assert "You are going." in two.get(f"/live/{lecture_id}").get_data(as_text=True)
    assert lecture_row(app, lecture_id).going_count == 1
    assert count(app, Notification, user_id=second.id, kind="lectures.changes") == 1


def test_double_click_and_two_tabs_take_one_seat(app, make_user):
    creator, member, other = make_user(role="creator"), make_user(), make_user()
    lecture_id = make_lecture(app, creator.id, capacity=2)
    client = logged_in(app, member)
    for _ in range(3):
        answer(client, lecture_id, "going", **{"HX-Request": "true"})
    assert lecture_row(app, lecture_id).going_count == 1
    assert count(app, Rsvp, lecture_id=lecture_id) == 1
    answer(logged_in(app, other), lecture_id, "going")
    assert lecture_row(app, lecture_id).going_count == 2


def test_leaving_without_a_waiting_list_frees_the_seat(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    lecture_id = make_lecture(app, creator.id, capacity=1)
    client = logged_in(app, member)
    answer(client, lecture_id, "going")
    answer(client, lecture_id, "not_going")
    answer(client, lecture_id, "not_going")
    assert lecture_row(app, lecture_id).going_count == 0
    answer(client, lecture_id, "going")
    assert lecture_row(app, lecture_id).going_count == 1


def test_paid_lecture_needs_a_purchase_then_the_buyer_takes_a_seat(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    product_id = add_product(app, creator.id, name="Live class")
    lecture_id = make_lecture(app, creator.id, product_id=product_id)
    client = logged_in(app, member)
    page = client.get(f"/live/{lecture_id}").get_data(as_text=True)
    assert "Buy a seat" in page and f"/shop/{product_id}" in page
    refused = answer(client, lecture_id, "going")
    assert refused.status_code == 403 and count(app, Rsvp) == 0
    buy(client, product_id)
    answer(client, lecture_id, "going")
    assert lecture_row(app, lecture_id).going_count == 1


def test_rsvp_to_a_cancelled_or_past_lecture_is_refused_and_writes_nothing(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    cancelled, past = make_lecture(app, creator.id), make_lecture(app, creator.id)
    with app.app_context():
        db.session.execute(sa.update(Lecture).where(Lecture.id == cancelled).values(status="cancelled"))
        db.session.commit()
    move(app, past, -2)
    client = logged_in(app, member)
    token = csrf_token(client.get("/live/"))
    for lecture_id in (cancelled, past):
        response = client.post(f"/live/{lecture_id}/rsvp", data={"csrf_token": token, "answer": "going"})
        assert response.status_code == 409
    assert count(app, Rsvp) == 0


def test_creator_exports_attendees_and_waiting_list_as_csv(app, make_user):
    creator, first, second = make_user(role="creator"), make_user(name="=cmd"), make_user(name="Bea")
    lecture_id = make_lecture(app, creator.id, capacity=1)
    answer(logged_in(app, first), lecture_id, "going")
    answer(logged_in(app, second), lecture_id, "going")
    owner = logged_in(app, creator)
    page = owner.get(f"/live/studio/{lecture_id}/attendees").get_data(as_text=True)
    assert page.index("=cmd") < page.index("Bea") and "Waiting list" in page
    csv = owner.get(f"/live/studio/{lecture_id}/attendees.csv").get_data(as_text=True)
    lines = csv.strip().splitlines()
    assert lines[0] == "name,email,status,since,attended"
    assert lines[1].startswith("'=cmd,") and ",going," in lines[1]
    assert lines[2].startswith("Bea,") and ",waiting," in lines[2]
    assert logged_in(app, first).get(f"/live/studio/{lecture_id}/attendees.csv").status_code in (403, 404)


def test_more_seats_move_the_waiting_list_up_in_order(app, make_user):
    creator = make_user(role="creator")
    people = [make_user() for _ in range(4)]
    lecture_id = make_lecture(app, creator.id, capacity=1)
    for person in people:
        answer(logged_in(app, person), lecture_id, "going")
    owner = logged_in(app, creator)
    url = f"/live/studio/{lecture_id}"
    page = owner.get(url)
    starts = lecture_row(app, lecture_id).local_start
    owner.post(url, data={"csrf_token": csrf_token(page), "title": "Lecture", "starts": f"{starts:%Y-%m-%dT%H:%M}",
                          "zone": "Asia/Shanghai", "minutes": "60", "capacity": "3", "provider": "url",
                          "product_id": "", "membership_product_id": ""})
    with app.app_context():
        going = db.session.scalars(sa.select(Rsvp.user_id).filter_by(lecture_id=lecture_id, status="going")
                                   .order_by(Rsvp.user_id)).all()
    assert going == [p.id for p in people[:3]] and lecture_row(app, lecture_id).going_count == 3
    assert count(app, Notification, user_id=people[3].id) == 0
