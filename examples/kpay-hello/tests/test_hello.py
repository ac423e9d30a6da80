"""kpay-hello used as a site uses it: enabled in config, visited, posted to, run from the CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kpay import events, points
from kpay.accounts import create_user
from kpay.cli import cli
from kpay.extensions import db
from kpay.models import User
from kpay.testing import csrf_token
from kpay_hello.models import Greeting


@pytest.fixture
def app(make_app):
    return make_app({"plugins": {"enabled": ["hello"], "hello": {"greeting": "Ni hao"}}})


def greetings(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(Greeting.text).order_by(Greeting.id)).all()


def test_hello_page_uses_the_configured_greeting_and_its_stylesheet(client):
    page = client.get("/hello/").get_data(as_text=True)
    assert '<h1 class="hello-title">Ni hao!</h1>' in page
    assert '<link rel="stylesheet" href="/hello/static/hello/hello.css?v=' in page  # versioned static URL
    assert client.get("/hello/static/hello/hello.css").status_code == 200
    assert "hello.css" not in client.get("/").get_data(as_text=True)


def test_member_posts_a_greeting_and_earns_a_point(app, client, auth, make_user):
    member = make_user()
    auth.login(member.email)
    token = csrf_token(client.get("/hello/"))
    response = client.post("/hello/", data={"text": "Hi all", "csrf_token": token})
    assert response.status_code == 302
    assert "<li>Hi all</li>" in client.get("/hello/").get_data(as_text=True)
    with app.app_context():
        assert points.balance(member) == 1


def test_htmx_post_answers_with_the_list_partial(client, auth, make_user):
    auth.login(make_user().email)
    token = csrf_token(client.get("/hello/"))
    response = client.post(
        "/hello/", data={"text": "Hey"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    body = response.get_data(as_text=True)
    assert body.startswith('<ul id="hello-greetings"') and "<li>Hey</li>" in body


def test_visitor_cannot_post_a_greeting(app, client):
    token = csrf_token(client.get("/hello/"))
    response = client.post("/hello/", data={"text": "spam", "csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert greetings(app) == []


def test_htmx_request_gets_only_the_list(client):
    response = client.get("/hello/", headers={"HX-Request": "true"})
    assert response.get_data(as_text=True).startswith('<ul id="hello-greetings"')
    assert "HX-Request" in response.headers["Vary"]
    boosted = client.get("/hello/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_lazy_widget_is_a_page_of_its_own_without_htmx(client):
    assert "<html" in client.get("/hello/latest").get_data(as_text=True)
    partial = client.get("/hello/latest", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.startswith('<section id="hello-latest"')


def test_new_member_is_welcomed_once(app):
    with app.app_context():
        mei = create_user("mei@example.com", "Mei", "correct horse battery")
        events.emit("user.signed_up", user=mei, subject=mei)
        db.session.commit()
        events.emit("user.signed_up", user=mei, subject=mei)
        db.session.commit()
    assert greetings(app) == ["Ni hao, Mei!"]


def test_kpay_hello_greet_command(app):
    result = app.test_cli_runner().invoke(cli, ["hello", "greet", "Leo"])
    assert result.exit_code == 0, result.output
    assert result.output == "Ni hao, Leo!\n"
    assert greetings(app) == ["Ni hao, Leo!"]


def test_kpay_demo_adds_bilingual_greetings(app):
    result = app.test_cli_runner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    texts = greetings(app)
    assert "Hello, everyone! Glad to be here." in texts
    assert "大家好！很高兴认识大家。" in texts


def test_kpay_demo_plugin_adds_only_its_greetings_to_a_site_with_members(app, make_user):
    make_user(email="first@example.com")
    assert "already has members" in app.test_cli_runner().invoke(cli, ["demo"]).output
    result = app.test_cli_runner().invoke(cli, ["demo", "--plugin", "hello"])
    assert (result.exit_code, result.output) == (0, "Demo data of hello added.\n")
    assert "大家好！很高兴认识大家。" in greetings(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1  # no demo members


def test_kpay_demo_plugin_names_a_plugin_that_is_off_or_has_no_demo(app):
    off = app.test_cli_runner().invoke(cli, ["demo", "--plugin", "courses"])
    assert off.exit_code == 1 and "plugin 'courses' is not enabled (kpay plugins enable courses)" in off.output


def test_greetings_are_search_documents_since_a_time(app, client, auth, make_user):
    from kpay.plugins import hook

    auth.login(make_user().email)
    client.post("/hello/", data={"text": "Hello searchers", "csrf_token": csrf_token(client.get("/hello/"))})
    with app.test_request_context():
        documents = [d for group in hook().kpay_search_documents(since=None) for d in group]
        assert [(d.kind, d.body, d.visibility, d.url) for d in documents] == [
            ("hello.greeting", "Hello searchers", "public", "/hello/")]
        later = documents[0].updated_at
        assert [d for group in hook().kpay_search_documents(since=later) for d in group] == []
