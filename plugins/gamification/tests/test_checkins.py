"""Check-in challenges (打卡): once a day in the site's zone, streaks, make-up days, reminders."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine
from PIL import Image

from kpay.extensions import db
from kpay.models import Notification
from plugins.gamification.models import Challenge, CheckIn
from plugins.gamification.tests.conftest import Person, balance, gamification_config, picture, start_circle

# Asia/Shanghai is UTC+8: 15:59:59 UTC is 23:59:59 there, 16:00:00 UTC the next day's midnight.
LATE = datetime(2027, 3, 1, 15, 59, 59, tzinfo=UTC)
MIDNIGHT = datetime(2027, 3, 1, 16, 0, 0, tzinfo=UTC)


def _challenge(app, circle, **fields) -> int:
    with app.app_context():
        made = Challenge(circle_id=circle[0], creator_id=circle[1].id, title="21 days of reading",
                         prompt="What did you read?", starts_on=fields.pop("starts_on", date(2027, 2, 20)),
                         days=fields.pop("days", 21), grace_days=fields.pop("grace_days", 1))
        db.session.add(made)
        db.session.commit()
        return made.id


def _days(app, challenge_id, user) -> list[date]:
    with app.app_context():
        return list(db.session.scalars(sa.select(CheckIn.day).where(
            CheckIn.challenge_id == challenge_id, CheckIn.user_id == user.id).order_by(CheckIn.day)))


def test_moderator_starts_a_challenge_and_a_member_cannot(app, person, circle, make_user):
    outsider = make_user()
    form = {"title": "Morning pages", "prompt": "Write one page", "starts_on": "2027-03-01", "days": "21", "grace_days": "1"}
    assert person(outsider).post(f"/gamification/c/{circle[0]}/challenges/new", **form).status_code == 403
    response = person(circle[1]).post(f"/gamification/c/{circle[0]}/challenges/new", **form)
    assert response.status_code == 302
    bad = person(circle[1]).post(f"/gamification/c/{circle[0]}/challenges/new", **{**form, "days": "0"})
    assert bad.status_code == 200 and "Number must be between 1 and 365" in bad.get_data(as_text=True)


def test_check_ins_at_2359_and_0000_count_for_their_own_days_and_twice_counts_once(app, person, circle, make_user):
    member = make_user()
    challenge_id = _challenge(app, circle)
    with time_machine.travel(LATE, tick=False) as clock:
        reader = person(member)
        reader.post(f"/forums/c/{circle[0]}/join")
        reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="Chapter 1")
        reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="Chapter 1 again")  # a second tab
        clock.move_to(MIDNIGHT)
        reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="Chapter 2")
        page = reader.page(f"/gamification/challenges/{challenge_id}")
    assert _days(app, challenge_id, member) == [date(2027, 3, 1), date(2027, 3, 2)]
    assert "Streak: 2 days" in page
    assert balance(app, member) == 4  # two check-ins of 2 points


def test_a_missed_day_may_be_made_up_within_the_grace_only(app, person, circle, make_user):
    member = make_user()
    challenge_id = _challenge(app, circle, grace_days=1)
    with time_machine.travel(MIDNIGHT, tick=False):  # 2 March in Shanghai
        reader = person(member)
        reader.post(f"/forums/c/{circle[0]}/join")
        reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="today")
        refused = reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="late", day="2027-02-27")
        assert refused.status_code == 400
        assert "past the 1 days allowed to make up" in refused.get_data(as_text=True)
        reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="made up", day="2027-03-01")
        page = reader.page(f"/gamification/challenges/{challenge_id}")
    assert _days(app, challenge_id, member) == [date(2027, 3, 1), date(2027, 3, 2)]
    assert "Streak: 2 days" in page


def test_changing_the_site_zone_does_not_double_a_day(make_app, make_user, circle, app, person):
    member = make_user()
    challenge_id = _challenge(app, circle)
    with time_machine.travel(MIDNIGHT, tick=False):
        reader = person(member)
        reader.post(f"/forums/c/{circle[0]}/join")
        reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="Shanghai")
    moved = make_app({**gamification_config(), "timezone": "Asia/Tokyo"}, create_tables=False)
    with time_machine.travel(MIDNIGHT, tick=False):  # 01:00 on 2 March in Tokyo: the same day
        tokyo = Person(moved, member)
        answer = tokyo.post(f"/gamification/challenges/{challenge_id}/checkin", note="Tokyo")
        assert answer.headers["Location"].endswith(f"/gamification/challenges/{challenge_id}")
        assert "You had checked in for that day already." in tokyo.page(f"/gamification/challenges/{challenge_id}")
    assert _days(app, challenge_id, member) == [date(2027, 3, 2)]


def test_the_reminder_goes_once_to_members_who_have_not_checked_in(app, person, circle, make_user):
    done, waiting = make_user(), make_user()
    challenge_id = _challenge(app, circle)
    evening = datetime(2027, 3, 2, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai
    with time_machine.travel(evening, tick=False):
        for user in (done, waiting):
            person(user).post(f"/forums/c/{circle[0]}/join")
        person(done).post(f"/gamification/challenges/{challenge_id}/checkin", note="read")
        from kpay.clock import tick

        with app.app_context():
            ran = tick()
            assert "gamification.reminders" in ran
            tick()
            reminded = db.session.scalars(sa.select(Notification.user_id).where(
                Notification.key.like("gamification.remind:%"))).all()
    assert waiting.id in reminded and done.id not in reminded
    assert reminded.count(waiting.id) == 1


def test_a_check_in_carries_a_photo_shown_on_the_challenge_page(make_app, make_user, person):
    app = make_app(gamification_config(photo_max_mb=1))
    creator, member = make_user("creator"), make_user(name="Pia Photo")
    circle_id = start_circle(app, creator)
    challenge_id = _challenge(app, (circle_id, creator), starts_on=date(2027, 2, 20))
    with time_machine.travel(MIDNIGHT, tick=False):
        reader = Person(app, member)
        reader.post(f"/forums/c/{circle_id}/join")
        url = f"/gamification/challenges/{challenge_id}/checkin"
        not_a_picture = reader.post(url, note="desk", photo=(io.BytesIO(b"just text, not a picture"), "desk.png"))
        assert not_a_picture.status_code == 400
        too_large = reader.post(url, note="desk", photo=(io.BytesIO(b"\0" * (2**20 + 1)), "big.png"))
        assert too_large.status_code == 400
        assert reader.post(url, note="My desk today", photo=(picture((1200, 800), "JPEG"), "desk.jpg")).status_code == 302
        page = reader.page(f"/gamification/challenges/{challenge_id}")
    assert "Upload a PNG, JPEG, WebP or GIF picture." in not_a_picture.get_data(as_text=True)
    assert "This picture is larger than 1 MB." in too_large.get_data(as_text=True)
    assert "My desk today" in page and "Pia Photo" in page
    src = re.search(r'class="gam-photo" src="([^"]+)"', page).group(1)
    shown = reader.client.get(src)
    assert shown.status_code == 200 and shown.mimetype == "image/webp"
    assert Image.open(io.BytesIO(shown.get_data())).size == (960, 720)


def test_the_circle_creator_edits_and_ends_a_challenge_and_a_member_cannot(app, person, circle, make_user):
    member = make_user()
    challenge_id = _challenge(app, circle, starts_on=date(2027, 2, 20), days=21)
    edit = f"/gamification/challenges/{challenge_id}/edit"
    form = {"title": "30 days of reading", "prompt": "What did you read?", "starts_on": "2027-02-20", "days": "30",
            "grace_days": "1"}
    with time_machine.travel(MIDNIGHT, tick=False):  # 2 March in Shanghai
        reader, creator = person(member), person(circle[1])
        reader.post(f"/forums/c/{circle[0]}/join")
        reader.post(f"/gamification/challenges/{challenge_id}/checkin", note="read")
        assert reader.post(edit, **form).status_code == 403
        assert reader.post(f"/gamification/challenges/{challenge_id}/end").status_code == 403
        assert creator.post(edit, **form).status_code == 302
        moved = creator.post(edit, **{**form, "starts_on": "2027-02-25"})
        assert moved.status_code == 400
        assert "The first day cannot move once members have checked in." in moved.get_data(as_text=True)
        assert creator.post(f"/gamification/challenges/{challenge_id}/end").status_code == 302
        page = reader.page(f"/gamification/challenges/{challenge_id}")
    assert "30 days of reading" in page and "Ended on 2027-03-02." in page
    with time_machine.travel(MIDNIGHT + timedelta(days=1), tick=False):
        late = person(member).post(f"/gamification/challenges/{challenge_id}/checkin", note="too late")
        assert late.status_code == 400
        assert "This challenge is not running today." in person(member).page(f"/gamification/challenges/{challenge_id}")
    assert _days(app, challenge_id, member) == [date(2027, 3, 2)]
