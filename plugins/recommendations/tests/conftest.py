"""Two ways to give the recommender items, neither importing another plugin: the demo community
(courses, circles, topics and lectures through their own hooks, met here only through URLs and
the cards this plugin keeps), and ``Shelf``, a stand-in plugin whose items and signals a test
writes down as plain values."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from kpay.api import Resource, db, hookimpl, utcnow
from kpay.cli import cli
from kpay.testing import Auth
from kpay.testing.live import DEMO_PASSWORD
from plugins.recommendations.models import Card

DEMO = {"plugins": {"enabled": ["courses", "forums", "lectures", "pay_sandbox", "recommendations"]}}
HTMX = {"HX-Request": "true"}
CANARY = "CANARY-PAID-SHELF-ITEM"


def refresh(app, *args: str) -> str:
    """Run ``kpay recs refresh`` and give its summary line."""
    result = app.test_cli_runner().invoke(cli, ["recs", "refresh", *args])
    assert result.exit_code == 0, result.output
    return result.output


def logged_in(app, email: str, password: str = DEMO_PASSWORD):
    """A test client logged in as ``email`` (a demo member, unless ``password`` says otherwise)."""
    client = app.test_client()
    Auth(client).login(email, password)
    return client


def keys_of(app, title: str) -> list[str]:
    """The keys (``"course:2"``) of the cards whose title contains ``title``, in key order."""
    with app.app_context():
        return db.session.scalars(sa.select(Card.key).where(Card.title.contains(title)).order_by(Card.key)).all()


def key_of(app, title: str) -> str:
    """The key of the one card whose title contains ``title``."""
    keys = keys_of(app, title)
    assert len(keys) == 1, keys
    return keys[0]


def id_of(app, title: str) -> int:
    return int(key_of(app, title).partition(":")[2])


@pytest.fixture
def demo(make_app):
    """The demo community with every item-owning plugin on, its lists refreshed by ``kpay demo``."""
    app = make_app(DEMO)
    result = app.test_cli_runner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    return app


class Shelf:
    """A stand-in item owner, as courses or forums are: the items it offers and what members did
    with them are lists a test changes; its ``shelf`` resources are sold by ``products``."""

    def __init__(self):
        self.items: dict[str, dict] = {}
        self.signals: list[dict] = []
        self.products: dict[int, list[int]] = {}

    def offer(self, n: int, title: str, kind: str = "course", product_id: int | None = None, **values) -> str:
        """Offer item ``kind:n``; a ``product_id`` sells it (``can_access`` asks this shelf)."""
        self.products[n] = [product_id] if product_id else []
        self.items[f"{kind}:{n}"] = {"kind": kind, "id": n, "title": title, "url": f"/shelf/{n}",
                                     "resource": Resource("shelf", n, free=product_id is None), **values}
        return f"{kind}:{n}"

    def took(self, user_id: int, key: str, action: str = "enrolled", at: datetime | None = None, weight=2.0) -> None:
        self.signals.append({"user_id": user_id, "key": key, "action": action, "at": at or utcnow(), "weight": weight})

    @hookimpl(optionalhook=True)
    def kpay_recs_items(self, item):
        return [item(**values) for values in self.items.values()]

    @hookimpl(optionalhook=True)
    def kpay_recs_signals(self, signal):
        return [signal(**values) for values in self.signals]

    @hookimpl
    def kpay_resource_products(self, resource):
        return self.products.get(int(resource.id), []) if resource.kind == "shelf" else None


@pytest.fixture
def shelf():
    return Shelf()


@pytest.fixture
def app(make_app, shelf):
    """Only this plugin and the payment sandbox, its items from ``shelf``."""
    return make_app({"plugins": {"enabled": ["pay_sandbox", "recommendations"]}}, plugins=[shelf])
