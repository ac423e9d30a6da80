"""M8: entitlements follow the orders behind them through any sequence of payments, replays,
refunds, renewals and the passing of time (a hypothesis state machine on a real database)."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import time_machine
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kpay import hookimpl
from kpay.accounts import create_user
from kpay.app import create_app
from kpay.commerce import can_access, orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import Entitlement, EntitlementEvent, LedgerEntry, Order, Product
from kpay.types import Resource

CIRCLE = Resource("circle", 1, creator_id=1)


class CirclePlugin:
    @hookimpl
    def kpay_resource_products(self, resource):
        return [1] if resource == CIRCLE else None


class Memberships(RuleBasedStateMachine):
    """One member buying a 30-day membership (¥30.00) again and again."""

    def __init__(self):
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.app = create_app(
            {"instance_path": self.folder.name, "database_url": f"sqlite:///{Path(self.folder.name) / 'k.db'}",
             "plugins": {"enabled": []}},
            plugins=[CirclePlugin()],
        )
        self.context = self.app.test_request_context()
        self.context.push()
        db.create_all()
        creator = create_user("chen@example.com", "Chen", "correct horse battery", role="creator")
        self.member = create_user("mei@example.com", "Mei", "correct horse battery")
        db.session.add(Product(creator_id=creator.id, name="Circle", kind="membership", period_days=30,
                               price_minor=3000, currency="CNY"))
        db.session.commit()
        self.now = utcnow()
        self.paid: list[int] = []  # order ids, oldest first
        self.refunded: dict[int, int] = {}
        self.windows: dict[int, tuple] = {}  # the model: order id -> (starts, ends) of its membership

    def teardown(self):
        db.session.remove()
        db.engine.dispose()
        self.context.pop()
        self.folder.cleanup()

    def at_now(self):
        return time_machine.travel(self.now, tick=False)

    @rule()
    def buy(self):
        with self.at_now():
            order = orders.checkout(db.session.get(User, self.member.id), db.session.get(Product, 1),
                                    "sandbox", f"nonce-{len(self.paid):04d}-{'x' * 16}")
            assert orders.mark_paid(order.id, "sandbox", f"ref-{order.id}", 3000, "CNY")
            db.session.commit()
        self.paid.append(order.id)
        self.refunded[order.id] = 0
        # Renewing early starts where the running, unrevoked membership ends.
        ends = [end for o, (_start, end) in self.windows.items() if self.refunded[o] < 3000 and end > self.now]
        starts = max([self.now, *ends])
        self.windows[order.id] = (starts, starts + timedelta(days=30))

    @precondition(lambda self: self.paid)
    @rule(data=st.data())
    def replay_a_payment(self, data):
        order_id = data.draw(st.sampled_from(self.paid))
        with self.at_now():
            assert not orders.mark_paid(order_id, "sandbox", f"ref-{order_id}", 3000, "CNY")
            db.session.commit()

    @precondition(lambda self: any(r < 3000 for r in self.refunded.values()))
    @rule(data=st.data(), full=st.booleans())
    def refund(self, data, full):
        order_id = data.draw(st.sampled_from([o for o, r in self.refunded.items() if r < 3000]))
        left = 3000 - self.refunded[order_id]
        amount = left if full else data.draw(st.integers(min_value=1, max_value=left))
        with self.at_now():
            orders.refund(db.session.get(Order, order_id), amount, f"refund-{order_id}-{self.refunded[order_id]}", None)
            db.session.commit()
        self.refunded[order_id] += amount
        if self.refunded[order_id] == 3000:
            self.close_gap(order_id)

    def close_gap(self, order_id):
        """The model: renewals chained after a revoked membership move earlier by its unused days."""
        start, end = self.windows[order_id]
        unused = end - max(self.now, start)
        if unused <= timedelta(0):
            return
        chained_from = end
        for later in sorted(self.windows, key=lambda o: self.windows[o][0]):
            later_start, later_end = self.windows[later]
            if later == order_id or self.refunded[later] == 3000 or later_start < end:
                continue
            if later_start != chained_from:
                break
            chained_from = later_end
            self.windows[later] = (later_start - unused, later_end - unused)

    @rule(days=st.integers(min_value=1, max_value=40))
    def time_passes(self, days):
        self.now += timedelta(days=days)

    @invariant()
    def access_follows_the_orders(self):
        with self.at_now():
            db.session.expire_all()
            entitled = can_access(db.session.get(User, self.member.id), CIRCLE)
        # A fully refunded membership drops out of access; the others keep the dates they were given.
        expected = any(
            start <= self.now < end for o, (start, end) in self.windows.items() if self.refunded[o] < 3000
        )
        assert entitled == expected
        rows = db.session.scalars(sa.select(Entitlement).order_by(Entitlement.id)).all()
        assert len(rows) == len(self.paid), "one entitlement per paid order"
        for entitlement in rows:
            order_id = int(entitlement.source.split(":")[1])
            assert (entitlement.starts_at, entitlement.ends_at) == self.windows[order_id]
            assert (entitlement.status == "revoked") == (self.refunded[order_id] == 3000)
            history = db.session.scalars(
                sa.select(EntitlementEvent.name).where(EntitlementEvent.entitlement_id == entitlement.id)
                .order_by(EntitlementEvent.id)
            ).all()
            moves = [name for name in history if name == "moved_earlier"]
            revoked = ["revoked"] if entitlement.status == "revoked" else []
            assert history[0] == "granted" and history[1:] in (moves + revoked, revoked + moves)

    @invariant()
    def the_ledger_balances(self):
        total, held = db.session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0),
                sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.account == "provider:sandbox",
                                                      LedgerEntry.amount_minor), else_=0)), 0),
            )
        ).one()
        assert total == 0
        assert held == sum(3000 - r for r in self.refunded.values())


Memberships.TestCase.settings = settings(max_examples=20, stateful_step_count=12, deadline=None)
test_entitlements_follow_their_orders = Memberships.TestCase
