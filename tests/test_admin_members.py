"""Admins find members and change their role or status; every change is audited once."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import AuditEntry, User
from tests.conftest import Auth, csrf_token


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", email="ada@example.com", name="Ada Admin")


@pytest.fixture
def admin_client(client, auth, admin):
    auth.login(admin.email)
    return client


def audit_rows(app) -> list[AuditEntry]:
    """The audit entries of changes to members (log-ins are audited too, and left out here)."""
    with app.app_context():
        query = sa.select(AuditEntry).where(AuditEntry.action.like("member.%"))
        return db.session.scalars(query.order_by(AuditEntry.id)).all()


def reload(app, user) -> User:
    with app.app_context():
        return db.session.get(User, user.id)


def post_change(client, member, change: str, **data):
    """POST a change from the member's admin page, as a browser would."""
    token = csrf_token(client.get("/"))
    return client.post(
        f"/admin/members/{member.id}/{change}", data={"csrf_token": token, **data}
    )


def add_members(app, *people: tuple[str, str, str, str, datetime]) -> None:
    """Rows for (name, e-mail, role, status, joined); no passwords needed to list them."""
    with app.app_context():
        for name, email, role, status, joined in people:
            db.session.add(User(
                display_name=name, email=email, role=role, status=status, created_at=joined,
                password_hash="x",
            ))
        db.session.commit()


def listed_names(response) -> list[str]:
    text = response.get_data(as_text=True)
    body = text[text.index('<section id="members">'):]
    return [
        part.split(">", 1)[1].split("<", 1)[0]
        for part in body.split('<td><a href="/admin/members/')[1:]
    ]


def test_admin_finds_members_by_name_or_email_in_any_case(app, admin_client):
    add_members(
        app,
        ("Mei Lin", "mei@example.com", "member", "active", datetime(2024, 1, 1, tzinfo=UTC)),
        ("Leo", "leo@MEIHUA.example", "member", "active", datetime(2024, 1, 2, tzinfo=UTC)),
        ("Sam", "sam@example.com", "member", "active", datetime(2024, 1, 3, tzinfo=UTC)),
    )
    found = admin_client.get("/admin/members?q=MEI&sort=name")
    assert found.status_code == 200
    assert listed_names(found) == ["Leo", "Mei Lin"]


def test_members_are_filtered_by_role_status_and_joining_date(app, admin_client):
    add_members(
        app,
        ("Early mod", "m1@example.com", "moderator", "active", datetime(2023, 5, 1, tzinfo=UTC)),
        ("Late mod", "m2@example.com", "moderator", "active", datetime(2024, 5, 1, tzinfo=UTC)),
        ("Banned mod", "m3@example.com", "moderator", "banned", datetime(2024, 6, 1, tzinfo=UTC)),
        ("Member", "m4@example.com", "member", "active", datetime(2024, 5, 2, tzinfo=UTC)),
    )
    assert listed_names(admin_client.get("/admin/members?role=moderator&sort=oldest")) == [
        "Early mod", "Late mod", "Banned mod",
    ]
    assert listed_names(admin_client.get("/admin/members?role=moderator&status=banned")) == ["Banned mod"]
    dated = admin_client.get(
        "/admin/members?role=moderator&joined_since=2024-01-01&joined_before=2024-06-01"
    )
    assert listed_names(dated) == ["Late mod"]


def test_members_list_shows_fifty_a_page_and_keeps_the_filters_in_its_links(app, admin_client):
    joined = datetime(2024, 1, 1, tzinfo=UTC)
    add_members(app, *[
        (f"Reader {n:02d}", f"reader{n}@example.com", "member", "active", joined) for n in range(55)
    ])
    first = admin_client.get("/admin/members?q=reader&sort=name")
    assert len(listed_names(first)) == 50 and 'rel="prev"' not in first.get_data(as_text=True)
    following = pager_link(first, "next")
    assert following.startswith("/admin/members?q=reader&sort=name&cursor=")
    second = admin_client.get(following)
    assert listed_names(second) == [f"Reader {n}" for n in range(50, 55)]
    assert 'rel="next"' not in second.get_data(as_text=True)
    back = admin_client.get(pager_link(second, "prev"))
    assert listed_names(back) == listed_names(first), "a deep page links back to the one before it"


