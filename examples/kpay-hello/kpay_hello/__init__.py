"""kpay-hello: the hook implementations of an example third-party KPay plugin."""

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import Asset, NavItem, Permission, Schedule, Setting, Widget, hookimpl

__version__ = "0.1.0"


@hookimpl
def kpay_config_defaults():
    return {
        "greeting": Setting("Hello", "How the plugin greets members.",
                            validate=lambda text: None if text.strip() else "expected some words"),
        "points": Setting(1, "Points a member earns for each greeting.", min=1, max=100),
    }


@hookimpl
def kpay_init_app(app):
    from kpay.api import add_translations

    add_translations(app, Path(__file__).parent / "translations")


@hookimpl
def kpay_blueprints():
    from kpay_hello.views import bp

    return [bp]


@hookimpl
def kpay_migration_dirs():
    import kpay_hello.models  # noqa: F401 (the metadata follows the tables, also while disabled)

    return [Path(__file__).parent / "migrations" / "versions"]


@hookimpl
def kpay_permissions():
    return [Permission("hello.post", _l("Post a greeting"), ("owner", "admin", "moderator", "creator", "member"))]


@hookimpl
def kpay_nav_items(user):
    return [NavItem(_l("Hello"), "hello.index", order=500, icon="wave")]


@hookimpl
def kpay_widgets(slot, context, user):
    from kpay_hello.greetings import greeting

    if slot == "home.sidebar":
        return [Widget(_l("Hello"), order=50, template="hello/_widget.html", context={"greeting": greeting()})]
    if slot == "home.main":
        return [Widget(_l("Latest greetings"), order=60, lazy_url=url_for("hello.latest"))]
    return []


@hookimpl
def kpay_assets(template):
    if template and template.startswith("hello/"):
        return [Asset(url_for("hello.static", filename="hello/hello.css"), "css")]
    return []


@hookimpl
def kpay_schedules():
    from kpay_hello.greetings import greet_the_day

    return [Schedule("hello.greet_the_day", greet_the_day, minutes=60)]


@hookimpl
def kpay_search_documents(since):
    from kpay_hello.greetings import search_documents

    return search_documents(since)


@hookimpl
def kpay_event(event):
    from kpay_hello.greetings import welcome

    if event.name == "user.signed_up":
        welcome(event.user_id)


@hookimpl
def kpay_user_data(user, action):
    from kpay_hello.greetings import erase_greetings, export_greetings

    if action == "export":
        return export_greetings(user)
    erase_greetings(user)
    return None


@hookimpl
def kpay_demo_data():
    from kpay_hello.greetings import add_demo_greetings

    add_demo_greetings()


@hookimpl
def kpay_cli(cli):
    from kpay_hello.commands import hello_group

    cli.add_command(hello_group)
