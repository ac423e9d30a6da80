"""search: one box that finds courses, lessons, topics and replies (and what other plugins give),
in Chinese and English, never showing a word of what the searcher has not paid for."""

from flask import url_for

from kpay.api import Asset, Schedule, Setting, enqueue, hookimpl


@hookimpl
def kpay_config_defaults():
    return {
        "backend": Setting("whoosh", "Where the index lives: whoosh (a folder in instance/search) or postgres "
                                     "(a table in the site's PostgreSQL database, for several web hosts).",
                           choices=("whoosh", "postgres")),
        "count_cap": Setting(200, "Search results are counted up to this many; more show as \"more than ...\" "
                                  "and only that many can be paged through (exact counts read every match)."),
        "log_queries": Setting(True, "Record a search.query event: the number of results, and the words only "
                                     "when the member ticks \"keep these words\" for that search."),
    }


@hookimpl
def kpay_init_app(app):
    # The layout shows the search box where this names it (nothing names it while search is off).
    app.jinja_env.globals["search_box"] = "search/_box.html"


@hookimpl
def kpay_blueprints():
    from plugins.search.views import bp

    return [bp]


@hookimpl
def kpay_cli(cli):
    from plugins.search.commands import search_group

    cli.add_command(search_group)


@hookimpl
def kpay_assets(template):
    if template and template.startswith("search/"):
        return [Asset(url_for("search.static", filename="search/search.css"), "css")]
    return []


@hookimpl
def kpay_event(event):
    from plugins.search.indexer import queue_sync

    if not event.name.startswith(NOT_CONTENT):
        queue_sync()


# Events that never change a search document: reading, liking, buying, points and the like.
# They come often (some on a page view), so they queue no sync; anything else does, and the
# minutely sync catches what a plugin's own events miss.
NOT_CONTENT = (
    "search.", "order.", "user.", "recs.", "points.", "level.", "badge.", "referral.", "checkin.",
    "post.liked", "post.unliked", "lesson.completed", "course.enrolled", "course.completed", "circle.joined",
    "lecture.rsvp", "lecture.attended", "lecture.started",
)


@hookimpl
def kpay_schedules():
    from plugins.search.indexer import sync

    return [Schedule("search.sync", sync, minutes=1)]


@hookimpl
def kpay_demo_data():
    from plugins.search.indexer import rebuild

    enqueue(rebuild)  # runs once every plugin's demo content is committed