def test_each_sort_pages_through_every_member_once(app, admin_client):
    joined = datetime(2024, 1, 1, tzinfo=UTC)
    add_members(app, *[  # equal names and dates: the id breaks ties between pages
        (f"Twin {n % 3}", f"twin{n}@example.com", "member", "active", joined) for n in range(120)
    ])
    for sort in ("newest", "oldest", "name", "email"):
        seen, url = [], f"/admin/members?q=twin&sort={sort}"
        while url:
            response = admin_client.get(url)
            seen += re.findall(r'href="/admin/members/(\d+)"', response.get_data(as_text=True))
            url = pager_link(response, "next")
        assert len(seen) == len(set(seen)) == 120, sort


def pager_link(response, rel: str) -> str | None:
    """The pager's ``rel`` ("next" or "prev") link, as a path with its query."""
    found = re.search(rf'href="([^"]+)" rel="{rel}"', response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None


@pytest.mark.parametrize("query", [
    "sort=id;DROP TABLE users", "sort=password_hash", "role=god", "status=x'--",
    "joined_since=yesterday", "cursor=-1", "cursor=abc", "cursor=aWyJ4Il0", "cursor=bW3sidCI6MX0sMV0",
    "cursor=" + "a" * 500, "q=%25' OR 1=1 --", "q=_",
])
def test_unknown_filters_are_ignored_and_hostile_search_finds_nothing(app, admin_client, query):
    add_members(app, ("Mei", "mei@example.com", "member", "active", datetime(2024, 1, 1, tzinfo=UTC)))
    response = admin_client.get(f"/admin/members?{query}")
    assert response.status_code == 200
    names = listed_names(response)
    assert ("Mei" in names) is (not query.startswith("q="))


def test_filter_form_works_without_javascript_and_htmx_gets_only_the_table(admin_client):
    page = admin_client.get("/admin/members?q=ada").get_data(as_text=True)
    assert '<form method="get" action="/admin/members"' in page
    assert 'hx-push-url="true"' in page and 'hx-target="#members"' in page
    partial = admin_client.get("/admin/members?q=ada", headers={"HX-Request": "true"})
    assert partial.get_data(as_text=True).startswith('<section id="members">')
    assert "HX-Request" in partial.headers["Vary"]
    assert listed_names(partial) == ["Ada Admin"]


def test_filter_form_shows_each_request_its_own_values_errors_and_language(admin_client):
    def form(query: str, language: str = "en") -> str:
        page = admin_client.get(f"/admin/members?{query}", headers={"Accept-Language": language}).get_data(as_text=True)
        start = page.index('<form method="get" action="/admin/members"')
        return page[start:page.index("</form>", start)]

    chosen = form("q=ada&role=moderator&sort=name")
    assert 'value="ada"' in chosen and '<option selected value="moderator">' in chosen
    assert '<option selected value="name">' in chosen and "has-error" not in chosen
    wrong = form("joined_since=someday")
    assert "has-error" in wrong and 'value="ada"' not in wrong and '<option selected value="moderator">' not in wrong
    assert form("q=ada&role=moderator&sort=name") == chosen  # as drawn the first time
    chinese = form("q=ada&role=moderator&sort=name", "zh-CN")
    assert chinese != chosen and 'value="ada"' in chinese and "筛选" in chinese


def test_admin_makes_a_member_moderator_once_audited_and_their_sessions_end(app, admin, admin_client, make_user):
    mei = make_user(name="Mei")
    mei_browser = app.test_client()
    Auth(mei_browser).login(mei.email)
    response = post_change(admin_client, mei, "role", role="moderator")
    assert response.status_code == 302
    assert reload(app, mei).role == "moderator"
    [entry] = audit_rows(app)
    assert (entry.action, entry.actor_id, entry.target_id) == ("member.role_changed", admin.id, str(mei.id))
    assert (entry.before, entry.after) == ({"role": "member"}, {"role": "moderator"})
    assert b"Log in" in mei_browser.get("/").data
    partial = mei_browser.get("/account/privacy/", headers={"HX-Request": "true"})
    assert partial.headers["HX-Redirect"].startswith("/login")


def test_admin_disables_then_re_enables_a_member_each_with_one_audit_entry(app, admin_client, make_user):
    leo = make_user(name="Leo")
    post_change(admin_client, leo, "disable")
    assert reload(app, leo).status == "disabled"
    assert [e.action for e in audit_rows(app)] == ["member.disabled"]
    post_change(admin_client, leo, "enable")
    assert reload(app, leo).status == "active"
    assert [e.action for e in audit_rows(app)] == ["member.disabled", "member.enabled"]
    assert audit_rows(app)[1].after == {"status": "active", "status_reason": ""}


def test_disabled_member_is_anonymous_on_their_next_request(app, admin_client, make_user):
    leo = make_user()
    leo_browser = app.test_client()
    Auth(leo_browser).login(leo.email)
    post_change(admin_client, leo, "disable")
    assert b"Log in" in leo_browser.get("/").data
    assert Auth(app.test_client()).login(leo.email).status_code == 422


def test_ban_needs_a_reason_and_keeps_it(app, admin_client, make_user):
    spammer = make_user(name="Spammer")
    refused = post_change(admin_client, spammer, "ban", reason="   ")
    assert refused.status_code == 422
    assert "Say why the member is banned." in refused.get_data(as_text=True)
    assert reload(app, spammer).status == "active" and audit_rows(app) == []
    post_change(admin_client, spammer, "ban", reason="Selling fake courses")
    banned = reload(app, spammer)
    assert (banned.status, banned.status_reason) == ("banned", "Selling fake courses")
    [entry] = audit_rows(app)
    assert entry.action == "member.banned"
    assert entry.after == {"status": "banned", "status_reason": "Selling fake courses"}


def test_changing_nothing_writes_no_audit_entry(app, admin_client, make_user):
    mei = make_user()
    assert post_change(admin_client, mei, "role", role="member").status_code == 422
    assert post_change(admin_client, mei, "enable").status_code == 422
    assert post_change(admin_client, mei, "role", role="emperor").status_code == 422
    assert audit_rows(app) == []


@pytest.mark.parametrize("target_role, change, data", [
    ("member", "role", {"role": "owner"}),
    ("admin", "role", {"role": "member"}),
    ("admin", "disable", {}),
    ("owner", "ban", {"reason": "coup"}),
])
def test_admin_cannot_make_owners_or_change_owners_and_admins(app, admin_client, make_user, target_role, change, data):
    target = make_user(role=target_role)
    assert post_change(admin_client, target, change, **data).status_code == 403
    assert reload(app, target).role == target_role and reload(app, target).status == "active"
    assert audit_rows(app) == []


def test_owner_demotes_an_admin_and_makes_another_owner(app, client, auth, make_user):
    owner, admin, creator = make_user(role="owner"), make_user(role="admin"), make_user(role="creator")
    auth.login(owner.email)
    assert post_change(client, admin, "role", role="member").status_code == 302
    assert post_change(client, creator, "role", role="owner").status_code == 302
    assert (reload(app, admin).role, reload(app, creator).role) == ("member", "owner")
    assert len(audit_rows(app)) == 2


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_nobody_changes_their_own_role_or_status(app, client, auth, make_user, role):
    me = make_user(role=role)
    auth.login(me.email)
    assert post_change(client, me, "role", role="member").status_code == 403
    assert post_change(client, me, "disable").status_code == 403
    assert reload(app, me).role == role and audit_rows(app) == []


@pytest.mark.parametrize("role", ["moderator", "creator", "member"])
def test_other_roles_are_refused_the_members_pages_and_changes(app, client, auth, make_user, role):
    victim = make_user()
    auth.login(make_user(role=role).email)
    assert client.get("/admin/members").status_code == 403
    assert client.get("/admin/members", headers={"HX-Request": "true"}).status_code == 403
    assert client.get(f"/admin/members/{victim.id}").status_code == 403
    assert post_change(client, victim, "ban", reason="no").status_code == 403
    assert reload(app, victim).status == "active" and audit_rows(app) == []


def test_visitor_is_sent_to_log_in(client, make_user):
    response = client.get("/admin/members")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_change_or_member_is_not_found(admin_client, make_user):
    mei = make_user()
    assert post_change(admin_client, mei, "promote").status_code == 404
    assert admin_client.get("/admin/members/999999").status_code == 404


def test_member_page_shows_hostile_names_and_reasons_as_text(app, admin_client, make_user):
    troll = make_user(name='<script>alert("x")</script>')
    post_change(admin_client, troll, "ban", reason="<img src=x onerror=alert(1)>\nagain")
    page = admin_client.get(f"/admin/members/{troll.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "member.banned" in page, "the member's history is on their page"
