"""Covers of products: uploaded pictures re-encoded to a 16:9 WebP and served by a name the
site made, or a generated cover of the product's colour and initials; prices with periods."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from kpay.extensions import db
from kpay.models.commerce import Product
from tests.commerce_helpers import make_product, post_form
from tests.test_avatar import picture

PRODUCT = {"name": "Writing Club", "description": "", "kind": "membership", "period_days": "365",
           "price": "199", "active": "y"}


def product(app, name: str) -> Product:
    with app.app_context():
        found = db.session.scalar(sa.select(Product).where(Product.name == name))
        db.session.expunge(found)
        return found


def test_creator_uploads_a_product_cover_and_visitors_see_it_as_a_fresh_webp(app, client, auth, make_user):
    creator = make_user("creator", email="chen@example.com", name="Teacher Chen")
    auth.login(creator.email)
    response = post_form(client, "/studio/products/new",
                         {**PRODUCT, "cover_file": (io.BytesIO(picture("JPEG", (2000, 900))), "club.jpg")})
    assert response.status_code == 302
    cover = product(app, "Writing Club").cover
    assert cover and cover.endswith(".webp")

    shop = app.test_client().get("/shop/").get_data(as_text=True)
    assert f'src="/covers/{cover}"' in shop and "¥199.00 / year" in shop
    served = app.test_client().get(f"/covers/{cover}")
    assert served.mimetype == "image/webp" and "immutable" in served.headers["Cache-Control"]
    assert Image.open(io.BytesIO(served.data)).size == (1200, 675)
    assert app.test_client().get("/covers/../kpay.db").status_code == 404

    # Taking the cover away brings back the generated one, and deletes the file.
    edit_url = f"/studio/products/{product(app, 'Writing Club').id}/edit"
    edit = post_form(client, edit_url, {**PRODUCT, "remove_cover": "y"})
    assert edit.status_code == 302 and product(app, "Writing Club").cover is None
    assert app.test_client().get(f"/covers/{cover}").status_code == 404
    assert 'class="cover cover-hue-' in app.test_client().get("/shop/").get_data(as_text=True)


def test_a_picture_that_is_not_one_is_refused_beside_the_field(app, client, auth, make_user):
    creator = make_user("creator", email="chen@example.com", name="Teacher Chen")
    auth.login(creator.email)
    response = post_form(client, "/studio/products/new",
                         {**PRODUCT, "cover_file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")})
    assert response.status_code == 422
    assert "Upload a PNG, JPEG, WebP or GIF picture." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_a_product_without_cover_gets_its_initials_and_a_membership_its_period(app, make_user):
    creator = make_user("creator", email="chen@example.com", name="Teacher Chen")
    make_product(app, creator, price_minor=19900, name="Data Club", kind="membership", period_days=365)
    make_product(app, creator, price_minor=3000, name="Monthly notes", kind="membership", period_days=30)
    make_product(app, creator, price_minor=5000, name="Ten days", kind="membership", period_days=10)
    shop = app.test_client().get("/shop/").get_data(as_text=True)
    assert '<span>DC</span>' in shop
    assert "¥199.00 / year" in shop and "¥30.00 / month" in shop and "¥50.00 / 10 days" in shop
    chinese = app.test_client()
    chinese.set_cookie("locale", "zh_CN")
    shop_zh = chinese.get("/shop/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "¥199.00 / 年" in shop_zh and "¥30.00 / 月" in shop_zh
