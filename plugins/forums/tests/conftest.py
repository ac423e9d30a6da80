"""The core's fixtures, an app with the forums on, and helpers that build circles and act
through the real pages and forms."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kpay.commerce import entitlements
from kpay.extensions import db
from kpay.models.commerce import Product
from plugins.forums.models import Circle, Membership
from kpay.testing import Auth, csrf_token


def forums_config(**settings) -> dict:
    return {"plugins": {"enabled": ["forums", "pay_sandbox"], "forums": {"post_rate_limit": "1000/minute", **settings}}}


@pytest.fixture
def app(make_app):
    return make_app(forums_config())


class Forum:
    """A test client acting as one person through the forum's pages."""

    def __init__(self, app, client=None):
        self.app = app
        self.client = client or app.test_client()

    def login(self, user) -> Forum:
        Auth(self.client).login(user.email)
        return self

    def token(self) -> str:
        return csrf_token(self.client.get("/forums/"))

    def post(self, url: str, headers: dict | None = None, **data):
        """POST a form; the response is closed, so jobs it queued run, as under a server."""
        response = self.client.post(url, data={**data, "csrf_token": self.token()}, headers=headers or {})
        response.get_data()
        response.close()
        return response

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def page(self, url: str) -> str:
        return self.client.get(url).get_data(as_text=True)

    def join(self, circle_id: int):
        return self.post(f"/forums/c/{circle_id}/join")

    def start_topic(self, circle_id: int, title="A fine topic", body="Hello circle", kind="discussion", **more) -> int:
        response = self.post(f"/forums/c/{circle_id}/new", title=title, body=body, kind=kind, **more)
        assert response.status_code == 302, response.get_data(as_text=True)
        return int(response.headers["Location"].split("/t/")[1].split("?")[0].split("#")[0])

    def reply(self, topic_id: int, body="A reply", **more):
        return self.post(f"/forums/t/{topic_id}/reply", body=body, **more)


@pytest.fixture
def forum(app):
    """``forum(user)``: a fresh client logged in as ``user`` (or a visitor without one)."""

    def factory(user=None) -> Forum:
        person = Forum(app)
        return person.login(user) if user is not None else person

    return factory


@pytest.fixture
def make_circle(app):
    """``make_circle(creator, visibility="public", product_id=None, **fields)``: a circle id; its
    creator is its first moderator."""

    def factory(creator, visibility="public", product_id=None, **fields) -> int:
        with app.app_context():
            circle = Circle(name=fields.pop("name", f"{visibility} circle"), creator_id=creator.id, visibility=visibility,
                            product_id=product_id, member_count=1, rules=fields.pop("rules", "Be kind."), **fields)
            db.session.add(circle)
            db.session.flush()
            db.session.add(Membership(circle_id=circle.id, user_id=creator.id, role="moderator"))
            db.session.commit()
            return circle.id

    return factory


@pytest.fixture
def membership_product(app):
    """``membership_product(creator)``: the id of a 365-day membership product."""

    def factory(creator) -> int:
        with app.app_context():
            product = Product(creator_id=creator.id, name="Circle membership", kind="membership", period_days=365,
                              price_minor=29900, currency="CNY")
            db.session.add(product)
            db.session.commit()
            return product.id

    return factory


@pytest.fixture
def grant(app):
    """``grant(user, product_id)``: the member holds the product (as after paying)."""

    def factory(user, product_id: int) -> None:
        with app.app_context():
            entitlements.grant(user.id, db.session.get(Product, product_id), f"test:{user.id}:{product_id}")
            db.session.commit()

    return factory


def scalar(app, statement):
    """One value from the database, read in its own app context."""
    with app.app_context():
        return db.session.scalar(statement)


def count(app, model, *where) -> int:
    return scalar(app, sa.select(sa.func.count()).select_from(model).where(*where))
