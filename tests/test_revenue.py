"""Creator revenue: the monthly statement (page and CSV), fee overrides, and payouts."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from kpay.commerce import ledger
from kpay.extensions import db
from kpay.models import AuditEntry, Notification, User
from kpay.models.commerce import Payout
from tests.commerce_helpers import buy_paid, errors_beside, make_product, post_form, refund
from tests.conftest import Auth

FIGURES = ("Gross", "Refunds", "Platform fee", "Net", "Paid out", "Owed at the end of the month")

# Sales made "now" are read back as this month's statement: not across a real month end.
pytestmark = pytest.mark.usefixtures("at_noon")


@pytest.fixture
def creator(make_user):
    return make_user("creator", email="chen@example.com", name="Teacher Chen")


@pytest.fixture
def admin(make_user):
    return make_user("admin", email="boss@example.com", name="Boss")


def figures(response) -> dict[str, str]:
    """The statement's totals as shown: {"Gross": "CN¥100.00", ...}."""
    text = response.get_data(as_text=True)
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", text))


def csv_rows(response) -> list[dict]:
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def pay_out(client, creator_id: int, amount: str, reference="BANK-1"):
    form = {"currency": "CNY", "amount": amount, "reference": reference}
    return post_form(client, f"/admin/payouts/{creator_id}", form)


def sell_refund_and_pay_out(app, client, make_user, creator, admin):
    """A 100.00 sale, 30.00 of it refunded, and a 50.00 payout the admin records."""
    order_id = buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    refund(app, order_id, 3000, admin)
    Auth(client).login(admin.email)
    assert pay_out(client, creator.id, "50").status_code == 302
    Auth(client).logout()


def test_statement_shows_gross_refunds_fee_net_and_paid_out(app, client, auth, make_user, creator, admin):
    sell_refund_and_pay_out(app, client, make_user, creator, admin)
    auth.login(creator.email)
    page = client.get("/studio/revenue")
    assert page.status_code == 200
    # fee 10% of 100.00 less the 3.00 given back with the 30.00 refund; owed 90 - 27 - 50
    assert figures(page) == {
        "Gross": "CN¥100.00", "Refunds": "CN¥30.00", "Platform fee": "CN¥7.00", "Net": "CN¥63.00",
        "Paid out": "CN¥50.00", "Owed at the end of the month": "CN¥13.00",
    }
    text = page.get_data(as_text=True)
    assert "Python for Beginners" in text and "BANK-1" in text


def test_csv_has_one_row_per_payment_refund_and_payout_with_the_same_figures(
        app, client, auth, make_user, creator, admin):
    sell_refund_and_pay_out(app, client, make_user, creator, admin)
    auth.login(creator.email)
    month = datetime.now(UTC).strftime("%Y-%m")
    response = client.get(f"/studio/revenue.csv?month={month}")
    assert f"revenue-{month}" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert [(r["type"], r["product"], r["amount"], r["platform_fee"], r["net"], r["currency"], r["reference"])
            for r in rows] == [
        ("payment", "Python for Beginners", "100.00", "10.00", "90.00", "CNY", ""),
        ("refund", "Python for Beginners", "-30.00", "-3.00", "-27.00", "CNY", ""),
        ("payout", "", "-50.00", "0.00", "-50.00", "CNY", "BANK-1"),
    ]
    sales = [r for r in rows if r["type"] != "payout"]
    assert sum(Decimal(r["platform_fee"]) for r in sales) == Decimal("7.00")
    assert sum(Decimal(r["net"]) for r in sales) == Decimal("63.00")


def test_a_creators_own_fee_replaces_the_platform_fee(make_app, make_user):
    app = make_app({"commerce": {"creator_fees": ["chen@example.com=5"]}})
    creator = make_user("creator", email="chen@example.com")
    other = make_user("creator", email="li@example.com")
    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    buy_paid(app, make_user(), make_product(app, other, price_minor=10000))
    client = app.test_client()
    Auth(client).login(creator.email)
    assert figures(client.get("/studio/revenue"))["Platform fee"] == "CN¥5.00"
    Auth(client).logout()
    Auth(client).login(other.email)
    assert figures(client.get("/studio/revenue"))["Platform fee"] == "CN¥10.00"


