"""courses: paid courses with chapters and lessons (text, video, audio, attachments), progress,
a publishing plan (drip), reviews and certificates, sold through commerce products."""

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import (
    Asset, ConfigError, NavItem, NotificationKind, Permission, Schedule, Setting, UploadFolder, Widget, can,
    hookimpl,
)

__version__ = "1.0"


@hookimpl
def kpay_config_defaults():
    return {
        "max_video_mb": Setting(4096, "Largest video a creator may upload, in MiB (sent in chunks; a browser "
                                      "without JavaScript sends it in one request, which this limit also bounds)."),
        "max_audio_mb": Setting(16, "Largest audio file a creator may upload, in MiB."),
        "max_attachment_mb": Setting(16, "Largest attachment (PDF, EPUB, ZIP) a creator may upload, in MiB."),
        "max_cover_mb": Setting(4, "Largest cover picture a creator may upload, in MiB."),
        "embed_hosts": Setting(
            ["player.bilibili.com", "www.youtube-nocookie.com", "www.youtube.com", "player.vimeo.com"],
            "Hosts whose https video players a lesson may embed.",
        ),
        "accel_redirect_prefix": Setting(
            "", "When set (e.g. /protected), media are sent by nginx through X-Accel-Redirect "
                "to this internal location + the file's key, which must alias the storage folder (instance/uploads/).",
        ),
        "per_page": Setting(24, "Courses per catalogue page."),
        "ffmpeg": Setting("ffmpeg", "The ffmpeg command (Debian's ffmpeg package) that makes posters and HLS."),
        "ffprobe": Setting("ffprobe", "The ffprobe command that reads a video's duration, size and codec."),
        "hls_heights": Setting(["360", "720"], "Heights of the HLS renditions a video is transcoded to (those the "
                                               "source can fill); empty: no HLS, the upload is played as it is."),
        "hls_preset": Setting("veryfast", "x264 preset of the HLS transcode (ultrafast ... veryslow).",
                              choices=("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                                       "slower", "veryslow")),
        "playback_minutes": Setting(240, "How long a member's signed playback address stays valid, in minutes."),
    }


@hookimpl
def kpay_init_app(app):
    from plugins.courses.playback import urls

    app.jinja_env.globals["player_urls"] = urls
    heights = app.config["KPAY"]["plugins"]["courses"]["hls_heights"]
    if not all(h.isdigit() and 144 <= int(h) <= 2160 for h in heights):
        raise ConfigError(f"plugins.courses.hls_heights: expected heights from 144 to 2160 such as [\"360\", \"720\"], "
                          f"got {heights!r}")


@hookimpl
def kpay_blueprints():
    from plugins.courses import studio  # noqa: F401 (its routes join the blueprint)
    from plugins.courses.views import bp

    return [bp]


@hookimpl
def kpay_migration_dirs():
    import plugins.courses.models  # noqa: F401 (the metadata follows the tables, also while disabled)

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_permissions():
    return [
        Permission("courses.create", _l("Create courses and sell them"), ("owner", "admin", "creator")),
        Permission("courses.manage", _l("Edit and see every creator's courses")),
    ]


@hookimpl
def kpay_nav_items(user):
    items = [NavItem(_l("Courses"), "courses.catalogue", order=300, icon="book")]
    if can("courses.create", user):
        items.append(NavItem(_l("My courses"), "courses.studio", order=415, icon="edit"))
    return items


@hookimpl
def kpay_widgets(slot, context, user):
    if slot == "learning.main" and user.is_authenticated:
        return [Widget(_l("Continue learning"), order=20, lazy_url=url_for("courses.continue_learning"))]
    return []


@hookimpl
def kpay_assets(template):
    if template and template.startswith("courses/"):
        return [
            Asset(url_for("courses.static", filename="courses/courses.css"), "css"),
            Asset(url_for("static", filename="vendor/hls.light-1.7.4.min.js"), "js"),
            Asset(url_for("courses.static", filename="courses/courses.js"), "js"),
            Asset(url_for("courses.static", filename="courses/upload.js"), "js"),
        ]
    return []


@hookimpl
def kpay_notification_kinds():
    return [NotificationKind("courses", _l("Course progress and new lessons"), "in_app", order=30)]


@hookimpl
def kpay_resource_products(resource):
    from plugins.courses.access import product_ids

    if resource.kind != "course" or not str(resource.id).isdigit():
        return None
    return product_ids(int(resource.id))


@hookimpl
def kpay_lesson_source_products(keys):
    from plugins.courses.access import source_product_ids

    return source_product_ids(keys)


@hookimpl
def kpay_resources(keys):
    from plugins.courses.access import resources

    return resources(keys)


@hookimpl
def kpay_event(event):
    from plugins.courses.progress import enrol_buyer

    if event.name == "order.paid" and event.user_id is not None:
        enrol_buyer(event.user_id, event.data["product_id"])


@hookimpl
def kpay_schedules():
    from plugins.courses.drip import announce_opened_lessons, announce_published_courses

    return [
        Schedule("courses.published", announce_published_courses, minutes=1),
        Schedule("courses.lessons_opened", announce_opened_lessons, minutes=10),
    ]


@hookimpl
def kpay_upload_folders():
    from plugins.courses.uploads import FOLDER, in_use

    return [UploadFolder(FOLDER, _l("Course covers, lesson media, posters and HLS renditions"), in_use)]


@hookimpl
def kpay_search_documents(since):
    from plugins.courses.records import search_documents

    return search_documents(since)


@hookimpl
def kpay_user_data(user, action):
    from plugins.courses.records import erase, export

    if action == "export":
        return export(user)
    erase(user)
    return None


@hookimpl
def kpay_demo_data():
    from plugins.courses.demo import build

    build()


@hookimpl(optionalhook=True)  # declared by the recommendations plugin, when it runs
def kpay_recs_items(item):
    from plugins.courses.recs import items

    return items(item)


@hookimpl(optionalhook=True)
def kpay_recs_signals(signal):
    from plugins.courses.recs import signals

    return signals(signal)
