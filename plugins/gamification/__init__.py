"""gamification: points rules over activity events, levels, badges, check-in challenges (打卡),
leaderboards and engagement for operators. Points live only in the core's points ledger."""

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import (
    Asset, NavItem, NotificationKind, Permission, Schedule, UploadFolder, Widget, can, hookimpl,
)

__version__ = "1.0"


@hookimpl
def kpay_config_defaults():
    from plugins.gamification.settings import defaults

    return defaults()


@hookimpl
def kpay_init_app(app):
    from plugins.gamification.levels import badge
    from plugins.gamification.unlocks import check_permissions

    check_permissions(app)
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
def kpay_admin_nav_items(user):
    if can("gamification.engagement", user):
        return [NavItem(_l("Engagement"), "gamification.engagement_page", order=60)]
    return []


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
def kpay_access_grants(user, resource):
    from plugins.gamification.unlocks import grant

    return grant(user, resource)


@hookimpl
def kpay_permission_grants(user, name):
    from plugins.gamification.unlocks import permission_grant

    return permission_grant(user, name)


@hookimpl
def kpay_upload_folders():
    from plugins.gamification.checkins import PHOTOS, photos_in_use

    return [UploadFolder(PHOTOS, _l("Check-in photos"), photos_in_use)]


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


@hookimpl(wrapper=True)  # around the other plugins' demo data: the circles' must exist first
def kpay_demo_data():
    from plugins.gamification.demo import add_demo

    result = yield
    add_demo()
    return result
