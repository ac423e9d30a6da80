"""Widget slots: every documented slot is placed by a template and renders a plugin's widget
with the context docs/hooks.md promises; every placed slot is documented."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint

from kpay import config, hookimpl
from kpay.cli import cli
from kpay.extensions import db
from kpay.slots import SLOTS
from kpay.testing import Auth
from kpay.testing.live import DEMO_PASSWORD
from kpay.types import Widget
from plugins.courses.models import Lesson

ROOT = Path(__file__).resolve().parent.parent
PLACED = re.compile(r"""widget_slot\(\s*["']([\w.]+)["']""")


def placed_slots() -> dict[str, list[str]]:
    """Slot name: the templates (core and built-in plugins) that place it."""
    found: dict[str, list[str]] = {}
    for template in sorted([*ROOT.glob("templates/**/*.html"), *ROOT.glob("plugins/*/templates/**/*.html")]):
        for name in PLACED.findall(template.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(str(template.relative_to(ROOT)))
    return found


def test_every_placed_slot_is_documented_and_every_documented_slot_is_placed():
    documented = {slot.name for slot in SLOTS}
    placed = placed_slots()
    assert sorted(set(placed) - documented) == [], "add these slots to kpay/slots.py"
    assert sorted(documented - set(placed)) == [], "no template places these documented slots"


def probe(template_folder: Path) -> types.ModuleType:
    """A plugin that fills every slot with a widget naming the slot and the context keys it got."""
    (template_folder / "probe").mkdir()
    (template_folder / "probe" / "_widget.html").write_text(
        "<p class=probe>{{ widget.context.slot }}:{{ context|list|sort|join(',') }}</p>"
    )
    module = types.ModuleType("probe")
    module.kpay_blueprints = hookimpl(lambda: [Blueprint("probe", __name__, template_folder=str(template_folder))])
    module.kpay_widgets = hookimpl(
        lambda slot, context, user: [Widget(f"Probe {slot}", order=1, template="probe/_widget.html",
                                            context={"slot": slot})]
    )
    return module


@pytest.fixture
def site(make_app, tmp_path):
    """Every built-in plugin and the probe on the demo community; the owner logged in; each
    slot's page by slot name."""
    app = make_app({"plugins": {"enabled": config.default_plugins()}}, plugins=[probe(tmp_path)])
    assert app.test_cli_runner().invoke(cli, ["demo"]).exit_code == 0
    with app.app_context():
        first = lambda sql: db.session.scalar(sa.text(sql))  # noqa: E731
        course, lesson = first("SELECT course_id || ',' || id FROM courses_lessons ORDER BY id LIMIT 1").split(",")
        circle, topic = first("SELECT circle_id || ',' || id FROM forums_topics ORDER BY id LIMIT 1").split(",")
        member = first("SELECT id FROM users WHERE email = 'member@example.com'")
        chapter = first(f"SELECT chapter_id FROM courses_lessons WHERE id = {lesson}")
        lecture = first("SELECT min(id) FROM lectures_lectures")
        linked = Lesson(course_id=int(course), chapter_id=chapter, title="Live", kind="source", source=f"lecture:{lecture}")
        db.session.add(linked)
        db.session.commit()
        linked_id = linked.id
        product = first("SELECT id FROM products WHERE active AND kind = 'one_time' AND id NOT IN (SELECT product_id "
                        "FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = 'owner@example.com') "
                        "ORDER BY id LIMIT 1")
    pages = {
        "home.main": "/", "home.sidebar": "/", "learning.main": "/me/learning",
        "profile.main": f"/u/{member}", "course.side": f"/courses/{course}",
        "lesson.side": f"/courses/{course}/lessons/{lesson}", "lesson.source": f"/courses/{course}/lessons/{linked_id}",
        "circle.side": f"/forums/c/{circle}", "topic.end": f"/forums/t/{topic}", "lecture.side": f"/live/{lecture}",
        "studio.main": "/studio/products", "admin.overview": "/admin/",
        "privacy.main": "/account/privacy/", "signup.form": "/signup", "checkout.form": f"/shop/{product}",
        "product.end": f"/shop/{product}",
    }
    client = app.test_client()
    Auth(client).login("owner@example.com", DEMO_PASSWORD)
    return app, client, pages


#: Slots on pages only a visitor sees (the sign-up form).
VISITORS = {"signup.form"}


def test_every_slot_renders_a_plugins_widget_with_its_documented_context(site):
    app, client, pages = site
    missing = []
    visitor = app.test_client()
    for slot in SLOTS:
        page = (visitor if slot.name in VISITORS else client).get(pages[slot.name])
        html = page.get_data(as_text=True)
        shown = f'<div class="widget-slot" data-slot="{slot.name}">' in html
        probe_text = f"<p class=probe>{slot.name}:{','.join(sorted(slot.context))}</p>"
        # A locked lesson (403) still shows its side column.
        if page.status_code not in (200, 403) or not shown or probe_text not in html:
            missing.append(f"{slot.name} on {pages[slot.name]}: {page.status_code}, slot shown: {shown}")
    assert missing == []


def test_the_plugin_guide_names_every_slot_and_settings_signature_as_the_code_has_them():
    import inspect

    from kpay.types import Schedule, Setting

    guide = " ".join((ROOT / "docs" / "plugins.md").read_text(encoding="utf-8").split())
    assert [slot.name for slot in SLOTS if f"`{slot.name}`" not in guide] == []
    fields = ", ".join(
        name if p.default is inspect.Parameter.empty else f"{name}={p.default!r}"
        for name, p in inspect.signature(Setting).parameters.items()
    ).replace("help=''", "help")
    assert f"`Setting({fields})`" in guide
    assert set(inspect.signature(Schedule).parameters) == {"name", "func", "minutes", "at"}
