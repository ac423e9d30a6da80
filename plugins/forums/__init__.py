"""forums: interest circles with discussions, Q&A, polls, featured topics and moderation."""

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import (
    Asset, NavItem, NotificationKind, Permission, Schedule, Setting, Widget, can, db, hookimpl,
)

# Every role: polls and links are open to all by default; an operator narrows them in [permissions].
EVERY_ROLE = ("owner", "admin", "moderator", "creator", "member")


@hookimpl
def kpay_config_defaults():
    return {
        "post_rate_limit": Setting("6/minute;60/hour", "How often one member may post (Flask-Limiter syntax)."),
        "blocked_words": Setting([], "Words that send a post to the moderation queue instead of publishing it."),
    }


@hookimpl
def kpay_blueprints():
    from plugins.forums.views import bp

    return [bp]


@hookimpl
def kpay_migration_dirs():
    # The core applies these migrations also while the plugin is disabled; loading the models
    # here keeps the metadata (autogenerate, `kpay db check`) in step with the tables they make.
    import plugins.forums.models  # noqa: F401

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_permissions():
    return [
        Permission("forums.create_circle", _l("Start an interest circle"), ("owner", "admin", "creator")),
        Permission("forums.moderate", _l("Moderate every circle"), ("owner", "admin", "moderator")),
        Permission("forums.create_poll", _l("Start a poll"), EVERY_ROLE),
        Permission("forums.post_links", _l("Put links in posts"), EVERY_ROLE),
    ]


@hookimpl
def kpay_nav_items(user):
    return [NavItem(_l("Circles"), "forums.index", order=300, icon="chat")]


@hookimpl
def kpay_widgets(slot, context, user):
    if slot == "home.main":
        return [Widget(_l("Active discussions"), order=40, lazy_url=url_for("forums.active_widget"))]
    if slot == "admin.overview" and can("forums.moderate", user):
        return [Widget(_l("Moderation queue"), order=20, lazy_url=url_for("forums.queue_widget"))]
    if slot == "learning.main" and user.is_authenticated:
        return [Widget(_l("My circles"), order=30, lazy_url=url_for("forums.my_circles_widget"))]
    if slot == "home.sidebar" and user.is_authenticated and user.role in ("owner", "admin", "moderator", "creator"):
        return [Widget(_l("Unanswered questions"), order=40, lazy_url=url_for("forums.unanswered_widget"))]
    return []


@hookimpl
def kpay_admin_nav_items(user):
    if can("forums.moderate", user):
        return [NavItem(_l("Moderation queue"), "forums.site_queue", order=50)]
    return []


@hookimpl
def kpay_assets(template):
    if template and template.startswith("forums/") or template == "home/index.html":
        return [Asset(url_for("forums.static", filename="forums/forums.css"), "css")]
    return []


@hookimpl
def kpay_notification_kinds():
    return [
        NotificationKind("forums.mention", _l("Mentions in circles"), "in_app", order=30),
        NotificationKind("forums.reply", _l("New posts in topics and circles I watch"), "in_app", order=31),
        NotificationKind("forums.activity", _l("Accepted answers"), "in_app", order=32),
        NotificationKind("forums.best_of", _l("Weekly best of my circles"), "digest", order=33),
        NotificationKind("forums.flags", _l("Posts flagged in circles I moderate"), "in_app", order=34),
    ]


@hookimpl
def kpay_resource_products(resource):
    from plugins.forums.models import Circle

    if resource.kind != "circle":
        return None
    circle = db.session.get(Circle, int(resource.id))
    return [circle.product_id] if circle is not None and circle.product_id else []


@hookimpl
def kpay_resources(keys):
    from plugins.forums.access import resources

    return resources(keys)


@hookimpl
def kpay_schedules():
    from plugins.forums.best_of import send_best_of

    return [Schedule("forums.best_of", send_best_of, minutes=60)]


@hookimpl
def kpay_search_documents(since):
    from plugins.forums.search_docs import documents

    return documents(since)


@hookimpl
def kpay_user_data(user, action):
    from plugins.forums import member_data

    if action == "export":
        return member_data.export(user)
    member_data.erase(user)
    return None


@hookimpl(trylast=True)  # after commerce's demo, whose membership product the paid circle uses
def kpay_demo_data():
    from plugins.forums.demo import add_demo_circles

    add_demo_circles()


@hookimpl(optionalhook=True)  # declared by the recommendations plugin, when it runs
def kpay_recs_items(item):
    from plugins.forums.recs import items

    return items(item)


@hookimpl(optionalhook=True)
def kpay_recs_signals(signal):
    from plugins.forums.recs import signals

    return signals(signal)
