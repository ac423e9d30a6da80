"""Every hook, exercised through the effect a member or an operator sees.

Each ``test_hook_<name>`` registers a small plugin object with ``make_app(plugins=[...])``;
``tests/test_hook_docs.py`` fails when a hook has no such test.
"""

from __future__ import annotations

import os
import types

import click
import pluggy
from flask import Blueprint, make_response

from kpay import clock, events, hookimpl
from kpay.cli import cli
from kpay.extensions import db, migrate
from kpay.permissions import can
from kpay.types import Asset, NavItem, Permission, Schedule, Setting, Widget
from tests.conftest import Auth


def plugin(name: str, **hooks) -> types.ModuleType:
    """A plugin called ``name`` whose hook implementations are ``hooks`` (hook name: function)."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def wave_blueprint(template_folder=None) -> Blueprint:
    bp = Blueprint("wave", __name__, template_folder=template_folder)
    bp.add_url_rule("/", "index", lambda: "waving")
    return bp


class WaveSpecs:
    """A hook a plugin declares for other plugins."""

    @pluggy.HookspecMarker("kpay")
    def kpay_wave(self, name):
        """Wave at ``name``; returns a greeting."""


def test_hook_kpay_addhooks(make_app):
    waver = plugin("waver", kpay_wave=lambda name: f"hi {name}")
    declarer = plugin("declarer", kpay_addhooks=lambda pm: pm.add_hookspecs(WaveSpecs))
    app = make_app(plugins=[waver, declarer])
    assert app.extensions["kpay"].pm.hook.kpay_wave(name="Mei") == ["hi Mei"]


def test_hook_kpay_config_defaults(make_app, tmp_path):
    greeter = plugin(
        "greeter",
        kpay_config_defaults=lambda: {"word": Setting("hi", "The word."), "times": 2},
    )
    app = make_app({"plugins": {"greeter": {"word": "hey"}}}, plugins=[greeter])
    assert app.config["KPAY"]["plugins"]["greeter"] == {"word": "hey", "times": 2}
    written = (tmp_path / "instance" / "kpay.toml").read_text()
    assert "# [plugins.greeter]\n# The word.\n# word = \"hi\"\n# times = 2" in written


def test_hook_kpay_init_app(make_app):
    def add_filter(app):
        app.jinja_env.filters["shout"] = lambda text: text.upper() + "!"

    app = make_app(plugins=[plugin("shouter", kpay_init_app=add_filter)])
    assert app.jinja_env.from_string("{{ 'hi'|shout }}").render() == "HI!"


def test_hook_kpay_blueprints(make_app):
    app = make_app(plugins=[plugin("wave", kpay_blueprints=lambda: [wave_blueprint()])])
    response = app.test_client().get("/wave/")
    assert response.status_code == 200
    assert response.data == b"waving"


def test_hook_kpay_migration_dirs(make_app, tmp_path):
    folder = tmp_path / "wave_versions"
    folder.mkdir()
    app = make_app(plugins=[plugin("wave", kpay_migration_dirs=lambda: [folder])])
    with app.app_context():
        locations = migrate.get_config().get_main_option("version_locations").split(os.pathsep)
    assert str(folder) in locations
    assert locations[0].endswith("kpay/migrations/versions")


def test_hook_kpay_cli(make_app):
    @click.command("wave")
    def wave_command():
        click.echo("waving from a plugin")

    app = make_app(plugins=[plugin("wave", kpay_cli=lambda cli: cli.add_command(wave_command))])
    result = app.test_cli_runner().invoke(cli, ["wave"])
    assert result.exit_code == 0, result.output
    assert "waving from a plugin" in result.output
    other = make_app()
    assert other.test_cli_runner().invoke(cli, ["wave"]).exit_code != 0


def test_hook_kpay_schedules(make_app):
    ran = []
    sweep = Schedule("wave.sweep", lambda: ran.append("swept"), minutes=1)
    app = make_app(plugins=[plugin("wave", kpay_schedules=lambda: [sweep])])
    with app.app_context():
        assert "wave.sweep" in clock.tick()
        assert "wave.sweep" not in clock.tick()  # claimed for this minute already
    assert ran == ["swept"]


def test_hook_kpay_permissions(make_app, make_user):
    permission = Permission("wave.send", "Send a wave", ("member",))
    app = make_app(plugins=[plugin("wave", kpay_permissions=lambda: [permission])])
    member, moderator = make_user(role="member"), make_user(role="moderator")
    with app.test_request_context():
        assert can("wave.send", member)
        assert not can("wave.send", moderator)


def test_hook_kpay_permission_grants(make_app, make_user):
    """A plugin gives a permission beyond the role; the role still counts, unknown names stay refused."""
    permission = Permission("wave.send", "Send a wave", ("moderator",))
    asked = []

    def grants(user, name):
        asked.append(name)
        return True if user.display_name == "Senior" and name == "wave.send" else None

    app = make_app(plugins=[plugin("wave", kpay_permissions=lambda: [permission], kpay_permission_grants=grants)])
    senior, junior, moderator = make_user(name="Senior"), make_user(name="Junior"), make_user(role="moderator")
    with app.test_request_context():
        assert can("wave.send", senior) and not can("wave.send", junior)
        assert can("wave.send", moderator)
        assert not can("wave.fly", senior)
    assert asked == ["wave.send", "wave.send"]  # not for the moderator's role, nor an unknown name


def test_hook_kpay_nav_items(make_app):
    nav = plugin("wave", kpay_nav_items=lambda user: [NavItem("Waves", "home.index", order=5)])
    page = make_app(plugins=[nav]).test_client().get("/").get_data(as_text=True)
    assert ">Waves</a>" in page
    assert page.index(">Home</a>") < page.index(">Waves</a>")


def test_navigation_is_built_once_per_role(make_app, make_user):
    asked = []

    def links(user):
        asked.append(user.role if user.is_authenticated else None)
        return [NavItem("Waves", "home.index", order=5)] + (
            [NavItem("Wave studio", "home.index", order=6)] if user.is_authenticated and user.role == "creator" else [])

    app = make_app(plugins=[plugin("wave", kpay_nav_items=links)])
    visitor, member, creator = app.test_client(), app.test_client(), app.test_client()
    Auth(member).login(make_user(role="member").email)
    Auth(creator).login(make_user(role="creator").email)
    for _ in range(3):
        assert ">Wave studio</a>" not in visitor.get("/").get_data(as_text=True)
        assert ">Wave studio</a>" not in member.get("/").get_data(as_text=True)
        assert ">Wave studio</a>" in creator.get("/").get_data(as_text=True)
    assert sorted(asked, key=str) == sorted([None, "member", "creator"], key=str), "once per role, then kept"


def test_hook_kpay_admin_nav_items(make_app, make_user):
    nav = plugin("wave", kpay_admin_nav_items=lambda user: [NavItem("Wave queue", "home.index", order=5)])
    app = make_app(plugins=[nav])
    owner = make_user(role="owner")
    client = app.test_client()
    Auth(client).login(owner.email)
    assert '<a href="/">Wave queue</a>' in client.get("/admin/").get_data(as_text=True)
    assert "Wave queue" not in client.get("/").get_data(as_text=True), "only in the admin's menu"


def test_hook_kpay_widgets(make_app, tmp_path):
    (tmp_path / "wave").mkdir()
    (tmp_path / "wave" / "_widget.html").write_text("<p>{{ widget.context.count }} waves</p>")

    def widgets(slot, context, user):
        if slot == "home.sidebar":
            return [
                Widget("Later", order=20, lazy_url="/wave/"),
                Widget("Waves", order=10, template="wave/_widget.html", context={"count": 3}),
            ]
        return []

    wave = plugin("wave", kpay_blueprints=lambda: [wave_blueprint(str(tmp_path))], kpay_widgets=widgets)
    page = make_app(plugins=[wave]).test_client().get("/").get_data(as_text=True)
    sidebar = page.split('data-slot="home.sidebar"', 1)[1]
    assert 'data-slot="home.main"' not in page
    assert "<p>3 waves</p>" in sidebar
    assert sidebar.index("<h2>Waves</h2>") < sidebar.index("<h2>Later</h2>")
    assert 'hx-get="/wave/" hx-trigger="revealed"' in sidebar
    assert '<a href="/wave/">Show Later</a>' in sidebar


def test_hook_kpay_assets(make_app):
    def assets(template):
        if template == "home/index.html":
            return [Asset("/static/wave.css", "css"), Asset("/static/wave.js", "js")]
        return []

    twin = plugin("twin", kpay_assets=lambda template: [Asset("/static/wave.css", "css")])
    client = make_app(plugins=[plugin("wave", kpay_assets=assets), twin]).test_client()
    head = client.get("/").get_data(as_text=True).split("</head>")[0]
    assert head.count('<link rel="stylesheet" href="/static/wave.css">') == 1
    assert '<script src="/static/wave.js" defer></script>' in head
    assert "wave.js" not in client.get("/login").get_data(as_text=True)


def test_hook_kpay_event(make_app, make_user):
    heard = []
    app = make_app(plugins=[plugin("ears", kpay_event=lambda event: heard.append(event))])
    user = make_user()
    with app.app_context():
        events.emit("wave.sent", user=user, to="Mei")
        db.session.rollback()
        events.emit("wave.sent", user=user, to="Leo")
        assert heard == []  # not before the commit
        db.session.commit()
    assert [(e.name, e.user_id, e.data) for e in heard] == [("wave.sent", user.id, {"to": "Leo"})]


def test_hook_kpay_demo_data(make_app):
    from kpay.models import User

    found = []

    def demo_data():
        found.append(db.session.scalar(db.select(User.email).filter_by(role="creator")))

    app = make_app(plugins=[plugin("wave", kpay_demo_data=demo_data)])
    result = app.test_cli_runner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert found == ["creator@example.com"]


def test_hook_kpay_handle_error(make_app):
    def handle(error):
        if error.code == 404:
            return make_response("no waves here", 404)
        return None

    client = make_app(plugins=[plugin("wave", kpay_handle_error=handle)]).test_client()
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.data) == (404, b"no waves here")
    assert b"no waves here" not in client.post("/").data  # 405: the core's page
