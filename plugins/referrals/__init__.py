"""referrals: invite links and codes, share cards and posters, rewards and commission held
through a refund window, payouts with a second admin's approval, and the viral K-factor."""

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import Asset, NavItem, Permission, Schedule, Setting, can, hookimpl

__version__ = "1.0"


def _product_percents(values) -> str | None:
    for item in values:
        product, sep, percent = item.partition("=")
        if not (sep and product.strip().isdigit() and percent.strip().isdigit() and int(percent) <= 100):
            return f"expected entries like \"12=20\" (product id = percent), got {item!r}"
    return None


@hookimpl
def kpay_config_defaults():
    return {
        "cookie_days": Setting(30, "How long a visit through a member's link is remembered (last touch wins).",
                               min=1, max=365),
        "commission_percent": Setting(10, "Commission on an invited member's paid orders, in percent.", min=0, max=100),
        "product_percents": Setting([], "Commission per product, as \"<product id>=<percent>\".",
                                    validate=_product_percents),
        "levels": Setting(1, "Levels of commission: 1 (the inviter) or 2 (also the inviter's inviter).",
                          choices=(1, 2)),
        "second_level_percent": Setting(3, "Commission of the second level, in percent.", min=0, max=100),
        "hold_days": Setting(14, "Days a reward is held (the refund window) before it becomes available.",
                             min=0, max=365),
        "signup_points": Setting(50, "Points for each invited member, given with their first paid order.", min=0),
        "inviter_coupon_percent": Setting(0, "Percent off of the coupon an inviter gets when an invited member first "
                                             "pays (0: none).", min=0, max=100),
        "invitee_coupon_percent": Setting(0, "Percent off of the coupon an invited member gets with their first paid "
                                             "order (0: none).", min=0, max=100),
        "coupon_days": Setting(30, "Days a referral coupon can be used.", min=1, max=365),
        "daily_cap": Setting(20, "Commissions a referrer earns in one day before the rest wait for review.", min=1),
        "monthly_cap": Setting(200, "Commissions a referrer earns in one month before the rest wait for review.",
                               min=1),
        "payout_minimum_minor": Setting(100, "The least commission (in minor units) a member may ask to be paid.",
                                        min=1),
        "second_approval_minor": Setting(50000, "Payouts above this (minor units) need a second admin's approval.",
                                         min=0),
        "poster_font": Setting("", "A TrueType font file for posters (e.g. a full CJK font such as "
                                   "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc); empty: the shipped one."),
    }


@hookimpl
def kpay_init_app(app):
    from plugins.referrals.widgets import sheet_html

    app.jinja_env.globals["share_sheet_html"] = sheet_html


@hookimpl
def kpay_blueprints():
    from plugins.referrals import admin  # noqa: F401 (its routes join the blueprint)
    from plugins.referrals.views import bp

    return [bp]


@hookimpl
def kpay_migration_dirs():
    import plugins.referrals.models  # noqa: F401 (the metadata follows the tables, also while disabled)

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_permissions():
    return [Permission("referrals.manage", _l("See referral figures, review rewards and approve payouts"))]


@hookimpl
def kpay_admin_nav_items(user):
    return [NavItem(_l("Referrals"), "referrals.operator", order=60)] if can("referrals.manage", user) else []


@hookimpl
def kpay_widgets(slot, context, user):
    from plugins.referrals.widgets import code_field, invite_card, share_sheet

    if slot in ("signup.form", "checkout.form"):
        return code_field(slot, user)

    if slot in ("course.side", "lesson.side", "circle.side", "topic.end", "product.end", "lecture.side"):
        return share_sheet(user)
    if slot in ("home.sidebar", "learning.main") and user.is_authenticated:
        return invite_card(user)
    return []


@hookimpl
def kpay_assets(template):
    return [
        Asset(url_for("referrals.static", filename="referrals/referrals.css"), "css"),
        Asset(url_for("referrals.static", filename="referrals/share.js"), "js"),
    ]


@hookimpl
def kpay_event(event):
    from plugins.referrals import hooks

    hooks.on_event(event)


@hookimpl
def kpay_schedules():
    from plugins.referrals import stats
    from plugins.referrals.rewards import release_due

    return [Schedule("referrals.release", release_due, minutes=15),
            Schedule("referrals.figures", stats.sweep, minutes=stats.EVERY_MINUTES)]


@hookimpl
def kpay_user_data(user, action):
    from plugins.referrals import member_data

    if action == "export":
        return member_data.export(user)
    member_data.erase(user)
    return None


@hookimpl(trylast=True)  # after the core's demo members and commerce's products
def kpay_demo_data():
    from plugins.referrals.demo import add_demo_tree

    add_demo_tree()
