"""What members and visitors see in the widgets. On the demo community: the learner's paid next
course with its price and why, popular items for a visitor, a shop product's card (hidden from
the member who holds it), the lazy widgets on course, topic and lecture pages, "not interested", "forget", the impression and click beacons. On the
stand-in ``Shelf``: an item that leaves, that became paid or that only buyers may see, the
hidden empty widget, and no paid text for anyone without access."""

from __future__ import annotations

import re

import sqlalchemy as sa

from kpay.api import ActivityEvent, Product, User, checkout, db, grant_entitlement, mark_paid
from kpay.cli import cli
from kpay.testing import PASSWORD, assert_outsiders_see_nothing, csrf_token
from plugins.recommendations.member_data import erase, export
from plugins.recommendations.models import Dismissal, Taken
from plugins.recommendations.tests.conftest import (
    CANARY, DEMO, HTMX, id_of, key_of, keys_of, logged_in, refresh,
)

LEARNER = "learner@example.com"  # the demo member who finished Data Analysis Basics
PRODUCT_CANARY = "CANARY-PRODUCT-DESCRIPTION"


def events(app, name: str) -> list[ActivityEvent]:
    with app.app_context():
        return db.session.scalars(sa.select(ActivityEvent).where(ActivityEvent.name == name)).all()


# -- the demo community ---------------------------------------------------------------------


def test_learner_who_finished_a_data_course_sees_the_paid_one_with_price_and_why(demo):
    page = logged_in(demo, LEARNER).get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Data Visualisation" in page and "149.00" in page
    assert "Because you finished 数据分析入门 · Data Analysis Basics" in page
    assert "Data Analysis Basics</a>" not in page  # finished: hidden


def test_visitor_sees_popular_items_and_a_link_without_javascript(demo):
    home = demo.test_client().get("/").get_data(as_text=True)
    assert 'hx-get="/recommendations/for-you"' in home and 'hx-trigger="revealed"' in home
    page = demo.test_client().get("/recommendations/for-you").get_data(as_text=True)
    assert "<h1>Popular now</h1>" in page and page.count('class="recs-item"') == 4
    assert "Not interested" not in page


def test_course_page_shows_members_also_took_lazily(demo):
    basics = id_of(demo, "Data Analysis Basics")
    course_page = demo.test_client().get(f"/courses/{basics}").get_data(as_text=True)
    assert f'hx-get="/recommendations/related/course/{basics}"' in course_page
    part = demo.test_client().get(f"/recommendations/related/course/{basics}", headers=HTMX).get_data(as_text=True)
    assert "Data Visualisation" in part and "Also about 数据" in part


def test_topic_page_shows_topics_taken_part_in_together(demo):
    welcome = id_of(demo, "Introduce yourself")
    topic_page = demo.test_client().get(f"/forums/t/{welcome}").get_data(as_text=True)
    assert f'hx-get="/recommendations/related/topic/{welcome}"' in topic_page
    part = demo.test_client().get(f"/recommendations/related/topic/{welcome}", headers=HTMX).get_data(as_text=True)
    assert part.index("How do I write a good PRD?") < part.index("Which prototyping tool")
    assert "Often taken together with this" in part


def test_lecture_page_shows_what_to_join_next(demo):
    weeks = sorted(int(key.partition(":")[2]) for key in keys_of(demo, "Weekly Coding Q&A"))
    lecture_page = demo.test_client().get(f"/live/{weeks[0]}").get_data(as_text=True)
    assert f'hx-get="/recommendations/related/lecture/{weeks[0]}"' in lecture_page
    part = demo.test_client().get(f"/recommendations/related/lecture/{weeks[0]}", headers=HTMX).get_data(as_text=True)
    assert part.count("Weekly Coding Q&amp;A") == 3 and "From the same series" in part
    assert part.index(f'href="/live/{weeks[1]}"') < part.index(f'href="/live/{weeks[2]}"')  # the sooner first
    assert part.count("<time datetime=") == 4  # each card says when
    assert f"/live/{weeks[0]}\"" not in part  # never the lecture itself
    assert "Live Writing Class" in part and "29.00" in part  # the paid one, with its price


def test_lectures_a_member_signed_up_for_leave_their_lists(demo):
    client = logged_in(demo, LEARNER)  # has a seat at the Live Writing Class
    writing = id_of(demo, "Live Writing Class")
    part = client.get(f"/recommendations/related/lecture/{id_of(demo, 'Reading Notes')}", headers=HTMX)
    assert f"/live/{writing}\"" not in part.get_data(as_text=True)
    assert f"/live/{writing}\"" in demo.test_client().get(
        f"/recommendations/related/lecture/{id_of(demo, 'Reading Notes')}", headers=HTMX).get_data(as_text=True)


def test_shop_products_show_their_public_card_and_a_courses_own_product_is_the_course(demo):
    python = id_of(demo, "Python for Beginners")  # sold on its own in the shop
    for client in (demo.test_client(), logged_in(demo, LEARNER)):
        part = client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
        assert f'href="/shop/{python}"' in part and "Python for Beginners" in part and "199.00" in part
    for title in ("Data Analysis Basics", "Live Writing Class", "Teacher Chen"):  # never a second card
        assert not key_of(demo, title).startswith("product:")


