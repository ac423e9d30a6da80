"""Level unlocks (as Skool's): a course or a paid circle opens to the members who reach a level,
through the core's ``can_access``; switching the plugin off takes the unlock away."""

from __future__ import annotations

import re

import pytest

from kpay.cli import cli
from kpay.config import ConfigError
from kpay.extensions import db
from kpay.models.commerce import Product
from plugins.gamification.tests.conftest import Person, gamification_config, start_circle


def _course_ids(page: Person) -> dict[str, int]:
    """The demo courses' ids by their English title, from the catalogue."""
    html = page.page("/courses/")
    found = {}
    for title in ("Learning How to Learn", "Writing That Sells"):
        before = html[:html.index(title)]
        found[title] = int(re.findall(r'href="/courses/(\d+)"', before)[-1])
    return found


def _lessons(page: Person, course_id: int) -> list[int]:
    html = page.page(f"/courses/{course_id}")
    return list(dict.fromkeys(int(n) for n in re.findall(rf"/courses/{course_id}/lessons/(\d+)", html)))


def test_a_course_opens_when_a_member_reaches_its_level_and_closes_without_the_plugin(make_app, make_user):
    demo = make_app(gamification_config())
    assert demo.test_cli_runner().invoke(cli, ["demo"]).exit_code == 0
    reader = make_user(name="Rui Reader")
    ids = _course_ids(Person(demo, reader))
    writing, starter = ids["Writing That Sells"], ids["Learning How to Learn"]
    app = make_app(gamification_config(unlocks=[f"course:{writing}|3"]), create_tables=False)
    me = Person(app, reader)
    structure = _lessons(me, writing)[1]  # not a free preview, opens on enrolling

    locked = me.client.get(f"/courses/{writing}/lessons/{structure}")
    assert locked.status_code == 403
    assert "Opens to every member who reaches level 3: Regular." in locked.get_data(as_text=True)

    me.post(f"/courses/{starter}/enrol")
    for lesson in _lessons(me, starter):  # 3 lessons and the course: 65 points, level 3
        me.post(f"/courses/{starter}/lessons/{lesson}/complete")
    assert "Level 3: Regular" in me.page("/gamification/me")
    opened = me.client.get(f"/courses/{writing}/lessons/{structure}")
    assert opened.status_code == 200
    assert "Lead with the point." in opened.get_data(as_text=True)
    assert "reaches level 3" not in me.page(f"/courses/{writing}")

    without = make_app({**gamification_config(), "plugins": {"enabled": ["forums", "courses", "pay_sandbox"]}},
                       create_tables=False)
    assert Person(without, reader).client.get(f"/courses/{writing}/lessons/{structure}").status_code == 403


def test_a_bad_unlock_line_stops_start_up_naming_the_key(make_app):
    with pytest.raises(ConfigError, match="unlocks"):
        make_app(gamification_config(unlocks=["course:seven|3"]))


def test_a_paid_circle_opens_at_its_level_and_its_locked_page_says_so(make_app, make_user):
    chen, reader = make_user("creator", name="Teacher Chen"), make_user(name="Rui Reader")
    setup = make_app(gamification_config())
    with setup.app_context():
        product = Product(creator_id=chen.id, name="Inner circle", kind="membership", period_days=365, price_minor=100,
                          currency="CNY")
        db.session.add(product)
        db.session.commit()
        product_id = product.id
    lobby = start_circle(setup, chen, name="Lobby")
    inner = start_circle(setup, chen, name="Inner circle", visibility="paid", product_id=str(product_id))
    levels = ["0|Newcomer|新人", "5|Reader|读者"]
    app = make_app(gamification_config(levels=levels, unlocks=[f"circle:{inner}|2"]), create_tables=False)
    me = Person(app, reader)

    locked = me.client.get(f"/forums/c/{inner}")
    assert locked.status_code == 403
    assert "Opens to every member who reaches level 2: Reader." in locked.get_data(as_text=True)

    me.post(f"/forums/c/{lobby}/join")
    me.post(f"/forums/c/{lobby}/new", title="Where do I start?", body="A first question.", kind="question")
    assert "Level 2: Reader" in me.page("/gamification/me")  # 3 for the question, 2 for the first post
    assert me.client.get(f"/forums/c/{inner}").status_code == 200

    without = make_app({**gamification_config(), "plugins": {"enabled": ["forums", "courses", "pay_sandbox"]}},
                       create_tables=False)
    assert Person(without, reader).client.get(f"/forums/c/{inner}").status_code == 403
