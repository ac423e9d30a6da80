"""gamification: points rules over activity events, levels, badges, check-in challenges (打卡),
leaderboards and engagement for operators. Points live only in the core's points ledger."""

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import (
    Asset, NavItem, NotificationKind, Permission, Schedule, Setting, Widget, after_commit, can, hookimpl,
)

__version__ = "1.0"


@hookimpl
def kpay_config_defaults():
    from plugins.gamification import levels
    from plugins.gamification.rules import RULES

    settings = {}
    for rule in RULES.values():
        settings[f"points_{rule.name}"] = Setting(rule.points, f"Points for {rule.name} (0: none).", min=0, max=10_000)
        settings[f"cap_{rule.name}"] = Setting(rule.cap, f"Most grants of {rule.name} per member per site day (0: no cap).",
                                               min=0, max=1000)
    return {
        **settings,
        "levels": Setting(levels.DEFAULT_LEVELS, "Levels, one a line: threshold|English name|中文名, from 0 up.",
                          validate=levels.validate),
        "helpful_answers": Setting(5, "Accepted answers that earn the helpful answerer badge.", min=1),
        "top_referrals": Setting(5, "Converted referrals that earn the top referrer badge.", min=1),
        "early_members": Setting(100, "The first members (by sign-up) who get the early member badge.", min=1),
        "board_size": Setting(20, "Members on each leaderboard.", min=3, max=100),
        "reminder_at": Setting("20:00", "When (HH:MM, site time) members who have not checked in are reminded.",
                               validate=_time_of_day),
        "engagement_days": Setting(30, "The period T of the engagement score, in days.", min=1, max=365),
        "badge_cache_seconds": Setting(300, "How long a web process keeps the members' levels for the badges beside "
                                            "names (its own awards show at once).",
                                       min=0, max=3600),
    }


def _time_of_day(value: str) -> str | None:
    hours, _, minutes = value.partition(":")
    if len(hours) == len(minutes) == 2 and hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60:
        return None
    return "expected HH:MM such as 20:00"


@hookimpl
def kpay_init_app(app):
    from plugins.gamification.levels import badge

    app.jinja_env.globals["member_badge"] = badge


@hookimpl
def kpay_blueprints():
    from plugins.gamification.views import bp

    return [bp]


@hookimpl
def kpay_cli(cli):
    from plugins.gamification.commands import gamification_group

    cli.add_command(gamification_group)


@hookimpl
def kpay_migration_dirs():
    import plugins.gamification.models  # noqa: F401 (the metadata follows the tables)

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_permissions():
    return [Permission("gamification.engagement", _l("See every member's engagement"), ("owner", "admin"))]


@hookimpl
def kpay_nav_items(user):
    return [NavItem(_l("Leaderboard"), "gamification.leaderboard", order=400, icon="star")]


@hookimpl
def kpay_widgets(slot, context, user):
    if slot in ("home.sidebar", "learning.main") and user.is_authenticated:
        return [Widget(_l("My level"), order=10, lazy_url=url_for("gamification.me_widget"))]
    if slot == "profile.main":
        return [Widget(_l("Badges"), order=20, lazy_url=url_for("gamification.badges_widget", user_id=context["member"].id))]
    if slot == "circle.side":
        return [Widget(_l("Leaderboard, 7 days"), order=30,
                       lazy_url=url_for("gamification.circle_widget", circle_id=context["circle"].id))]
    if slot == "admin.overview" and can("gamification.engagement", user):
        return [Widget(_l("Members at risk"), order=40, lazy_url=url_for("gamification.risk_widget"))]
    return []


@hookimpl
def kpay_assets(template):
    return [Asset(url_for("gamification.static", filename="gamification/gamification.css"), "css")]


@hookimpl
def kpay_notification_kinds():
    return [
        NotificationKind("gamification.earned", _l("Levels and badges I earn"), "in_app", order=60),
        NotificationKind("gamification.reminder", _l("Check-in reminders"), "in_app", order=61),
    ]


@hookimpl
def kpay_event(event):
    from plugins.gamification import rules

    rules.on_event(event)


@hookimpl
def kpay_schedules():
    from flask import current_app

    from plugins.gamification import badges, boards, checkins, engagement

    at = current_app.config["KPAY"]["plugins"]["gamification"]["reminder_at"]
    return [
        Schedule("gamification.boards", boards.sweep, minutes=5),
        Schedule("gamification.badges", badges.sweep, minutes=5),
        Schedule("gamification.engagement", engagement.sweep, minutes=1440),
        Schedule("gamification.reminders", checkins.remind, at=at),
    ]


@hookimpl
def kpay_user_data(user, action):
    from plugins.gamification import member_data

    if action == "export":
        return member_data.export(user)
    member_data.erase(user)
    return None


@hookimpl
def kpay_demo_data():
    from plugins.gamification.demo import add_demo

    after_commit(add_demo)  # once the circles' demo (which may run after this hook) has committed
