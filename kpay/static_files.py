"""Static files under versioned URLs, cached by browsers for a year.

Every ``url_for`` of a static file (the core's or a plugin blueprint's) gets ``?v=`` and the
first characters of the file's SHA-256, so a changed file has a new URL; a request carrying the
current version is answered ``Cache-Control: public, max-age=31536000, immutable`` (one without it, an hour in
production). Hashes are remembered per process by path, size and modification time.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, current_app, request
from werkzeug.security import safe_join

YEAR = 60 * 60 * 24 * 365


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_for_a_year)


def _folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.removesuffix(".static"))
    return blueprint.static_folder if blueprint is not None else None


def version(app: Flask, endpoint: str, filename: str) -> str | None:
    """The version of a static file, or None when there is no such file."""
    folder = _folder(app, endpoint)
    path = safe_join(folder, filename) if folder else None
    try:
        found = os.stat(path) if path else None
    except OSError:
        return None
    return _digest(path, found.st_size, found.st_mtime_ns) if found else None


@lru_cache(maxsize=512)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def _add_version(endpoint: str, values: dict) -> None:
    if (endpoint == "static" or endpoint.endswith(".static")) and "filename" in values and "v" not in values:
        found = version(current_app, endpoint, values["filename"])
        if found:
            values["v"] = found


def _cache_for_a_year(response):
    endpoint = request.endpoint or ""
    if (endpoint == "static" or endpoint.endswith(".static")) and response.status_code == 200 and "v" in request.args:
        if request.args["v"] == version(current_app, endpoint, request.view_args.get("filename", "")):
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
