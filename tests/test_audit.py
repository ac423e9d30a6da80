"""The audit log: admins read it newest first and filter it; nobody can change it."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from kpay import audit
from kpay.extensions import db
from kpay.models import AuditEntry, User


@pytest.fixture
def owner(make_user):
    return make_user(role="owner", email="olga@example.com", name="Olga Owner")


@pytest.fixture
def owner_client(client, auth, owner):
    auth.login(owner.email)
    return client


def record(app, action: str, actor_id: int | None, **after) -> None:
    with app.app_context():
        actor = db.session.get(User, actor_id) if actor_id else None
        audit.record(action, actor=actor, target=actor, after=after)
        db.session.commit()


def shown_actions(response) -> list[str]:
    text = response.get_data(as_text=True)
    return [part.split("</code>", 1)[0] for part in text.split("<td><code>")[1:] if not part.startswith("{")]


def test_audit_log_lists_newest_first_and_filters_by_action_and_actor(app, owner_client, owner, make_user):
    mod = make_user(role="moderator", email="mo@example.com", name="Mo")
    record(app, "auth.login_failed", None)
    record(app, "member.banned", owner.id)
    record(app, "forum.post_hidden", mod.id)
    record(app, "member.role_changed", owner.id)
    # The owner's own log-in (by the fixture, first of all) is in the log too.
    assert shown_actions(owner_client.get("/admin/audit")) == [
        "member.role_changed", "forum.post_hidden", "member.banned", "auth.login_failed",
        "auth.login",
    ]
    assert shown_actions(owner_client.get("/admin/audit?action=member.banned")) == ["member.banned"]
    assert shown_actions(owner_client.get("/admin/audit?actor=OLGA")) == [
        "member.role_changed", "member.banned", "auth.login",
    ]
    assert shown_actions(owner_client.get("/admin/audit?actor=mo@example.com&action=member.banned")) == []
    assert shown_actions(owner_client.get("/admin/audit?action=no.such' OR 1=1")) == [
        "member.role_changed", "forum.post_hidden", "member.banned", "auth.login_failed",
        "auth.login",
    ], "an action not in the log is ignored, not used"
    record(app, "member.banned", mod.id)
    select = re.search(r'<select[^>]*name="action".*?</select>', owner_client.get("/admin/audit").get_data(as_text=True), re.S)
    assert re.findall(r'<option value="([^"]+)"', select.group(0)) == [
        "auth.login", "auth.login_failed", "forum.post_hidden", "member.banned", "member.role_changed",
    ], "each action the log holds, once, in order"


def test_audit_log_pages_fifty_entries_at_a_time(app, owner_client, owner):
    with app.app_context():
        actor = db.session.get(User, owner.id)
        for n in range(51):
            audit.record(f"test.step_{n:02d}", actor=actor)
        db.session.commit()
    first = owner_client.get("/admin/audit?action=")
    assert len(shown_actions(first)) == 50 and shown_actions(first)[0] == "test.step_50"
    next_url = re.search(r'<a href="([^"]+)" rel="next">', first.get_data(as_text=True)).group(1)
    second = owner_client.get(html.unescape(next_url))
    assert shown_actions(second) == ["test.step_00", "auth.login"]
    assert 'rel="next"' not in second.get_data(as_text=True) and 'rel="prev"' in second.get_data(as_text=True)


def test_htmx_filter_request_gets_only_the_entries(owner_client):
    response = owner_client.get("/admin/audit", headers={"HX-Request": "true"})
    assert response.get_data(as_text=True).startswith('<section id="audit">')


def test_values_with_newlines_and_html_are_shown_escaped(app, owner_client, owner):
    record(app, "member.renamed", owner.id, display_name='Eve\nAdmin <b onmouseover="x">')
    page = owner_client.get("/admin/audit").get_data(as_text=True)
    assert '<b onmouseover' not in page
    assert "Eve\\nAdmin &lt;b onmouseover=\\&#34;x\\&#34;&gt;" in page


@pytest.mark.parametrize("role", ["moderator", "creator", "member"])
def test_only_owners_and_admins_read_the_audit_log(client, auth, make_user, role):
    auth.login(make_user(role=role).email)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit", headers={"HX-Request": "true"}).status_code == 403


def test_no_route_can_change_the_audit_log(app):
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert audit_rules and all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in audit_rules)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET action = 'nothing.happened'",
    "DELETE FROM audit_entries",
])
def test_database_refuses_to_change_or_delete_audit_entries(app, owner, statement):
    """Raw SQL, past the ORM: the database's own trigger refuses (SQLite and PostgreSQL)."""
    record(app, "member.banned", owner.id)
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(sa.text(statement))
        assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["member.banned"]