def test_a_member_holding_a_product_is_not_offered_it(demo):
    python = id_of(demo, "Python for Beginners")
    bought = logged_in(demo, "member@example.com").get("/recommendations/for-you", headers=HTMX)
    assert "recs-item" in bought.get_data(as_text=True) and f"/shop/{python}" not in bought.get_data(as_text=True)
    client = logged_in(demo, LEARNER)
    assert f"/shop/{python}" in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    with demo.app_context():  # held from now on, before the next refresh knows it
        learner = db.session.scalar(sa.select(User).where(User.email == LEARNER))
        grant_entitlement(learner.id, db.session.get(Product, python), "test")
        db.session.commit()
    assert f"/shop/{python}" not in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)


def test_not_interested_is_honoured_once_and_needs_csrf(demo):
    client = logged_in(demo, LEARNER)
    page = client.get("/recommendations/for-you")
    url = f"/recommendations/dismiss/home/{key_of(demo, 'Data Visualisation')}"
    assert client.post(url, data={}).status_code == 400
    for _ in range(2):  # a double click changes nothing more
        response = client.post(url, data={"csrf_token": csrf_token(page)}, headers=HTMX)
        assert response.status_code == 200 and response.get_data() == b""
    assert "Data Visualisation" not in client.get("/recommendations/for-you").get_data(as_text=True)
    refresh(demo)
    assert "Data Visualisation" not in client.get("/recommendations/for-you").get_data(as_text=True)


def test_my_learning_offers_courses_to_continue_with(demo):
    assert demo.test_client().get("/recommendations/next").status_code == 302  # to log in
    part = logged_in(demo, LEARNER).get("/recommendations/next", headers=HTMX).get_data(as_text=True)
    assert "Continue with" in part and "Data Visualisation" in part and "/forums/" not in part


def test_opening_the_widgets_records_nothing_and_the_beacons_record_impression_and_click(demo):
    client = logged_in(demo, LEARNER)
    page = client.get("/")
    visualisation = key_of(demo, "Data Visualisation")
    writes: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement[:60])

    with demo.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for url in ("/recommendations/for-you", "/recommendations/next",
                    f"/recommendations/related/{visualisation.replace(':', '/')}"):
            assert "recs-item" in client.get(url, headers=HTMX).get_data(as_text=True)
            client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert writes == [] and events(demo, "recs.shown") == []
    part = client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    beacon = re.search(r'hx-post="(/recommendations/shown/[^"]+)" hx-trigger="load"', part).group(1)
    assert client.post(beacon).status_code == 400  # no CSRF header
    headers = {**HTMX, "X-CSRFToken": csrf_token(page)}
    assert client.post(beacon, headers=headers).status_code == 204
    assert client.post(beacon[:-2] + "xx", headers=headers).status_code == 404  # a forged impression
    shown = events(demo, "recs.shown")
    assert len(shown) == 1 and shown[0].user_id is None and shown[0].data["widget"] == "home"
    assert visualisation in shown[0].data["keys"]
    # The title is a plain link to the item; with htmx it posts the click first.
    position = shown[0].data["keys"].index(visualisation) + 1
    go = f"/recommendations/go/home/{position}/{visualisation}"
    assert f'href="/courses/{visualisation[7:]}" hx-post="{go}"' in part
    assert client.get(go).status_code == 405
    response = client.post(go, headers=headers)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/courses/{visualisation[7:]}"
    clicked = events(demo, "recs.clicked")
    assert [(e.user_id, e.data) for e in clicked] == [(None, {"widget": "home", "key": visualisation,
                                                             "position": position})]
    assert client.post("/recommendations/go/home/1/course:999", headers=headers).status_code == 404
    figures = demo.test_cli_runner().invoke(cli, ["recs", "ctr"]).output
    assert f"| home | {len(shown[0].data['keys'])} | 1 | " in figures


def test_export_and_erase_clear_the_members_data(demo):
    client = logged_in(demo, LEARNER)
    writing = key_of(demo, "Writing That Sells")
    client.post(f"/recommendations/dismiss/home/{writing}", data={"csrf_token": csrf_token(client.get("/"))})
    with demo.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == LEARNER))
        data = export(user)
        assert data["not_interested"][0]["item"] == writing
        assert key_of(demo, "Data Analysis Basics") in data["taken"]
        erase(user)
        db.session.commit()
        assert export(user) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dismissal)) == 0
        assert db.session.get(Taken, user.id) is None


