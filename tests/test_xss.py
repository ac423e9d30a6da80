"""S8: text members write is escaped wherever the layout and core pages show it."""

from markupsafe import escape

from tests.conftest import Auth

PAYLOAD = '"><img src=x onerror=alert(1)>'


def test_hostile_display_name_is_shown_as_text_to_visitors_and_its_owner(app, make_user):
    attacker = make_user(name=PAYLOAD)
    visitor = app.test_client()
    own = app.test_client()
    Auth(own).login(attacker.email)
    pages = {
        "home to a visitor (New members)": visitor.get("/"),
        "home to its owner (header and welcome)": own.get("/"),
        "log-in page's header": own.get("/login"),
        "home requested by htmx": own.get("/", headers={"HX-Request": "true"}),
    }
    for where, response in pages.items():
        body = response.get_data(as_text=True)
        assert PAYLOAD not in body, where
        assert "<img" not in body, where
        assert str(escape(PAYLOAD)) in body, where


def test_hostile_next_parameter_is_escaped_in_log_in_form(client):
    body = client.get("/login", query_string={"next": PAYLOAD}).get_data(as_text=True)
    assert PAYLOAD not in body and "<img" not in body