def test_months_run_midnight_to_midnight_in_the_site_time_zone(make_app, make_user):
    app = make_app({"timezone": "Asia/Shanghai"})
    creator = make_user("creator")
    product_id = make_product(app, creator, price_minor=10000)
    with time_machine.travel(datetime(2026, 3, 31, 17, 0, tzinfo=UTC), tick=False):  # 1 April, 01:00 in Shanghai
        buy_paid(app, make_user(), product_id)
    client = app.test_client()
    Auth(client).login(creator.email)
    assert "Gross" not in figures(client.get("/studio/revenue?month=2026-03"))
    april = client.get("/studio/revenue?month=2026-04")
    assert figures(april)["Gross"] == "CN¥100.00"
    assert csv_rows(client.get("/studio/revenue.csv?month=2026-04"))[0]["date"] == "2026-04-01T01:00:00+08:00"


def test_the_statement_defaults_to_this_month_and_links_the_months_around_it(app, client, auth, creator):
    with time_machine.travel(datetime(2026, 1, 15, tzinfo=UTC)):
        auth.login(creator.email)
        text = client.get("/studio/revenue").get_data(as_text=True)
    assert 'value="2026-01"' in text
    assert "month=2025-12" in text and "month=2026-02" in text


def test_a_month_that_is_not_one_shows_the_message_beside_the_field(app, client, auth, creator):
    auth.login(creator.email)
    response = client.get("/studio/revenue?month=2026-13")
    assert response.status_code == 422
    assert "Pick a month." in errors_beside(response, "month")
    assert client.get("/studio/revenue.csv?month=2026-13").status_code == 400


def test_creators_see_only_their_own_statement_and_admins_any(app, client, auth, make_user, creator, admin):
    other = make_user("creator", name="Teacher Li")
    buy_paid(app, make_user(), make_product(app, other, price_minor=5000, name="Li's course"))
    auth.login(creator.email)
    assert client.get(f"/studio/revenue?creator={other.id}").status_code == 404
    assert client.get(f"/studio/revenue.csv?creator={other.id}").status_code == 404
    assert "Gross" not in figures(client.get("/studio/revenue"))
    auth.logout()
    auth.login(admin.email)
    page = client.get(f"/studio/revenue?creator={other.id}")
    assert figures(page)["Gross"] == "CN¥50.00" and "Teacher Li" in page.get_data(as_text=True)
    assert csv_rows(client.get(f"/studio/revenue.csv?creator={other.id}"))[0]["amount"] == "50.00"


def test_payouts_list_the_creators_owed_and_record_a_payout(app, client, auth, make_user, creator, admin):
    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    auth.login(admin.email)
    listing = client.get("/admin/payouts").get_data(as_text=True)
    assert "Teacher Chen" in listing and "CN¥90.00" in listing
    assert pay_out(client, creator.id, "40.50", "ICBC 0042").status_code == 302
    with app.app_context():
        [payout] = db.session.scalars(sa.select(Payout)).all()
        assert (payout.creator_id, payout.amount_minor, payout.reference, payout.actor_id) == (
            creator.id, 4050, "ICBC 0042", admin.id)
        assert ledger.balance(ledger.creator_account(creator.id), "CNY") == -4950
        assert ledger.balance(ledger.PAYOUTS, "CNY") == -4050
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "payout.recorded"))
        assert (entry.actor_id, entry.after["amount_minor"]) == (admin.id, 4050)
        told = db.session.scalar(sa.select(Notification).where(Notification.user_id == creator.id))
        assert (told.kind, told.url) == ("purchases", "/studio/revenue")
        assert "CN¥40.50" in told.text and "ICBC 0042" in told.text
    assert "CN¥49.50" in client.get("/admin/payouts").get_data(as_text=True)


