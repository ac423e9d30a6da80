"""lectures: live lectures held in a meeting service the organizer already uses: scheduling in
the organizer's zone, RSVP with a waiting list, reminders, calendar files, questions and replays."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from kpay.api import (
    Asset, NavItem, NotificationKind, Permission, Schedule, Setting, UploadFolder, Widget, can, hookimpl,
)

__version__ = "1.0"


@hookimpl
def kpay_addhooks(pm):
    from plugins.lectures.providers import MeetingProviderSpec

    pm.add_hookspecs(MeetingProviderSpec)


@hookimpl
def kpay_config_defaults():
    return {
        "link_minutes_before": Setting(15, "How many minutes before the start confirmed attendees see the meeting "
                                           "link.", min=0, max=24 * 60),
        "reminder_minutes": Setting(["1440", "15"], "Minutes before the start at which attendees are reminded.",
                                    validate=_minutes_list),
        "embed_hosts": Setting(
            ["player.bilibili.com", "www.youtube-nocookie.com", "www.youtube.com", "player.vimeo.com"],
            "Hosts whose https video players a replay may embed.",
        ),
        "default_zone": Setting("", "The zone a new lecture starts in (empty: the organizer's, else Asia/Shanghai)."),
        "max_replay_mb": Setting(2048, "Largest recording an organizer may upload as a replay, in MiB.", min=1),
        "playback_minutes": Setting(240, "How long a member's signed replay address stays valid, in minutes.", min=1),
        "accel_redirect_prefix": Setting(
            "", "When set (e.g. /protected), replay files are sent by nginx through X-Accel-Redirect "
                "to this internal location + the file's key, which must alias the storage folder (instance/uploads/).",
        ),
    }


def _minutes_list(values) -> str | None:
    if all(str(v).isdigit() and 1 <= int(v) <= 7 * 24 * 60 for v in values):
        return None
    return "expected minutes from 1 to 10080, such as [\"1440\", \"15\"]"


@hookimpl
def kpay_init_app(app):
    from plugins.lectures.display import lecture_time

    app.jinja_env.filters["lecture_time"] = lecture_time


@hookimpl
def kpay_blueprints():
    from plugins.lectures import studio  # noqa: F401 (its routes join the blueprint)
    from plugins.lectures.views import bp

    return [bp]


@hookimpl
def kpay_migration_dirs():
    import plugins.lectures.models  # noqa: F401 (the metadata follows the tables, also while disabled)

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_permissions():
    return [
        Permission("lectures.create", _l("Schedule live lectures"), ("owner", "admin", "creator")),
        Permission("lectures.manage", _l("Edit and see every organizer's lectures")),
    ]


@hookimpl
def kpay_nav_items(user):
    items = [NavItem(_l("Live"), "lectures.index", order=320, icon="calendar")]
    if can("lectures.create", user):
        items.append(NavItem(_l("My lectures"), "lectures.studio", order=416, icon="edit"))
    return items


@hookimpl
def kpay_widgets(slot, context, user):
    if slot in ("home.sidebar", "learning.main") and user.is_authenticated:
        from flask import url_for

        return [Widget(_l("Next lecture"), order=30, lazy_url=url_for("lectures.next_lecture"))]
    if slot == "lesson.source":
        from plugins.lectures.lessons import widgets

        return widgets(context)
    return []


@hookimpl
def kpay_lesson_sources(user):
    from plugins.lectures.lessons import sources

    return sources(user)


@hookimpl
def kpay_assets(template):
    if template and template.startswith("lectures/"):
        from flask import url_for

        return [Asset(url_for("lectures.static", filename="lectures/lectures.css"), "css"),
                Asset(url_for("lectures.static", filename="lectures/zone.js"), "js")]
    return []


@hookimpl
def kpay_upload_folders():
    from plugins.lectures.replays import FOLDER, in_use

    return [UploadFolder(FOLDER, _l("Lecture replays"), in_use)]


@hookimpl
def kpay_notification_kinds():
    return [
        NotificationKind("lectures.reminders", _l("Reminders before lectures I am going to"), "email", order=40),
        NotificationKind("lectures.changes", _l("Lecture changes, seats and replays"), "email", order=41),
    ]


@hookimpl
def kpay_resource_products(resource):
    from plugins.lectures.access import product_ids

    if resource.kind != "lecture" or not str(resource.id).isdigit():
        return None
    return product_ids(int(resource.id))


@hookimpl
def kpay_resources(keys):
    from plugins.lectures.access import resources

    return resources(keys)


@hookimpl
def kpay_schedules():
    from plugins.lectures.lifecycle import announce_started, rederive_instants
    from plugins.lectures.reminders import sweep

    return [
        Schedule("lectures.reminders", sweep, minutes=1),
        Schedule("lectures.started", announce_started, minutes=1),
        Schedule("lectures.zone_rules", rederive_instants, at="04:00"),
    ]


@hookimpl
def kpay_search_documents(since):
    from plugins.lectures.records import search_documents

    return search_documents(since)


@hookimpl
def kpay_user_data(user, action):
    from plugins.lectures.records import erase, export

    if action == "export":
        return export(user)
    erase(user)
    return None


@hookimpl
def kpay_demo_data():
    from plugins.lectures.demo import build

    build()


@hookimpl(optionalhook=True)  # declared by the recommendations plugin, when it runs
def kpay_recs_items(item):
    from plugins.lectures.recs import items

    return items(item)


@hookimpl(optionalhook=True)
def kpay_recs_signals(signal):
    from plugins.lectures.recs import signals

    return signals(signal)
