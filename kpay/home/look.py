"""The site's look as the owner set it: the logo and a stylesheet with the chosen colours."""

from __future__ import annotations

from flask import abort, current_app, make_response, send_from_directory

from kpay.home.views import bp


@bp.route("/site/logo")
def logo():
    """The logo uploaded in Admin → Settings (404 when there is none)."""
    name = current_app.config["KPAY"]["logo"]
    if not name:
        abort(404)
    return send_from_directory(current_app.instance_path, name, max_age=300)


@bp.route("/site/theme.css")
def theme():
    """The owner's colours as CSS custom properties (validated as #rrggbb at start-up and in
    the admin, so they are safe to write into CSS)."""
    config = current_app.config["KPAY"]
    rules = []
    if config["brand_color"]:
        rules.append(f"--brand: {config['brand_color']};")
    if config["accent_color"]:
        rules.append(f"--accent: {config['accent_color']};")
    css = ":root { " + " ".join(rules) + " }\n"
    if config["brand_color"]:
        css += ".site-header .brand { color: var(--brand); }\n.site-header { border-top: 4px solid var(--brand); }\n"
    response = make_response(css)
    response.mimetype = "text/css"
    response.cache_control.max_age = 300
    return response
