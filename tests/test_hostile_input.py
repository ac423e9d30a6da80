"""F17: hostile input is a 4xx: control characters are refused beside the field (and never
reach the database), out-of-range ids in URLs are 404, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import flask_wtf
import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.forms import FlaskForm
from kpay.models import User
from tests.conftest import PASSWORD, csrf_token

REFUSED = "Remove the control characters (such as NUL) from this field."


def test_a_nul_in_the_login_email_is_refused_beside_the_field(client, make_user):
    make_user(email="ada@example.com")
    answer = client.post("/login", data={
        "email": "ada@example.com\x00", "password": PASSWORD, "csrf_token": csrf_token(client.get("/login")),
    })
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert REFUSED in page and 'id="email-errors"' in page


def save_profile(client, auth, user, **fields):
    auth.login(user.email)
    token = csrf_token(client.get("/account/profile"))
    return client.post("/account/profile", data={"csrf_token": token, **fields})


def test_control_characters_in_a_bio_are_refused_and_nothing_is_saved(app, client, auth, make_user):
    user = make_user()
    answer = save_profile(client, auth, user, display_name="Ada\x07", bio="tab\tand\r\nnewline stay, \x00 does not")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert page.count(REFUSED) == 2
    with app.app_context():
        assert db.session.scalar(sa.select(User.bio).where(User.id == user.id)) in ("", None)


def test_tab_and_newlines_are_kept(app, client, auth, make_user):
    user = make_user()
    answer = save_profile(client, auth, user, display_name="Ada", bio="one\ttwo\r\nthree")
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(User.bio).where(User.id == user.id)).split() == ["one", "two", "three"]


@pytest.mark.parametrize("query", ["?next=%00", "?q=%00%01abc", "?page=%00"])
def test_control_characters_in_query_strings_are_no_error(client, query):
    assert client.get("/" + query).status_code < 500
    assert client.get("/login" + query).status_code < 500


@pytest.mark.parametrize("path", [
    "/shop/9223372036854775808", "/shop/99999999999999999999", "/orders/2147483648",
    "/u/2147483648", "/%00", "/confirm/abc%00def",
])
def test_out_of_range_ids_and_control_characters_in_paths_are_404(client, auth, make_user, path):
    auth.login(make_user().email)
    assert client.get(path).status_code == 404


def test_posting_to_an_out_of_range_id_is_404(client, auth, make_user):
    auth.login(make_user().email)
    token = csrf_token(client.get("/"))
    assert client.post("/orders/2147483648/cancel", data={"csrf_token": token}).status_code == 404


def test_every_form_refuses_control_characters():
    """Every form class in KPay and its plugins is built on kpay.forms.FlaskForm."""
    import plugins.courses.forms
    import plugins.forums.forms
    import plugins.pay_manual.forms  # noqa: F401

    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    outside = [f"{c.__module__}.{c.__name__}" for c in every(flask_wtf.FlaskForm)
               if not issubclass(c, FlaskForm) and c.__module__.startswith(("kpay", "plugins"))]
    assert outside == []
