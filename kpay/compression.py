"""Responses compressed on the way out (Flask-Compress): brotli when the client asks for it,
else gzip, for HTML, CSS, JavaScript, JSON, CSV and SVG over 1 KB, in the embedded server and
under gunicorn alike. A site whose reverse proxy compresses turns it off (``compress = false``);
a response that already carries a ``Content-Encoding`` is left as it is either way.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

MIMETYPES = [
    "text/html", "text/css", "text/csv", "text/plain", "text/xml", "text/javascript", "application/javascript",
    "application/json", "application/xml", "image/svg+xml",
]


def init_app(app: Flask) -> None:
    """Compress this app's responses unless the site says a proxy does it. Call it once every
    blueprint is registered: static files of each (streamed) are compressed as they stream and
    answer conditional requests."""
    if not app.config["KPAY"]["compress"]:
        return
    app.config.update(
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "gzip"],
        COMPRESS_BR_LEVEL=4,
        COMPRESS_LEVEL=6,
        COMPRESS_STREAMING_ENDPOINT_CONDITIONAL=[
            "static", *(f"{name}.static" for name, blueprint in app.blueprints.items() if blueprint.has_static_folder)
        ],
    )
    Compress(app)
