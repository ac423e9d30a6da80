"""An app with circles, courses and gamification on, and helpers acting through real pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image
import sqlalchemy as sa

from kpay.api import PointsEntry
from kpay.extensions import db
from kpay.testing import Auth, csrf_token


def gamification_config(**settings) -> dict:
    return {"timezone": "Asia/Shanghai", "plugins": {
        "enabled": ["forums", "courses", "gamification", "pay_sandbox"],
        "forums": {"post_rate_limit": "1000/minute"},
        "gamification": {"badge_cache_seconds": 0, **settings}}}


@pytest.fixture
def app(make_app):
    return make_app(gamification_config())


class Person:
    """A test client acting as one member through the pages."""

    def __init__(self, app, user):
        self.app = app
        self.user = user
        self.client = app.test_client()
        Auth(self.client).login(user.email)

    def post(self, url: str, **data):
        response = self.client.post(url, data={**data, "csrf_token": csrf_token(self.client.get("/gamification/me"))})
        response.get_data()
        response.close()
        return response

    def page(self, url: str) -> str:
        return self.client.get(url).get_data(as_text=True)


@pytest.fixture
def person(app):
    return lambda user: Person(app, user)


def start_circle(app, creator, **fields) -> int:
    """A circle ``creator`` starts through the forums' page (they moderate it); its id."""
    values = {"name": "Readers", "rules": "Be kind.", "visibility": "public", "product_id": "0", **fields}
    response = Person(app, creator).post("/forums/new", **values)
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def circle(app, make_user):
    """A public circle (its creator moderates it); returns (circle id, creator)."""
    creator = make_user("creator", name="Teacher Chen")
    return start_circle(app, creator), creator


def picture(size=(40, 30), kind="PNG") -> io.BytesIO:
    """A small picture to upload."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, kind)
    out.seek(0)
    return out


def balance(app, user) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.amount), 0))
                                     .where(PointsEntry.user_id == user.id)))


def entries(app, user) -> list[tuple[int, str]]:
    with app.app_context():
        return [(e.amount, e.key) for e in db.session.scalars(
            sa.select(PointsEntry).where(PointsEntry.user_id == user.id).order_by(PointsEntry.id))]
