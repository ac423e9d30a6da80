"""After ``kpay demo``, the dashboard names the demo's circles, courses and topics: the year of
history happens in them, and their names come from the events the demo's posts emit."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from kpay.cli import cli
from kpay.demo import DEMO_PASSWORD
from kpay.extensions import db
from kpay.testing import Auth
from plugins.analytics import rollup
from plugins.analytics.models import Daily

CIRCLES = ("Product design · 产品设计", "陈老师的知识星球 · Teacher Chen's Circle")


def _table(client, name: str) -> list[dict]:
    text = client.get(f"/analytics/{name}.csv").get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_demo_dashboard_names_every_circle_course_and_topic(app, client):
    assert app.test_cli_runner().invoke(cli, ["demo"]).exit_code == 0
    Auth(client).login("admin@example.com", password=DEMO_PASSWORD)

    page = client.get("/analytics/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Product design · 产品设计" in html and "陈老师的知识星球" in html
    assert "数据分析入门 · Data Analysis Basics" in html
    assert not re.search(r">#\d+</a>", html)  # no circle or course shown by its number

    circles = _table(client, "circles")
    assert sorted(row["name"] for row in circles) == sorted(CIRCLES)
    assert all(int(row["interactions"]) > 100 for row in circles)  # the year of history is theirs
    assert [row["name"] for row in _table(client, "courses")] == ["数据分析入门 · Data Analysis Basics"]

    content = client.get("/analytics/content").get_data(as_text=True)
    assert "How do I write a good PRD?" in content
    assert "Topic #" not in content

    with app.app_context():  # the names come from real events, so a rebuild keeps them
        kept = rollup.snapshot()
        rollup.rebuild(rollup.utcnow() + rollup.LAG)
        assert rollup.snapshot() == kept


def test_the_analytics_demo_alone_adds_its_history(app, make_user):
    make_user()
    result = app.test_cli_runner().invoke(cli, ["demo", "--plugin", "analytics"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(Daily.value)).where(Daily.metric == "signups")) > 300
