"""The WSGI entry point for gunicorn: ``gunicorn -w 4 wsgi:app``."""

import logging

from kpay.app import create_app

logging.basicConfig(level=logging.INFO)
app = create_app()
