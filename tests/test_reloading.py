"""``kpay run`` serves a ReloadingApp: the admin's change rebuilds the app before the next request."""

from __future__ import annotations

from werkzeug.test import Client

from kpay.config import ConfigError
from kpay.reloading import ReloadingApp


def test_a_reload_builds_a_fresh_app_for_the_next_request_and_a_broken_one_is_refused(make_app):
    built = []

    def build():
        if len(built) == 2:
            raise ConfigError("site_url: expected an address")
        built.append(make_app())
        return built[-1]

    served = ReloadingApp(build)
    client = Client(served)
    assert client.get("/healthz").status_code == 200 and served.app is built[0]
    served.app.extensions["kpay_reload"]()
    assert client.get("/healthz").status_code == 200 and served.app is built[1]
    assert served.app.extensions["kpay_reload"] == served.request_reload
    served.request_reload()
    assert client.get("/healthz").status_code == 200 and served.app is built[1], "the old app keeps serving"
