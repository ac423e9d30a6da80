"""A lecture's time is shown in the viewer's zone: the member's setting, else the browser's
(the ``kpay_tz`` cookie the page script sets, when it names a real zone), else the site's."""

from __future__ import annotations

from kpay.extensions import db
from kpay.models import User
from plugins.lectures.tests.conftest import logged_in, make_lecture


def shown(client, lecture_id: int) -> str:
    return client.get(f"/live/{lecture_id}").get_data(as_text=True)


def browser_zone(app, client, name: str) -> None:
    """What the page script does: the browser's zone in the ``kpay_tz`` cookie."""
    client.set_cookie("kpay_tz", name, domain=app.config["SERVER_NAME"])


def test_member_setting_then_browser_zone_then_site_zone(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    lecture_id = make_lecture(app, creator.id, hours=48, zone="Asia/Shanghai")
    site = app.config["KPAY"]["timezone"]

    visitor = app.test_client()
    page = shown(visitor, lecture_id)
    assert f"({site})" in page and "/zone.js" in page  # no script ran: the site's zone

    browser_zone(app, visitor, "America/New_York")
    assert "(America/New_York)" in shown(visitor, lecture_id)
    assert "(America/New_York)" in visitor.get("/live/").get_data(as_text=True)

    for bogus in ("Mars/Olympus_Mons", "../../etc/passwd", "America/New_York<script>"):
        browser_zone(app, visitor, bogus)
        page = shown(visitor, lecture_id)
        assert page.count(f"({site})") and bogus not in page

    client = logged_in(app, member)
    browser_zone(app, client, "America/New_York")
    assert "(America/New_York)" in shown(client, lecture_id)  # no setting of their own: the browser's
    with app.app_context():
        db.session.get(User, member.id).timezone = "Europe/Berlin"
        db.session.commit()
    page = shown(client, lecture_id)
    assert "(Europe/Berlin)" in page and "(America/New_York)" not in page  # their setting wins
