"""analytics: growth with its fitted model, funnel, engagement and community effect, revenue,
privacy-first page views, kept in daily rollups by a job."""

from pathlib import Path

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l

from kpay.api import Asset, NavItem, NotificationKind, Permission, Schedule, Widget, can, hookimpl


@hookimpl
def kpay_blueprints():
    from plugins.analytics.views import bp

    return [bp]


@hookimpl
def kpay_migration_dirs():
    import plugins.analytics.models  # noqa: F401

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_permissions():
    return [Permission("analytics.view", _l("See the site's analytics"), ("owner", "admin"))]


@hookimpl
def kpay_admin_nav_items(user):
    if can("analytics.view", user):
        return [NavItem(_l("Analytics"), "analytics.dashboard", order=15)]
    return []


@hookimpl
def kpay_widgets(slot, context, user):
    if (slot == "admin.overview" and can("analytics.view", user)) or (slot == "studio.main" and can("commerce.sell", user)):
        return [Widget(_l("Last 30 days"), order=10, lazy_url=url_for("analytics.widget"))]
    if slot == "privacy.main":
        return [Widget(_l("Page views"), order=10, template="analytics/_privacy.html")]
    return []


@hookimpl
def kpay_assets(template):
    # Every page counts its view, unless the browser asked not to be tracked (the script checks).
    return [Asset(url_for("analytics.static", filename="analytics/analytics.js"), "js"),
            *([Asset(url_for("analytics.static", filename="analytics/analytics.css"), "css")]
              if template and template.startswith("analytics/") else [])]


@hookimpl
def kpay_notification_kinds():
    return [NotificationKind("analytics.digest", _l("Weekly analytics digest"), "email", order=80)]


@hookimpl
def kpay_event(event):
    if event.name == "user.signed_up" and event.user_id is not None and has_request_context():
        from plugins.analytics.pageviews import remember_source

        remember_source(event.user_id)


@hookimpl
def kpay_schedules():
    from plugins.analytics.digest import send_digest
    from plugins.analytics.rollup import run

    return [Schedule("analytics.rollup", run, minutes=5), Schedule("analytics.digest", send_digest, at="08:00")]


@hookimpl
def kpay_cli(cli):
    from plugins.analytics.commands import analytics

    cli.add_command(analytics)


@hookimpl
def kpay_user_data(user, action):
    from plugins.analytics import member_data

    return member_data.export(user) if action == "export" else member_data.erase(user)


@hookimpl(wrapper=True)  # around the other plugins' demo data: the history happens in their circles and courses
def kpay_demo_data():
    from plugins.analytics.demo import add_history

    result = yield
    add_history()
    return result
