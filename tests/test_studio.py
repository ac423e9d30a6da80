"""The creator studio: creators manage their own products and coupons, admins everyone's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import AuditEntry
from kpay.models.commerce import Coupon, Product
from tests.commerce_helpers import buy_paid, errors_beside, make_product, post_form

PRODUCT = {"name": "Python for Beginners", "description": "Twenty **lessons**.", "kind": "one_time",
           "period_days": "", "price": "99.50", "active": "y"}
COUPON = {"code": "spring-10", "kind": "percent", "value": "10", "valid_from": "", "valid_until": "",
          "max_redemptions": "", "per_member": "1", "product_id": "", "active": "y"}


@pytest.fixture
def creator(make_user):
    return make_user("creator", email="chen@example.com", name="Teacher Chen")


@pytest.fixture
def other(make_user):
    return make_user("creator", email="li@example.com", name="Teacher Li")


def products(app, **where):
    with app.app_context():
        return db.session.scalars(sa.select(Product).filter_by(**where).order_by(Product.id)).all()


def coupon(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Coupon).where(Coupon.code == code))


def audit_actions(app, target_type):
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.target_type == target_type).order_by(AuditEntry.id)
        ).all()


def test_creator_creates_a_product_with_its_price_typed_as_money(app, client, auth, creator):
    auth.login(creator.email)
    response = post_form(client, "/studio/products/new", PRODUCT)
    assert response.status_code == 302
    [made] = products(app)
    assert (made.creator_id, made.name, made.price_minor, made.currency, made.active) == (
        creator.id, "Python for Beginners", 9950, "CNY", True)
    [entry] = audit_actions(app, "products")
    assert (entry.action, entry.actor_id, entry.after["price_minor"]) == ("product.created", creator.id, 9950)
    assert "Python for Beginners" in client.get("/studio/products").get_data(as_text=True)
    assert "/studio/products" in client.get("/").get_data(as_text=True)  # the Studio link in the menu


def test_a_membership_is_created_with_its_period(app, client, auth, creator):
    auth.login(creator.email)
    post_form(client, "/studio/products/new", {**PRODUCT, "kind": "membership", "period_days": "365", "price": "299"})
    [made] = products(app)
    assert (made.kind, made.period_days, made.price_minor) == ("membership", 365, 29900)


@pytest.mark.parametrize("change, field, message", [
    ({"price": "-5"}, "price", "not less than zero"),
    ({"price": "abc"}, "price", "Enter an amount such as 99 or 99.50"),
    ({"price": "9.999"}, "price", "Enter an amount such as 99 or 99.50"),
    ({"kind": "membership", "period_days": ""}, "period_days", "A membership needs its period in days."),
    ({"name": "x" * 121}, "name", "120"),
    ({"name": ""}, "name", "This field is required."),
])
def test_bad_product_input_shows_the_message_beside_the_field(app, client, auth, creator, change, field, message):
    auth.login(creator.email)
    response = post_form(client, "/studio/products/new", {**PRODUCT, **change})
    assert response.status_code == 422
    assert message in errors_beside(response, field)
    assert products(app) == []


def test_creator_sees_and_edits_only_their_own_products(app, client, auth, creator, other):
    mine = make_product(app, creator, name="Chen's course")
    theirs = make_product(app, other, name="Li's course")
    auth.login(creator.email)
    page = client.get("/studio/products").get_data(as_text=True)
    assert "Chen&#39;s course" in page and "Li&#39;s course" not in page
    assert client.get(f"/studio/products/{mine}/edit").status_code == 200
    assert client.get(f"/studio/products/{theirs}/edit").status_code == 404
    response = post_form(client, f"/studio/products/{theirs}/edit", {**PRODUCT, "price": "1"},
                         form_url=f"/studio/products/{mine}/edit")
    assert response.status_code == 404
    assert products(app, id=theirs)[0].price_minor == 10000


def test_admin_sees_and_edits_every_product(app, client, auth, make_user, creator, other):
    make_product(app, creator, name="Chen's course")
    theirs = make_product(app, other, name="Li's course")
    admin = make_user("admin")
    auth.login(admin.email)
    page = client.get("/studio/products").get_data(as_text=True)
    assert "Chen&#39;s course" in page and "Li&#39;s course" in page and "Teacher Li" in page
    response = post_form(client, f"/studio/products/{theirs}/edit", {**PRODUCT, "name": "Li's course", "price": "120"})
    assert response.status_code == 302
    [edited] = products(app, id=theirs)
    assert (edited.creator_id, edited.price_minor) == (other.id, 12000)
    [entry] = [e for e in audit_actions(app, "products") if e.action == "product.updated"]
    assert (entry.actor_id, entry.before, entry.after) == (
        admin.id,
        {"price_minor": 10000, "description": ""},
        {"price_minor": 12000, "description": "Twenty **lessons**."},
    )


def test_members_cannot_open_the_studio_nor_its_partials(client, auth, make_user):
    member = make_user()
    assert client.get("/studio/products").status_code == 302  # to the log-in page
    auth.login(member.email)
    for url in ("/studio/products", "/studio/products/new", "/studio/coupons", "/studio/coupons/new",
                "/studio/revenue", "/studio/revenue.csv", "/admin/payouts"):
        assert client.get(url).status_code == 403, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 403, url
    assert "/studio/products" not in client.get("/").get_data(as_text=True)


def test_taking_a_product_off_sale(app, client, auth, creator):
    product_id = make_product(app, creator)
    auth.login(creator.email)
    form = {k: v for k, v in PRODUCT.items() if k != "active"}  # the box left unticked
    assert post_form(client, f"/studio/products/{product_id}/edit", form).status_code == 302
    assert products(app)[0].active is False
    assert client.get("/shop/").get_data(as_text=True).count("Python for Beginners") == 0


def test_currency_follows_the_site_until_the_first_order_then_stays(app, client, auth, creator, make_user):
    unsold = make_product(app, creator, name="Unsold")
    sold = make_product(app, creator, name="Sold")
    buy_paid(app, make_user(), sold)
    app.config["KPAY"]["commerce"]["currency"] = "USD"
    auth.login(creator.email)
    post_form(client, f"/studio/products/{unsold}/edit", {**PRODUCT, "name": "Unsold", "price": "5"})
    post_form(client, f"/studio/products/{sold}/edit", {**PRODUCT, "name": "Sold", "price": "120"})
    assert [(p.currency, p.price_minor) for p in products(app)] == [("USD", 500), ("CNY", 12000)]


def test_creator_makes_a_coupon_with_its_code_in_capitals(app, client, auth, creator):
    product_id = make_product(app, creator)
    auth.login(creator.email)
    response = post_form(client, "/studio/coupons/new", {
        **COUPON, "kind": "fixed", "value": "20", "max_redemptions": "50", "per_member": "2",
        "product_id": str(product_id),
    })
    assert response.status_code == 302
    made = coupon(app, "SPRING-10")
    assert (made.creator_id, made.kind, made.value, made.max_redemptions, made.per_member, made.product_id) == (
        creator.id, "fixed", 2000, 50, 2, product_id)
    assert [e.action for e in audit_actions(app, "coupons")] == ["coupon.created"]
    assert "SPRING-10" in client.get("/studio/coupons").get_data(as_text=True)


def test_coupon_dates_are_whole_days_in_the_site_time_zone(make_app, make_user):
    app = make_app({"timezone": "Asia/Shanghai"})
    creator = make_user("creator")
    client = app.test_client()
    from tests.conftest import Auth

    Auth(client).login(creator.email)
    post_form(client, "/studio/coupons/new", {**COUPON, "valid_from": "2026-12-01", "valid_until": "2026-12-31"})
    made = coupon(app, "SPRING-10")
    assert made.valid_from == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert made.valid_until == datetime(2026, 12, 31, 16, tzinfo=UTC)  # the end of the 31st in Shanghai
    page = client.get(f"/studio/coupons/{made.id}/edit").get_data(as_text=True)
    assert 'value="2026-12-01"' in page and 'value="2026-12-31"' in page


@pytest.mark.parametrize("change, field, message", [
    ({"value": "120"}, "value", "A percent off is a whole number from 1 to 100."),
    ({"value": "0"}, "value", "A percent off is a whole number from 1 to 100."),
    ({"kind": "fixed", "value": "-3"}, "value", "not less than zero"),
    ({"code": "two words"}, "code", "Use letters, digits, - and _ only."),
    ({"valid_from": "2026-05-02", "valid_until": "2026-05-01"}, "valid_until", "The last day comes before the first."),
    ({"per_member": "0"}, "per_member", "1"),
])
def test_bad_coupon_input_shows_the_message_beside_the_field(app, client, auth, creator, change, field, message):
    auth.login(creator.email)
    response = post_form(client, "/studio/coupons/new", {**COUPON, **change})
    assert response.status_code == 422
    assert message in errors_beside(response, field)
    assert coupon(app, "SPRING-10") is None


def test_a_coupon_code_is_unique_whatever_its_case(app, client, auth, creator, other):
    auth.login(other.email)
    post_form(client, "/studio/coupons/new", COUPON)
    auth.logout()
    auth.login(creator.email)
    response = post_form(client, "/studio/coupons/new", {**COUPON, "code": "Spring-10"})
    assert response.status_code == 422
    assert "Another coupon has this code." in errors_beside(response, "code")


def test_a_creators_coupon_can_name_only_their_own_products(app, client, auth, creator, other):
    make_product(app, creator, name="Chen's course")
    theirs = make_product(app, other, name="Li's course")
    auth.login(creator.email)
    form = client.get("/studio/coupons/new").get_data(as_text=True)
    assert "Chen&#39;s course" in form and "Li&#39;s course" not in form
    response = post_form(client, "/studio/coupons/new", {**COUPON, "product_id": str(theirs)})
    assert response.status_code == 422
    assert "Not a valid choice" in errors_beside(response, "product_id")


def test_creator_sees_edits_and_deactivates_only_their_own_coupons(app, client, auth, creator, other):
    auth.login(other.email)
    post_form(client, "/studio/coupons/new", {**COUPON, "code": "LI"})
    auth.logout()
    auth.login(creator.email)
    post_form(client, "/studio/coupons/new", {**COUPON, "code": "CHEN"})
    li, chen = coupon(app, "LI"), coupon(app, "CHEN")
    page = client.get("/studio/coupons").get_data(as_text=True)
    assert "CHEN" in page and "LI<" not in page
    assert client.get(f"/studio/coupons/{li.id}/edit").status_code == 404
    assert post_form(client, f"/studio/coupons/{li.id}/deactivate", {}, form_url="/studio/coupons").status_code == 404
    assert coupon(app, "LI").active
    assert post_form(client, f"/studio/coupons/{chen.id}/deactivate", {}, form_url="/studio/coupons").status_code == 302
    assert not coupon(app, "CHEN").active
    assert [(e.action, e.after) for e in audit_actions(app, "coupons")][-1] == ("coupon.deactivated", {"active": False})


def test_a_coupons_limit_cannot_go_below_the_uses_taken(app, client, auth, creator):
    auth.login(creator.email)
    post_form(client, "/studio/coupons/new", COUPON)
    made = coupon(app, "SPRING-10")
    with app.app_context():
        db.session.execute(sa.update(Coupon).where(Coupon.id == made.id).values(used=3))
        db.session.commit()
    response = post_form(client, f"/studio/coupons/{made.id}/edit", {**COUPON, "max_redemptions": "2"})
    assert response.status_code == 422
    assert "3 uses are already taken" in errors_beside(response, "max_redemptions")
    assert post_form(client, f"/studio/coupons/{made.id}/edit", {**COUPON, "max_redemptions": "3"}).status_code == 302
    assert coupon(app, "SPRING-10").max_redemptions == 3
