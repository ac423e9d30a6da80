"""Paths to the plugin's pages, also outside a request (sweeps, event handlers after commit)."""

from flask import current_app


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` on this site."""
    return current_app.url_map.bind("localhost").build(endpoint, values)
