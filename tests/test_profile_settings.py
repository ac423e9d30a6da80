"""A member edits their profile at /account/profile: name, bio, interests, language, time zone."""

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import ActivityEvent, User
from kpay.profiles.interests import parse_interests
from tests.conftest import csrf_token

URL = "/account/profile"


@pytest.fixture
def mei(make_user, auth):
    """Mei, a logged-in member who has not filled in her profile yet."""
    member = make_user(email="mei@example.com", name="Mei")
    auth.login(member.email)
    return member


def profile_form(client, **changes) -> dict:
    """A complete, valid profile post with ``changes`` applied."""
    data = {
        "csrf_token": csrf_token(client.get(URL)),
        "display_name": "Mei Chen",
        "bio": "I write about **tea**.",
        "interests": "tea, writing",
        "locale": "en",
        "timezone": "Asia/Shanghai",
    }
    return {**data, **changes}


def stored(app, member) -> User:
    with app.app_context():
        user = db.session.get(User, member.id)
        db.session.expunge(user)
        return user


def test_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_member_saves_profile_and_sees_it_on_the_settings_page(app, client, mei):
    response = client.post(URL, data=profile_form(client, bio="Line one\r\nline two"))
    assert response.status_code == 302 and response.headers["Location"] == URL
    user = stored(app, mei)
    assert (user.display_name, user.bio, user.interests) == ("Mei Chen", "Line one\nline two", ["tea", "writing"])
    assert (user.locale, user.timezone) == ("en", "Asia/Shanghai")
    page = client.get(URL).get_data(as_text=True)
    assert "Your profile is saved." in page
    assert 'value="Mei Chen"' in page and 'value="tea, writing"' in page
    assert '<option selected value="Asia/Shanghai">' in page


def test_saving_records_which_fields_changed(app, client, mei):
    client.post(URL, data=profile_form(client))
    client.post(URL, data=profile_form(client))
    with app.app_context():
        events = db.session.scalars(sa.select(ActivityEvent).where(ActivityEvent.name == "user.profile_updated")).all()
    assert len(events) == 1, "saving unchanged values records nothing"
    assert set(events[0].data["fields"]) == {"display_name", "bio", "interests", "locale", "timezone"}


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("  Python , python,PYTHON  ", ["python"]),
        ("Machine   Learning, 写作，摄影、写作", ["machine learning", "写作", "摄影"]),
        ("Tea;  ; ,", ["tea"]),
        ("", []),
    ],
)
def test_interests_are_trimmed_lowercased_and_deduplicated_with_chinese_kept(typed, tags):
    assert parse_interests(typed) == tags


def test_member_saves_chinese_and_latin_interests(app, client, mei):
    client.post(URL, data=profile_form(client, interests="Product Design，摄影, product design"))
    assert stored(app, mei).interests == ["product design", "摄影"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "", "This field is required."),
        ("display_name", "  \t ", "This field is required."),
        ("display_name", "M" * 81, "80 characters"),
        ("bio", "b" * 5001, "5000 characters"),
        ("interests", ", ".join(f"topic{n}" for n in range(11)), "at most 10 interests"),
        ("interests", "tea, " + "x" * 31, "30 characters: " + "x" * 31),
        ("timezone", "Mars/Olympus_Mons", "Choose a time zone from the list."),
        ("timezone", "Factory", "Choose a time zone from the list."),
        ("locale", "fr", "Not a valid choice."),
    ],
)
def test_invalid_field_is_shown_beside_it_with_422_and_nothing_is_saved(app, client, mei, field, value, message):
    response = client.post(URL, data=profile_form(client, **{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = page.split(f'id="{field}-errors"', 1)
    assert len(errors) == 2, f"no errors beside {field}"
    assert message in errors[1].split("</ul>", 1)[0]
    assert stored(app, mei).display_name == "Mei"


def test_rejected_interests_are_shown_back_as_typed(client, mei):
    typed = "Tea, " + "x" * 31
    page = client.post(URL, data=profile_form(client, interests=typed)).get_data(as_text=True)
    assert f'value="{typed}"' in page


def test_extra_fields_in_the_post_change_nothing_else(app, client, mei):
    before = stored(app, mei)
    extra = {
        "role": "admin", "status": "banned", "email": "thief@example.com", "session_version": "99",
        "password_hash": "x", "points": "999999", "points_balance": "999999", "avatar": "../../kpay.db",
        "email_confirmed_at": "2020-01-01", "created_at": "2000-01-01", "id": "77", "digest": "off",
    }
    response = client.post(URL, data=profile_form(client, **extra))
    assert response.status_code == 302
    after = stored(app, mei)
    assert after.display_name == "Mei Chen"
    for column in ("id", "role", "status", "email", "session_version", "password_hash", "avatar",
                   "email_confirmed_at", "created_at", "digest"):
        assert getattr(after, column) == getattr(before, column), column
    assert b"Mei Chen" in client.get("/").data, "still logged in: the session version is unchanged"


def test_chosen_language_and_time_zone_apply_to_the_next_pages(client, mei):
    response = client.post(URL, data=profile_form(client, locale="zh_CN", timezone="America/New_York"))
    assert response.status_code == 302
    page = client.get(URL, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert '<option selected value="America/New_York">New York</option>' in page


def test_time_zones_are_grouped_by_region_and_sorted(client, mei):
    page = client.get(URL).get_data(as_text=True)
    select = page.split('id="timezone"', 1)[1].split("</select>", 1)[0]
    assert '<optgroup label="Asia">' in select and '<optgroup label="Europe">' in select
    values = [part.split('"', 1)[0] for part in select.split('value="')[1:]]
    regions = [value for value in values if "/" in value]
    assert regions == sorted(regions)
    assert "UTC" in values and "Factory" not in values and "localtime" not in values


def test_preview_returns_the_rendered_bio_partial_for_htmx_and_saves_nothing(app, client, mei):
    data = profile_form(client, bio="Hello **tea** lovers", display_name="")
    response = client.post(
        f"{URL}/preview", data=data, headers={"HX-Request": "true", "X-CSRFToken": data["csrf_token"]}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="bio-preview"')
    assert "<strong>tea</strong>" in body and "<html" not in body
    assert stored(app, mei).bio == ""


def test_preview_of_a_too_long_bio_says_so_with_422(client, mei):
    data = profile_form(client, bio="b" * 5001)
    response = client.post(f"{URL}/preview", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "5000 characters" in response.get_data(as_text=True)


def test_preview_button_without_javascript_shows_the_page_with_the_preview(app, client, mei):
    response = client.post(URL, data=profile_form(client, bio="*Green* tea", preview="y"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<em>Green</em>" in page and "<html" in page
    assert 'value="Mei Chen"' in page, "the other fields keep what was typed"
    assert stored(app, mei).bio == ""


def test_visitor_cannot_use_the_preview(client):
    token = csrf_token(client.get("/"))
    response = client.post(f"{URL}/preview", data={"csrf_token": token, "bio": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_settings_tab_and_navigation_link_lead_to_the_profile_settings(client, mei):
    page = client.get(URL).get_data(as_text=True)
    assert f'<a href="{URL}" aria-current="page">Profile</a>' in page
    assert f'href="{URL}"' in client.get("/").get_data(as_text=True)
