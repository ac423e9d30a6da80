"""The site answers: home, log-in and the admin console for an owner."""

from tests.conftest import csrf_token


def test_visitor_sees_home_page_with_sign_up_link(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Join the community" in response.data


def test_owner_logs_in_and_opens_admin_console(client, auth, make_user):
    owner = make_user(role="owner")
    response = auth.login(owner.email)
    assert response.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200
    assert b"Members" in page.data


def test_member_cannot_open_admin_console(client, auth, make_user):
    member = make_user()
    auth.login(member.email)
    assert client.get("/admin/").status_code == 403


def test_visitor_is_sent_to_log_in_from_admin_console(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(client, make_user):
    assert client.post("/logout").status_code == 400
    token = csrf_token(client.get("/"))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
