"""What members, visitors and admins see and do: links and codes, counters that replays do not
inflate, posters whose QR code reads back, payouts approved by a second admin, the operator's
figures and tree, and every route refusing outsiders."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
import zxingcpp
from PIL import Image

from kpay.extensions import db
from kpay.models import ActivityEvent
from kpay.models.commerce import Product
from kpay.testing import assert_migrations_match_models, assert_outsiders_see_nothing, csrf_token
from plugins.referrals import codes, payouts, rewards
from plugins.referrals.models import Attribution, Payout, Share, Visit
from plugins.referrals.tests.conftest import (
    code_of, ledger_sums_to_zero, login, pay, referrals_config, sign_up_through, sweep,
)


def test_migrations_match_models():
    assert_migrations_match_models("referrals")


def test_codes_read_back_and_forged_or_malformed_ones_are_ignored(app):
    with app.test_request_context():
        code = codes.code_for(12345)
        assert codes.user_id_of(code) == 12345
        assert codes.user_id_of(code.upper().replace("-", " ")) == 12345
        assert codes.user_id_of(code[:-1] + ("a" if code[-1] != "a" else "b")) is None
        for junk in ("", "-", "x" * 40, "../../etc", "<script>", "9-zzzz"):
            assert codes.user_id_of(junk) is None


def test_unknown_code_and_foreign_target_are_ignored_without_error(app, make_user):
    client = app.test_client()
    response = client.get("/invite/nonsense?to=https://evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/signup"
    alice = make_user(name="Alice")
    response = client.get(f"/invite/{code_of(app, alice)}?to=//evil.example/x")
    assert response.headers["Location"] == "/signup"
    response = client.get(f"/invite/{code_of(app, alice)}?to=/courses/")
    assert response.headers["Location"] == "/courses/"


def test_a_visit_is_counted_once_per_device_item_and_day(app, make_user):
    alice = make_user(name="Alice")
    client = app.test_client()
    for _ in range(3):
        client.get(f"/invite/{code_of(app, alice)}?to=/courses/")
    app.test_client().get(f"/invite/{code_of(app, alice)}?to=/courses/")  # another device
    with app.app_context():
        visitors = db.session.scalars(sa.select(Visit.visitor)).all()
    assert len(visitors) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", v) for v in visitors)


def test_typed_code_attributes_the_sign_up_and_ones_own_code_is_refused(app, make_user):
    alice = make_user(name="Alice")
    client = app.test_client()
    page = client.get("/invite")
    assert "Were you invited?" in page.get_data(as_text=True)
    bad = client.post("/invite", data={"code": "zz-0000", "csrf_token": csrf_token(page)})
    assert bad.status_code == 422 and "This code is not valid" in bad.get_data(as_text=True)
    good = client.post("/invite", data={"code": code_of(app, alice).upper(), "csrf_token": csrf_token(page)})
    assert good.headers["Location"] == "/signup"
    bo = sign_up_through(app, make_user(name="Nobody"), "bo@example.com", client=client)  # a later touch wins
    with app.app_context():
        assert db.session.scalar(sa.select(Attribution.channel).where(Attribution.invitee_id == bo.id)) == "link"
    own = login(app, alice)
    page = own.get("/invite")
    refused = own.post("/invite", data={"code": code_of(app, alice), "csrf_token": csrf_token(page)})
    assert refused.status_code == 422 and "This is your own code" in refused.get_data(as_text=True)


def test_member_page_shows_link_code_qr_and_figures(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    pay(app, bo.id, product)
    html = login(app, alice).get("/invite").get_data(as_text=True)
    assert code_of(app, alice) in html and "<svg" in html
    assert re.search(r"data-pending>\s*¥10\.00", html) or "¥10.00" in html
    assert 'data-reward-status="held"' in html


def test_shares_are_counted_once_a_day_and_weibo_opens_with_the_members_link(app, make_user):
    alice = make_user(name="Alice")
    client = login(app, alice)
    token = csrf_token(client.get("/invite"))
    for _ in range(2):
        response = client.post("/referrals/share", data={"csrf_token": token, "item": "/courses/1", "channel": "weibo",
                                                         "title": "Python 入门"})
    assert response.headers["Location"].startswith("https://service.weibo.com/share/share.php?url=")
    assert code_of(app, alice) in response.headers["Location"]
    assert client.post("/referrals/share", data={"csrf_token": token, "item": "https://evil.example/",
                                                 "channel": "copy"}, headers={"HX-Request": "true"}).status_code == 204
    assert client.post("/referrals/share", data={"csrf_token": token, "item": "/", "channel": "bogus"}).status_code == 400
    with app.app_context():
        assert sorted(db.session.execute(sa.select(Share.item, Share.channel)).all()) == [
            ("/", "copy"), ("/courses/1", "weibo")]
        shared = db.session.scalars(sa.select(ActivityEvent.data).where(ActivityEvent.name == "referral.shared")).all()
        assert sorted(data["item"] for data in shared) == ["/", "/courses/1"]  # once each, for analytics


def test_a_product_and_a_live_lecture_have_a_share_sheet_with_the_members_code(make_app):
    from kpay.cli import cli
    from kpay.models import User
    from kpay.testing import Auth
    from kpay.testing.live import DEMO_PASSWORD
    from plugins.referrals.tests.conftest import referrals_config

    config = referrals_config()
    config["plugins"]["enabled"].append("lectures")
    app = make_app(config)
    assert app.test_cli_runner().invoke(cli, ["demo"]).exit_code == 0
    with app.app_context():
        first = lambda sql: db.session.scalar(sa.text(sql))  # noqa: E731
        pages = [f"/shop/{first('SELECT min(id) FROM products')}", f"/live/{first('SELECT min(id) FROM lectures_lectures')}"]
        mei = db.session.scalar(sa.select(User).where(User.email == "member@example.com"))
    client = app.test_client()
    Auth(client).login("member@example.com", DEMO_PASSWORD)
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        link = re.search(r'id="share-link" class="share-link" type="text" readonly value="([^"]+)"', html)
        assert link and f"/invite/{code_of(app, mei)}?to=" in link[1] and "Download the poster" in html, path


def test_each_member_shares_their_own_link_and_a_renamed_product_at_once_in_another_worker(app, make_app, product,
                                                                                       make_user):
    first, second = make_user(), make_user()
    other_worker = make_app(referrals_config())
    url = f"/shop/{product}"

    def sheet(client) -> str:
        return re.search(r'<div class="share-sheet".*?</div>', client.get(url).get_data(as_text=True), re.S).group(0)

    for member in (first, second, first):  # kept per process: each member's own link and token
        shown = sheet(login(app, member))
        link = re.search(r'id="share-link"[^>]*value="([^"]+)"', shown).group(1)
        assert f"/invite/{code_of(app, member)}?to=" in link
        assert 'name="title" value="Python 入门"' in shown and "kpay-csrf-token" not in shown
        assert re.search(r'name="csrf_token" value="[^"]+"', shown)
    visitor = sheet(app.test_client())
    assert f'value="http://localhost/shop/{product}"' in visitor and "poster" not in visitor

    reader = login(other_worker, first)
    assert 'name="title" value="Python 入门"' in sheet(reader)
    with app.app_context():
        db.session.execute(sa.update(Product).where(Product.id == product).values(name="Python 进阶"))
        db.session.commit()
    assert 'name="title" value="Python 进阶"' in sheet(reader)


def test_poster_is_a_png_whose_qr_code_opens_the_members_link(app, make_user):
    alice = make_user(name="Alice 小美")
    client = login(app, alice)
    html = client.get("/invite").get_data(as_text=True)
    poster_url = re.search(r'href="(/referrals/poster\.png\?s=[^"]+)"', html)[1].replace("&amp;", "&")
    response = client.get(poster_url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (750, 1150)
    found = zxingcpp.read_barcodes(image)
    assert [code.text for code in found] == [f"http://localhost/invite/{code_of(app, alice)}?via=poster"]
    assert client.get("/referrals/poster.png?s=forged").status_code == 404
    assert app.test_client().get(poster_url).status_code == 302  # visitors log in first


def _available_commission(app, member, amount):
    with app.test_request_context():
        from kpay.commerce import ledger

        ledger.post(f"test-commission:{member.id}:{amount}", "referral", "CNY",
                    {rewards.EXPENSE: amount, rewards.available_account(member.id): -amount})
        db.session.commit()


def test_a_big_payout_needs_a_second_admin_and_nobody_approves_their_own(make_app, make_user):
    from plugins.referrals.tests.conftest import referrals_config

    app = make_app(referrals_config(second_approval_minor=5000))
    admin1, admin2 = make_user("admin", name="Ada"), make_user("admin", name="Bea")
    _available_commission(app, admin1, 9000)
    client = login(app, admin1)
    page = client.get("/invite")
    form = {"csrf_token": csrf_token(page), "currency": "CNY", "nonce": "n" * 24}
    client.post("/referrals/payout", data=form)
    client.post("/referrals/payout", data=form)  # a double click
    with app.app_context():
        payout = db.session.scalar(sa.select(Payout))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1
        assert payouts.available(admin1.id, "CNY") == 0
    token = {"csrf_token": csrf_token(client.get("/referrals/admin"))}
    client.post(f"/referrals/admin/payouts/{payout.id}", data={**token, "action": "approve"})
    other = login(app, admin2)
    other_token = {"csrf_token": csrf_token(other.get("/referrals/admin"))}
    first = other.post(f"/referrals/admin/payouts/{payout.id}", data={**other_token, "action": "approve"},
                       follow_redirects=True)
    assert "a second admin must approve it too" in first.get_data(as_text=True)
    again = other.post(f"/referrals/admin/payouts/{payout.id}", data={**other_token, "action": "approve"},
                       follow_redirects=True)
    assert "A second admin must approve this payout." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Payout, payout.id).status == "requested"
    third = make_user("admin", name="Cai")
    last = login(app, third)
    last_token = {"csrf_token": csrf_token(last.get("/referrals/admin"))}
    for _ in range(2):  # a double click approves once
        last.post(f"/referrals/admin/payouts/{payout.id}", data={**last_token, "action": "approve"})
    with app.app_context():
        from kpay.commerce import ledger

        assert db.session.get(Payout, payout.id).status == "approved"
        assert ledger.balance(payouts.requested_account(admin1.id), "CNY") == 0
        assert ledger.balance(f"creator:{admin1.id}", "CNY") == -9000  # owed through commerce now
    owed = last.get("/admin/payouts").get_data(as_text=True)
    assert "Ada" in owed and "90.00" in owed  # commerce's payouts page lists the member
    form_page = last.get(f"/admin/payouts/{admin1.id}")
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', form_page.get_data(as_text=True)).group(1)
    paid = {"csrf_token": csrf_token(form_page), "nonce": nonce, "currency": "CNY", "amount": "90",
            "reference": "BANK-7"}
    for _ in range(2):  # and a resent form records one payout
        last.post(f"/admin/payouts/{admin1.id}", data=paid)
    with app.app_context():
        assert ledger.balance(f"creator:{admin1.id}", "CNY") == 0 and ledger.balance("payouts", "CNY") == -9000
    mine = client.get("/referrals/payouts").get_data(as_text=True)
    assert "BANK-7" in mine and "Approved: to be paid" in mine


def test_a_rejected_payout_request_gives_the_money_back(app, make_user):
    member, admin = make_user(name="Mo"), make_user("admin", name="Ada")
    _available_commission(app, member, 3000)
    client = login(app, member)
    client.post("/referrals/payout", data={"csrf_token": csrf_token(client.get("/invite")), "currency": "CNY",
                                           "nonce": "r" * 24})
    with app.app_context():
        payout = db.session.scalar(sa.select(Payout))
    boss = login(app, admin)
    token = {"csrf_token": csrf_token(boss.get("/referrals/admin"))}
    for _ in range(2):
        boss.post(f"/referrals/admin/payouts/{payout.id}", data={**token, "action": "reject"})
    boss.post(f"/referrals/admin/payouts/{payout.id}", data={**token, "action": "approve"})  # too late
    with app.app_context():
        assert db.session.get(Payout, payout.id).status == "rejected"
        assert payouts.available(member.id, "CNY") == 3000
        assert ledger_sums_to_zero()


def test_operator_sees_channels_k_factor_and_opens_the_tree(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    sign_up_through(app, bo, "cy@example.com")
    sweep(app)
    admin = login(app, make_user("admin"))
    html = admin.get("/referrals/admin").get_data(as_text=True)
    assert "Viral K-factor" in html and "Alice" in html
    assert re.search(r"<td data-k>\d\.\d\d</td>", html)
    branch = admin.get(f"/referrals/admin/tree/{alice.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert branch.lstrip().startswith('<ul class="referral-tree"') and "Bo" in branch and "1 invited" in branch
    assert admin.get(f"/referrals/admin/tree/{alice.id}").get_data(as_text=True).count("<html") == 1


def test_outsiders_cannot_open_the_operator_pages(app, make_user):
    member = make_user(name="Mo")
    asked = assert_outsiders_see_nothing(app, "referrals", "Viral K-factor", values={
        "code": "zz-0000", "user_id": 1, "reward_id": 1, "payout_id": 1}, member=member, member_changes_nothing=False)
    admin_routes = [status for who, _variant, url, status in asked if "/referrals/admin" in url and who == "member"]
    assert admin_routes and all(status in (403, 404, 405) for status in admin_routes)


def test_a_member_paid_their_commission_opens_the_payout_notice_and_sees_the_payout(make_app, make_user):
    from plugins.referrals.tests.conftest import referrals_config

    app = make_app(referrals_config(second_approval_minor=100000))
    member, admin = make_user(name="Mo"), make_user("admin", name="Ada")
    _available_commission(app, member, 9000)
    client = login(app, member)
    client.post("/referrals/payout", data={"csrf_token": csrf_token(client.get("/invite")), "currency": "CNY",
                                           "nonce": "m" * 24})
    with app.app_context():
        payout_id = db.session.scalar(sa.select(Payout.id))
    staff = login(app, admin)
    staff.post(f"/referrals/admin/payouts/{payout_id}",
               data={"csrf_token": csrf_token(staff.get("/referrals/admin")), "action": "approve"})
    form_page = staff.get(f"/admin/payouts/{member.id}")
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', form_page.get_data(as_text=True)).group(1)
    staff.post(f"/admin/payouts/{member.id}", data={"csrf_token": csrf_token(form_page), "nonce": nonce,
                                                    "currency": "CNY", "amount": "90", "reference": "BANK-9"})

    inbox = client.get("/notifications").get_data(as_text=True)
    notice = re.search(r'<form method="post" action="([^"]+)" class="inline">\s*<input[^>]+>\s*'
                       r'<button type="submit" class="link">A payout of [^<]*BANK-9', inbox)
    assert notice, "the member has the payout notice"
    opened = client.post(notice.group(1), data={"csrf_token": csrf_token(client.get("/notifications"))},
                         follow_redirects=True)
    assert opened.status_code == 200
    page = opened.get_data(as_text=True)
    assert "Paid to you" in page and "BANK-9" in page and "90.00" in page