def test_a_payout_form_sent_twice_records_one_payout(app, client, auth, make_user, creator, admin):
    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    auth.login(admin.email)
    page = client.get(f"/admin/payouts/{creator.id}").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|nonce)"[^>]*value="([^"]+)"', page))
    form = {**fields, "currency": "CNY", "amount": "90", "reference": "BANK-1"}
    assert client.post(f"/admin/payouts/{creator.id}", data=form).status_code == 302
    again = client.post(f"/admin/payouts/{creator.id}", data=form, follow_redirects=True)
    assert "This payout was already recorded." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1


@pytest.mark.parametrize("amount, message", [
    ("90.01", "This is more than the creator is owed."),
    ("0", "A payout must be more than zero."),
    ("-1", "not less than zero"),
])
def test_a_payout_above_what_is_owed_is_refused_beside_the_amount(
        app, client, auth, make_user, creator, admin, amount, message):
    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    auth.login(admin.email)
    response = pay_out(client, creator.id, amount)
    assert response.status_code == 422
    assert message in errors_beside(response, "amount")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_only_admins_record_payouts(app, client, auth, make_user, creator):
    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    auth.login(creator.email)
    assert client.get("/admin/payouts").status_code == 403
    assert client.get(f"/admin/payouts/{creator.id}").status_code == 403
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    response = client.post(f"/admin/payouts/{creator.id}", data={
        "csrf_token": token, "nonce": "x" * 24, "currency": "CNY", "amount": "90", "reference": "mine"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_month_bounds_are_the_site_zones_midnights(make_app):
    from kpay.commerce.revenue import month_bounds

    app = make_app({"timezone": "Asia/Shanghai"})
    with app.app_context():
        start, end = month_bounds(date(2026, 12, 1))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))


def test_payouts_at_once_never_pay_more_than_is_owed(app, make_user, creator, admin):
    """Six admins' forms for 40.00 each arrive together while 90.00 is owed: two are recorded."""
    from kpay.commerce.payouts import PayoutRefused, record_payout

    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    barrier = threading.Barrier(6)
    results = []

    def pay(n):
        with app.test_request_context("/", method="POST"):
            barrier.wait(timeout=10)
            try:
                record_payout(db.session.get(User, creator.id), 4000, "CNY", f"BANK-{n}", f"form-{n}",
                              db.session.get(User, admin.id))
                time.sleep(0.1)  # hold the transaction open while the others try
                db.session.commit()
                results.append("paid")
            except PayoutRefused:
                db.session.rollback()
                results.append("refused")

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["paid"] * 2 + ["refused"] * 4
    with app.app_context():
        assert ledger.balance(ledger.creator_account(creator.id), "CNY") == -1000


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(app, client, auth, make_user, creator):
    buy_paid(app, make_user(), make_product(app, creator, name='=HYPERLINK("http://evil.example")'))
    auth.login(creator.email)
    [row] = csv_rows(client.get("/studio/revenue.csv"))
    assert row["product"] == "'=HYPERLINK(\"http://evil.example\")"


def test_a_refund_gives_back_the_fee_charged_even_after_the_fee_changed(app, client, auth, make_user, creator):
    order_id = buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))  # 10% then
    app.config["KPAY"]["commerce"]["creator_fees"] = ["chen@example.com=5"]
    refund(app, order_id, 10000)
    auth.login(creator.email)
    assert figures(client.get("/studio/revenue")) == {
        "Gross": "CN¥100.00", "Refunds": "CN¥100.00", "Platform fee": "CN¥0.00", "Net": "CN¥0.00",
        "Paid out": "CN¥0.00", "Owed at the end of the month": "CN¥0.00",
    }


def day_rows(response) -> list[tuple[str, ...]]:
    """The "By day" table's rows as shown: (date, gross, refunds, fee, net, paid out)."""
    text = response.get_data(as_text=True)
    table = text.split('class="statement-days"', 1)[1].split("</table>", 1)[0]
    return [tuple(re.findall(r"<td>([^<]*)</td>", row)) for row in re.findall(r"<tr><td>.*?</tr>", table)]


