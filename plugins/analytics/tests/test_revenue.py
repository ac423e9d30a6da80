"""Revenue on the dashboard matches commerce's ledger and the creators' statements to the cent."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from kpay.api import LedgerEntry, db, today
from kpay.commerce.revenue import statement
from kpay.models import User
from kpay.testing import Auth
from plugins.analytics import figures
from plugins.analytics.tests.conftest import roll
from tests.commerce_helpers import buy_paid, make_product, refund


@pytest.fixture
def sales(app, make_user):
    """Two creators: 99.99 + 33.33 sold (17.77 of one refunded), and a 45.45 membership."""
    admin = make_user("admin")
    chen, li = make_user("creator", name="Chen"), make_user("creator", name="Li")
    first = buy_paid(app, make_user(), make_product(app, chen, price_minor=9999, name="Python"))
    buy_paid(app, make_user(), make_product(app, chen, price_minor=3333, name="SQL"))
    buy_paid(app, make_user(), make_product(app, li, price_minor=4545, name="Club", kind="membership", period_days=30))
    refund(app, first, 1777, admin)
    roll(app)
    return admin, chen, li


def test_totals_equal_the_ledger_and_each_creators_statement(app, sales):
    admin, chen, li = sales
    with app.test_request_context("/"):
        month = today().replace(day=1)
        found = figures.read(figures.Range(month, today()))
        site = {cur: values for cur, _, values in found.revenue("")}["CNY"]
        provider = db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.account.like("provider:%")))
        fees = -db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.account == "platform:fees"))
        assert site["gross"] - site["refunds"] == provider == 9999 + 3333 + 4545 - 1777
        assert site["fee"] == fees
        by_creator = {key: values for _, key, values in found.revenue("c")}
        for creator in (chen, li):
            totals = statement(db.session.get(User, creator.id), month).totals["CNY"]
            mine = by_creator[f"c:{creator.id}"]
            assert (mine["gross"], mine["refunds"], mine["fee"], mine["net"]) == (
                totals.gross, totals.refunds, totals.fee, totals.net)
        assert found.mrr["CNY"] == 4545


def test_a_creator_sees_only_their_own_revenue(app, client, sales):
    admin, chen, li = sales
    Auth(client).login(chen.email)
    page = client.get("/analytics/").get_data(as_text=True)
    with app.test_request_context("/"):
        totals = statement(db.session.get(User, chen.id), today().replace(day=1)).totals["CNY"]
    shown = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert shown["Gross"] == "CN¥133.32" and totals.gross == 13332
    assert "Python" in page and "SQL" in page  # by product, their own
    words = re.sub(r"<[^>]*>", " ", page)  # the page's text, without attributes (a CSRF token may hold "Li")
    assert "Club" not in words and not re.search(r"\bLi\b", words) and "analytics-funnel" not in page
    assert client.get("/analytics/funnel.csv").status_code == 404
    csv = client.get("/analytics/revenue.csv").get_data(as_text=True)
    assert "CNY,,,133.32,17.77," in csv


def test_the_admin_sees_revenue_by_product_and_creator(client, sales):
    admin, chen, li = sales
    Auth(client).login(admin.email)
    page = client.get("/analytics/").get_data(as_text=True)
    assert "Python" in page and "Club" in page and "Chen" in page
    products = client.get("/analytics/products.csv").get_data(as_text=True)
    assert "Club,45.45,0.00," in products
