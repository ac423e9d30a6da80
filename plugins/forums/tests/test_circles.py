"""Circles as members meet them: the directory, joining and leaving, rules, members-only and
paid circles (a visitor without access goes to the product's checkout)."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import ActivityEvent
from plugins.forums.models import Circle, Membership
from plugins.forums.tests.conftest import count, scalar


def test_member_joins_a_circle_reads_its_rules_then_leaves(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user(name="Mei")
    circle = make_circle(chen, rules="**No spam**, please.")
    mei_forum = forum(mei)
    response = mei_forum.join(circle)
    assert response.headers["Location"].endswith(f"/forums/c/{circle}/rules")
    rules = mei_forum.page(response.headers["Location"])
    assert "<strong>No spam</strong>" in rules and "I have read the rules" in rules
    assert mei_forum.join(circle).status_code == 302  # twice: still one membership
    assert count(app, Membership, Membership.circle_id == circle, Membership.active.is_(True)) == 2
    assert scalar(app, sa.select(Circle.member_count).where(Circle.id == circle)) == 2
    assert count(app, ActivityEvent, ActivityEvent.name == "circle.joined") == 1
    assert "Leave" in mei_forum.page(f"/forums/c/{circle}")
    mei_forum.post(f"/forums/c/{circle}/leave")
    mei_forum.post(f"/forums/c/{circle}/leave")
    assert scalar(app, sa.select(Circle.member_count).where(Circle.id == circle)) == 1
    assert ">Join<" in mei_forum.page(f"/forums/c/{circle}")


def test_directory_lists_circles_with_their_kind(forum, make_user, make_circle):
    chen = make_user(role="creator")
    make_circle(chen, name="Open talk")
    make_circle(chen, visibility="paid", name="Inner circle")
    page = forum().page("/forums/")
    assert "Open talk" in page and "Inner circle" in page and "Paid" in page


def test_creator_starts_a_paid_circle_through_the_form(app, forum, make_user, membership_product):
    chen = make_user(role="creator")
    product = membership_product(chen)
    chen_forum = forum(chen)
    missing = chen_forum.post("/forums/new", name="Star", visibility="paid", product_id="0", rules="", description="")
    assert missing.status_code == 422 and "Choose the product" in missing.get_data(as_text=True)
    someone_elses = membership_product(make_user(role="creator"))
    other = chen_forum.post("/forums/new", name="Star", visibility="paid", product_id=str(someone_elses), rules="", description="")
    assert other.status_code == 422 and "Not a valid choice" in other.get_data(as_text=True)
    assert count(app, Circle) == 0
    made = chen_forum.post("/forums/new", name="Star", visibility="paid", product_id=str(product), rules="Hi", description="")
    assert made.status_code == 302
    assert scalar(app, sa.select(Circle.product_id)) == product
    assert forum(make_user()).get("/forums/new").status_code == 403


def test_visitor_without_purchase_is_sent_to_checkout_and_buyer_gets_in(forum, make_user, make_circle, membership_product, grant):
    chen, leo = make_user(role="creator"), make_user()
    product = membership_product(chen)
    circle = make_circle(chen, visibility="paid", product_id=product, description="Weekly Q&A")
    leo_forum = forum(leo)
    outside = leo_forum.get(f"/forums/c/{circle}")
    assert outside.status_code == 403 and "Weekly Q&amp;A" in outside.get_data(as_text=True)
    response = leo_forum.join(circle)
    assert response.headers["Location"].endswith(f"/shop/{product}")
    grant(leo, product)
    assert leo_forum.join(circle).headers["Location"].endswith("/rules")
    assert leo_forum.get(f"/forums/c/{circle}").status_code == 200


def test_members_only_circle_asks_visitors_to_log_in(forum, make_user, make_circle):
    chen = make_user(role="creator")
    circle = make_circle(chen, visibility="members", rules="Members rule")
    chen_forum = forum(chen)
    topic = chen_forum.start_topic(circle, title="Members talk")
    visitor = forum()
    page = visitor.get(f"/forums/c/{circle}")
    assert page.status_code == 403 and "Members rule" in page.get_data(as_text=True)
    assert "Members talk" not in page.get_data(as_text=True)
    assert visitor.get(f"/forums/t/{topic}").status_code == 403
    assert "Members talk" in forum(make_user()).page(f"/forums/c/{circle}")


def test_only_the_creator_or_an_admin_changes_who_may_read_a_circle(app, forum, make_user, make_circle):
    chen, mod = make_user(role="creator"), make_user(name="Mod")
    circle = make_circle(chen, visibility="members")
    forum(mod).join(circle)
    forum(chen).post(f"/forums/c/{circle}/members/{mod.id}", action="promote")
    refused = forum(mod).post(f"/forums/c/{circle}/edit", name="Open now", visibility="public", product_id="0")
    assert refused.status_code == 403
    assert scalar(app, sa.select(Circle.visibility).where(Circle.id == circle)) == "members"
    assert forum(mod).get(f"/forums/c/{circle}/queue").status_code == 200  # still moderates it
    assert forum(chen).get(f"/forums/c/{circle}/edit").status_code == 200


def test_upgrading_drops_external_cover_urls_and_keeps_the_circles(tmp_path):
    """A circle whose cover was an external URL keeps everything else and gets its generated
    cover; downgrading gives the column back, empty."""
    from flask_migrate import downgrade, upgrade

    from kpay.app import create_app

    app = create_app({"instance_path": str(tmp_path / "instance"), "database_url": f"sqlite:///{tmp_path / 'm.db'}",
                      "plugins": {"enabled": ["forums"]}})
    with app.app_context():
        upgrade(revision="forums_0001")
        db.session.execute(sa.text(
            "INSERT INTO forums_circles (name, description, cover_url, rules, visibility, approve_first_posts, "
            "member_count, topic_count, created_at, updated_at, creator_id) VALUES ('Old', 'd', "
            "'https://elsewhere.example/c.png', '', 'public', false, 3, 0, '2026-01-01', '2026-01-01', NULL)"))
        db.session.commit()
        db.session.remove()
        upgrade(revision="heads")
        with db.engine.connect() as connection:
            row = connection.execute(sa.text("SELECT name, member_count, cover FROM forums_circles")).one()
        assert tuple(row) == ("Old", 3, None)
        downgrade(revision="forums_0001")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT cover_url FROM forums_circles")).scalar() == ""
        db.engine.dispose()
