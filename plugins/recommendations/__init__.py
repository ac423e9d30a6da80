"""recommendations: "for you", "members who took this also took", related topics, the lectures
to join next and "continue with", computed off the request path from the items and signals other plugins give through
the hooks this plugin declares (``kpay_recs_items``, ``kpay_recs_signals``; the shop's products it gives itself), and measured
offline with ``kpay recs evaluate``."""

from pathlib import Path

from flask import url_for

from kpay.api import Asset, Schedule, Setting, Widget, hookimpl

__version__ = "1.0"

SLOTS = {"home.main": "home", "learning.main": "learning", "course.side": "course", "topic.end": "topic",
         "lecture.side": "lecture"}


@hookimpl
def kpay_addhooks(pm):
    from plugins.recommendations import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def kpay_config_defaults():
    widgets = {
        f"widget_{name}": Setting(True, f"Show the {name} widget ({slot}).")
        for slot, name in SLOTS.items()
    }
    return {
        **widgets,
        "refresh_minutes": Setting(30, "How often the lists are recomputed, in minutes.", min=1, max=1440),
        "list_length": Setting(12, "Recommendations kept per list (a widget shows the first 4 the viewer may see).",
                               min=4, max=50),
        "half_life_days": Setting(14.0, "Popular now: days after which a signal counts half.", min=0.5, max=365),
        "min_pair_members": Setting(2, "Also took: members who must share two items before they are paired.",
                                    min=2, max=100),
        "weight_also": Setting(0.3, "Blend weight of the co-occurrence model.", min=0, max=1),
        "weight_content": Setting(0.3, "Blend weight of the content match.", min=0, max=1),
        "weight_popular": Setting(0.4, "Blend weight of popular now.", min=0, max=1),
    }


@hookimpl
def kpay_blueprints():
    from plugins.recommendations.views import bp

    return [bp]


@hookimpl
def kpay_migration_dirs():
    import plugins.recommendations.models  # noqa: F401 (the metadata follows the tables, also while disabled)

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_widgets(slot, context, user):
    from plugins.recommendations.views import enabled, title

    widget = SLOTS.get(slot)
    if widget is None or not enabled(widget) or (widget == "learning" and not user.is_authenticated):
        return []
    if widget == "home":
        url = url_for("recommendations.for_you")
    elif widget == "learning":
        url = url_for("recommendations.next_courses")
    else:
        item = context.get(widget)
        if item is None:
            return []
        url = url_for("recommendations.related", kind=widget, item_id=item.id)
    return [Widget(title(widget), order=60, lazy_url=url)]


@hookimpl
def kpay_assets(template):
    # The widgets show on the home page, My learning, course, topic and lecture pages, and their own.
    if template and template.startswith(("home/", "courses/", "forums/", "lectures/", "recommendations/")):
        return [Asset(url_for("recommendations.static", filename="recommendations/recs.css"), "css")]
    return []


@hookimpl
def kpay_schedules():
    from flask import current_app

    from plugins.recommendations.refresh import schedule_refresh

    minutes = current_app.config["KPAY"]["plugins"]["recommendations"]["refresh_minutes"]
    return [Schedule("recommendations.refresh", schedule_refresh, minutes=minutes)]


@hookimpl
def kpay_cli(cli):
    from plugins.recommendations.cli import recs

    cli.add_command(recs)


@hookimpl
def kpay_user_data(user, action):
    from plugins.recommendations.member_data import erase, export

    if action == "export":
        return export(user)
    erase(user)
    return None


@hookimpl(optionalhook=True)  # its own hook: the shop's products are the core's, so no plugin offers them
def kpay_recs_items(item):
    from plugins.recommendations.products import items

    return items(item)


@hookimpl(optionalhook=True)
def kpay_recs_signals(signal):
    from plugins.recommendations.products import signals

    return signals(signal)


@hookimpl(wrapper=True)  # around the other plugins' demo data, so the lists are made from it
def kpay_demo_data():
    from plugins.recommendations.refresh import refresh

    result = yield
    refresh()
    return result
