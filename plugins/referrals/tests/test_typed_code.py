"""An invite code typed in the sign-up or checkout form (the ``signup.form`` and
``checkout.form`` slots): it attributes the member, a bad one is ignored, one's own refused."""

from __future__ import annotations

import re

import sqlalchemy as sa

from kpay.extensions import db
from kpay.testing import PASSWORD, csrf_token
from plugins.referrals.models import Attribution
from plugins.referrals.tests.conftest import code_of, login, pay, sign_up_through


def referrer_of(app, user_id: int):
    with app.app_context():
        return db.session.scalar(sa.select(Attribution.referrer_id).where(Attribution.invitee_id == user_id))


def sign_up(app, email: str, code: str, client=None):
    client = client or app.test_client()
    page = client.get("/signup")
    assert 'name="referral_code"' in page.get_data(as_text=True)
    response = client.post("/signup", data={"email": email, "display_name": "Bo", "password": PASSWORD,
                                            "referral_code": code, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalar(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email})


def test_a_code_typed_at_sign_up_attributes_and_wins_over_the_link_cookie(app, make_user, product):
    alice, carol = make_user(name="Alice"), make_user(name="Carol")
    bo = sign_up(app, "bo@example.com", " " + code_of(app, alice).upper() + " ")
    assert referrer_of(app, bo) == alice.id
    with app.app_context():
        assert db.session.scalar(sa.select(Attribution.channel).where(Attribution.invitee_id == bo)) == "code"
    client = app.test_client()
    client.get(f"/invite/{code_of(app, carol)}")  # Carol's link, then Alice's code typed
    dan = sign_up(app, "dan@example.com", code_of(app, alice), client)
    assert referrer_of(app, dan) == alice.id
    eve = sign_up(app, "eve@example.com", "not-a-code")  # ignored, the sign-up goes on
    assert referrer_of(app, eve) is None


def test_a_code_typed_at_checkout_attributes_a_member_nobody_invited_once(app, make_user, product):
    alice, bo, carol = make_user(name="Alice"), make_user(name="Bo"), make_user(name="Carol")
    client = login(app, bo)

    def checkout(code: str):
        page = client.get(f"/shop/{product}")
        html = page.get_data(as_text=True)
        nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="nonce"[^>]*value="([^"]+)"', html)
        return html, client.post(f"/shop/{product}/checkout", data={
            "csrf_token": csrf_token(page), "nonce": nonce.group(1), "provider": "sandbox", "referral_code": code,
        })

    html, response = checkout(code_of(app, bo))  # one's own code: refused, nothing attributed
    assert 'name="referral_code"' in html and referrer_of(app, bo.id) is None
    assert "your own code" in client.get("/").get_data(as_text=True)
    html, response = checkout(code_of(app, alice))
    assert response.status_code in (302, 303) and referrer_of(app, bo.id) == alice.id
    html, _response = checkout(code_of(app, carol))  # fixed once: the field is gone, a forged post changes nothing
    assert 'name="referral_code"' not in html and referrer_of(app, bo.id) == alice.id
    pay(app, bo.id, product)
    page = login(app, alice).get("/invite").get_data(as_text=True)
    assert re.search(r"data-pending>\s*(CN)?¥10\.00", page), re.findall(r"data-pending>[^<]*", page)