def line_orders(response) -> list[int]:
    """The order numbers of the statement's lines on this page, in order."""
    table = response.get_data(as_text=True).split('class="statement-lines"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'<small class="muted">#(\d+)</small>', table)]


def test_the_month_is_shown_day_by_day_in_the_site_time_zone(make_app, make_user):
    app = make_app({"timezone": "Asia/Shanghai"})
    creator, admin = make_user("creator"), make_user("admin")
    product_id = make_product(app, creator, price_minor=10000)
    with time_machine.travel(datetime(2026, 3, 2, 15, 30, tzinfo=UTC), tick=False):  # 2 March, 23:30 in Shanghai
        first = buy_paid(app, make_user(), product_id)
    with time_machine.travel(datetime(2026, 3, 2, 16, 30, tzinfo=UTC), tick=False):  # 3 March, 00:30
        buy_paid(app, make_user(), product_id)
        buy_paid(app, make_user(), product_id)
    with time_machine.travel(datetime(2026, 3, 20, 4, tzinfo=UTC), tick=False):
        refund(app, first, 4000, admin)
    client = app.test_client()
    Auth(client).login(creator.email)
    page = client.get("/studio/revenue?month=2026-03")
    assert day_rows(page) == [
        ("2026-03-02", "CN¥100.00", "CN¥0.00", "CN¥10.00", "CN¥90.00", "CN¥0.00"),
        ("2026-03-03", "CN¥200.00", "CN¥0.00", "CN¥20.00", "CN¥180.00", "CN¥0.00"),
        ("2026-03-20", "CN¥0.00", "CN¥40.00", "-CN¥4.00", "-CN¥36.00", "CN¥0.00"),
    ]
    assert figures(page) == {
        "Gross": "CN¥300.00", "Refunds": "CN¥40.00", "Platform fee": "CN¥26.00", "Net": "CN¥234.00",
        "Paid out": "CN¥0.00", "Owed at the end of the month": "CN¥234.00",
    }
    assert "<td>2026-03-02 23:30</td>" in page.get_data(as_text=True)  # a line's time, in the site's zone
    assert "Gross" not in figures(client.get("/studio/revenue?month=2026-02"))
    april = figures(client.get("/studio/revenue?month=2026-04"))
    assert (april["Gross"], april["Owed at the end of the month"]) == ("CN¥0.00", "CN¥234.00")


def test_lines_come_a_page_at_a_time_and_the_csv_has_them_all(app, client, auth, make_user, creator, admin):
    from kpay.commerce.revenue import PER_PAGE

    product_id = make_product(app, creator, price_minor=1000)
    sold = [buy_paid(app, make_user(), product_id) for _ in range(PER_PAGE + 7)]
    auth.login(creator.email)
    first = client.get("/studio/revenue")
    assert line_orders(first) == sold[:PER_PAGE]
    more = re.search(r'href="([^"]+)#lines" rel="next">More lines<', first.get_data(as_text=True))
    second = client.get(more.group(1).replace("&amp;", "&"))
    assert line_orders(second) == sold[PER_PAGE:]
    assert "More lines" not in second.get_data(as_text=True)
    assert figures(second) == figures(first)
    assert figures(first)["Gross"] == f"CN¥{10 * len(sold)}.00"
    rows = csv_rows(client.get("/studio/revenue.csv"))
    assert [int(r["order"]) for r in rows] == sold
    assert {(r["type"], r["amount"], r["platform_fee"], r["net"]) for r in rows} == {("payment", "10.00", "1.00", "9.00")}


def test_a_cursor_that_is_not_one_shows_the_first_lines(app, client, auth, make_user, creator):
    order_id = buy_paid(app, make_user(), make_product(app, creator))
    auth.login(creator.email)
    for cursor in ("nonsense", "99999999999999999999-1", "20261301000000000000-5"):
        page = client.get(f"/studio/revenue?after={cursor}")
        assert page.status_code == 200 and line_orders(page) == [order_id]


def test_the_csv_streams_in_chunks_that_add_up_to_the_whole(app, make_user, creator):
    from kpay.commerce.revenue import _csv_rows, month_bounds

    product_id = make_product(app, creator, price_minor=1000)
    for _ in range(9):
        buy_paid(app, make_user(), product_id)
    with app.test_request_context("/"):
        month = datetime.now(UTC).date().replace(day=1)
        account = ledger.creator_account(creator.id)
        chunks = list(_csv_rows(account, *month_bounds(month), chunk=4))
        whole = "".join(_csv_rows(account, *month_bounds(month)))
    assert len(chunks) == 3 and "".join(chunks) == whole
    assert whole.count("\r\n") == 10  # the header and nine payments
