"""kpay.testing, the kit plugin authors test with: its checks fail when they should."""

from __future__ import annotations

import types

import pytest
from flask import Blueprint, request
from flask_login import current_user

from kpay import hookimpl
from kpay.testing import assert_migrations_match_models, assert_outsiders_see_nothing


def leaky_plugin() -> types.ModuleType:
    """A plugin whose secret shows in its htmx partial to anyone logged in, and whose
    ``boom`` route fails on a POST."""
    bp = Blueprint("leaky", __name__)

    @bp.route("/<int:item_id>")
    def item(item_id):
        if request.headers.get("HX-Request") and current_user.is_authenticated:
            return "CANARY-LEAKY-SECRET"
        return "locked", 403

    @bp.route("/boom", methods=["POST"])
    def boom():
        raise RuntimeError("boom")

    module = types.ModuleType("leaky")
    module.kpay_blueprints = hookimpl(lambda: [bp])
    return module


def test_the_outsider_check_names_each_leak_and_failure(make_app, make_user):
    app = make_app(plugins=[leaky_plugin()])
    with pytest.raises(AssertionError) as failed:
        assert_outsiders_see_nothing(app, "leaky", "CANARY-LEAKY-SECRET", {"item_id": 7}, member=make_user())
    report = str(failed.value)
    assert "member htmx GET /leaky/7: 200, showed ['CANARY-LEAKY-SECRET']" in report
    assert "member boosted GET /leaky/7" in report and "visitor htmx" not in report
    assert "visitor post POST /leaky/boom: 500" in report


def test_the_outsider_check_asks_for_the_values_a_route_needs(make_app):
    app = make_app(plugins=[leaky_plugin()])
    with pytest.raises(AssertionError, match="/leaky/<int:item_id>: give values for item_id"):
        assert_outsiders_see_nothing(app, "leaky", "x")


def test_the_migrations_of_kpay_hello_match_its_models():
    assert_migrations_match_models("hello")
