"""``kpay run``'s reloadable app: rebuilt from the configuration files when the admin changes them.

gunicorn reloads on HUP; the development server has no such signal, so the admin's change
asks this wrapper (through ``app.extensions["kpay_reload"]``) to build a fresh app before the
next request. The minute clock keeps running on the app it started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Flask

from kpay.config import ConfigError

log = logging.getLogger("kpay.reloading")


class ReloadingApp:
    """A WSGI app that serves ``build()``'s app and builds a new one when asked to."""

    def __init__(self, build: Callable[[], Flask], app: Flask | None = None):
        self._build = build
        self._lock = threading.Lock()
        self._stale = False
        self.app = self._adopt(app or build())

    def request_reload(self) -> None:
        """Build a fresh app before the next request."""
        self._stale = True

    def __call__(self, environ, start_response):
        if self._stale:
            with self._lock:
                if self._stale:
                    self._stale = False
                    try:
                        self.app = self._adopt(self._build())
                    except ConfigError as error:  # keep serving the old app; the admin sees why
                        log.error("reload refused: %s", error)
        return self.app(environ, start_response)

    def _adopt(self, app: Flask) -> Flask:
        app.extensions["kpay_reload"] = self.request_reload
        return app