def test_member_can_make_recommendations_forget_what_they_did(demo):
    client = logged_in(demo, LEARNER)
    page = client.get("/recommendations/for-you")
    assert "Because you finished" in page.get_data(as_text=True)
    assert client.post("/recommendations/forget", data={}).status_code == 400
    response = client.post("/recommendations/forget", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "forgotten what you did" in response.get_data(as_text=True)
    refresh(demo)
    after = client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Because you finished" not in after and "Data Analysis Basics</a>" not in after


# -- the stand-in shelf ---------------------------------------------------------------------


def paid_product(app, make_user, price_minor: int = 990) -> int:
    creator = make_user("creator", name="Teacher")
    with app.app_context():
        product = Product(creator_id=creator.id, name="Paid", price_minor=price_minor, currency="CNY")
        db.session.add(product)
        db.session.commit()
        return product.id


def test_nothing_to_show_hides_the_widget(app, shelf):
    shelf.offer(1, "Alone")
    refresh(app)
    for url in ("/recommendations/related/course/1", "/recommendations/related/course/999"):
        part = app.test_client().get(url, headers=HTMX).get_data(as_text=True)
        assert part.strip() == '<div id="recs-course" hidden></div>'


def test_an_item_no_longer_offered_leaves_the_lists_at_the_next_run(app, shelf, make_user):
    shelf.offer(1, "Data Analysis Basics")
    shelf.offer(2, "Data Visualisation")
    shelf.took(make_user().id, "course:2")
    refresh(app)
    assert "Data Visualisation" in app.test_client().get("/recommendations/for-you").get_data(as_text=True)
    del shelf.items["course:2"]  # unpublished, deleted or hidden by its owner
    refresh(app)
    assert "Data Visualisation" not in app.test_client().get("/recommendations/for-you").get_data(as_text=True)


def test_an_item_that_became_paid_shows_its_price_and_no_paid_text(app, shelf, make_user):
    shelf.offer(1, "Data Analysis Basics", tags=("data",))
    shelf.offer(2, "Data Visualisation", tags=("data",))
    refresh(app)
    shelf.offer(2, "Data Visualisation", tags=("data",), product_id=paid_product(app, make_user, 2900),
                price_minor=2900, currency="CNY", summary="Charts at a glance")
    refresh(app)
    part = app.test_client().get("/recommendations/related/course/1", headers=HTMX).get_data(as_text=True)
    assert "Data Visualisation" in part and "29.00" in part and "Charts at a glance" in part


def test_no_paid_item_reaches_outsiders_and_a_buyer_sees_it(app, shelf, make_user):
    product = paid_product(app, make_user)
    author, reader = make_user(name="Author"), make_user(name="Reader")
    with app.test_request_context():  # a product of its own: its card is its name and price, never more
        book = Product(creator_id=author.id, name="Shop book", price_minor=4200, currency="CNY",
                       description=PRODUCT_CANARY)
        db.session.add(book)
        db.session.flush()
        order = checkout(db.session.get(User, reader.id), book, "demo", "book-nonce")
        mark_paid(order.id, "demo", "demo:book", order.amount_minor, order.currency)  # a paid order: popular
        db.session.commit()
        book_id = book.id
    shelf.offer(1, "Open topic", kind="topic", tags=("sql",))
    shelf.offer(2, CANARY, kind="topic", audience="resource", product_id=product, tags=("sql",))
    people = [make_user(name=f"Poster {n}") for n in range(3)]
    for person in people:
        shelf.took(person.id, "topic:1", action="posted")
        shelf.took(person.id, "topic:2", action="replied")
    refresh(app)
    shown = app.test_client().get("/recommendations/for-you").get_data(as_text=True)
    assert f'href="/shop/{book_id}"' in shown and "42.00" in shown
    assert f"/shop/{product}" not in shown  # the paid topic's own product: the topic stands for it
    assert_outsiders_see_nothing(
        app, "recommendations", [CANARY, PRODUCT_CANARY], values={"widget": "home", "kind": "topic", "item_id": 1,
                                                "key": "topic:2", "position": 1, "impression": "x"},
        member=make_user(name="Nobody"), member_changes_nothing=False)
    buyer = make_user(name="Buyer")
    client = logged_in(app, buyer.email, PASSWORD)
    assert CANARY not in client.get("/recommendations/related/topic/1", headers=HTMX).get_data(as_text=True)
    with app.app_context():
        grant_entitlement(buyer.id, db.session.get(Product, product), "test")
        db.session.commit()
    assert CANARY in client.get("/recommendations/related/topic/1", headers=HTMX).get_data(as_text=True)


def test_evaluate_says_when_there_is_too_little_to_measure(app, shelf, make_user):
    shelf.offer(1, "Alone")
    shelf.took(make_user().id, "course:1")
    result = app.test_cli_runner().invoke(cli, ["recs", "evaluate", "-k", "3"])
    assert result.exit_code == 1 and "too few signals to evaluate (1)" in result.output


def test_admin_switch_turns_a_widget_off(make_app):
    off = make_app({"plugins": {"enabled": ["recommendations"], "recommendations": {"widget_home": False}}})
    assert off.test_client().get("/recommendations/for-you").status_code == 404
    assert "/recommendations/for-you" not in off.test_client().get("/").get_data(as_text=True)


def test_with_the_plugin_off_the_item_owners_start_and_its_routes_are_gone(make_app):
    off = make_app({"plugins": {"enabled": [name for name in DEMO["plugins"]["enabled"] if name != "recommendations"]}})
    client = off.test_client()
    assert client.get("/recommendations/for-you").status_code == 404
    assert client.get("/").status_code == 200 and "/recommendations/" not in client.get("/").get_data(as_text=True)
