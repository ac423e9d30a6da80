"""kpay-hello used as a site would: enabled in config, visited, then disabled."""

import pytest

def test_hello_page_greets(make_app):
    app = make_app({"plugins": {"enabled": ["hello"]}})
    assert b"Hello!" in app.test_client().get("/hello/").data
