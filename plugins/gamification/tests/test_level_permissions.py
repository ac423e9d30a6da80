"""Level unlocks of actions: an operator keeps links and polls to staff in ``[permissions]``, and
``permission:<name>|<level>`` opens them to every member who reaches the level, through the
core's ``can``; switching the plugin off takes the grant away."""

from __future__ import annotations

import pytest

from kpay.config import ConfigError
from kpay.testing import csrf_token
from plugins.gamification.tests.conftest import Person, gamification_config, start_circle

STAFF = ["owner", "admin", "moderator", "creator"]
LEVELS = ["0|Newcomer|新人", "5|Reader|读者"]
NARROWED = {"forums.post_links": STAFF, "forums.create_poll": STAFF}
LINK_REFUSED = "Links are not open to you yet: remove the link and post again."
POLL_REFUSED = "Polls are not open to you yet: choose another kind."


def _config(**settings) -> dict:
    return {**gamification_config(levels=LEVELS, **settings), "permissions": NARROWED}


def _start_topic(me: Person, circle: int, **fields):
    """Post the new-topic form of ``circle``; the response."""
    url = f"/forums/c/{circle}/new"
    data = {"kind": "discussion", "tags": "", "poll_results_after": "vote", **fields}
    return me.client.post(url, data={**data, "csrf_token": csrf_token(me.client.get(url))})


def test_links_and_polls_open_at_their_level_and_close_without_the_plugin(make_app, make_user):
    chen, reader = make_user("creator", name="Teacher Chen"), make_user(name="Rui Reader")
    app = make_app(_config(unlocks=["permission:forums.post_links|2", "permission:forums.create_poll|2"]))
    lobby = start_circle(app, chen, name="Lobby")
    me = Person(app, reader)
    me.post(f"/forums/c/{lobby}/join")
    link = {"title": "A good guide", "body": "Read [this guide](https://example.com/guide) first."}
    poll = {"title": "Which day suits you?", "body": "Vote, please.", "kind": "poll", "poll_options": "Monday\nFriday"}

    refused = _start_topic(me, lobby, **link)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert LINK_REFUSED in page and "https://example.com/guide" in page  # beside the field, the text kept
    refused = _start_topic(me, lobby, **poll)
    assert refused.status_code == 422 and POLL_REFUSED in refused.get_data(as_text=True)
    assert "A good guide" not in me.page(f"/forums/c/{lobby}") and "Which day suits you?" not in me.page(f"/forums/c/{lobby}")

    assert _start_topic(me, lobby, title="Where do I start?", body="A first question.", kind="question").status_code == 302
    assert "Level 2: Reader" in me.page("/gamification/me")  # 3 for the question, 2 for the first post
    assert _start_topic(me, lobby, **link).status_code == 302
    assert _start_topic(me, lobby, **poll).status_code == 302
    circle_page = me.page(f"/forums/c/{lobby}")
    assert "A good guide" in circle_page and "Which day suits you?" in circle_page

    without = make_app({**_config(), "plugins": {"enabled": ["forums", "courses", "pay_sandbox"]}}, create_tables=False)
    again = _start_topic(Person(without, reader), lobby, title="Another guide", body="See https://example.com/more")
    assert again.status_code == 422 and LINK_REFUSED in again.get_data(as_text=True)


def test_a_member_below_the_level_cannot_link_in_a_reply_either(make_app, make_user):
    chen, reader = make_user("creator", name="Teacher Chen"), make_user(name="Rui Reader")
    app = make_app(_config(unlocks=["permission:forums.post_links|2"]))
    lobby = start_circle(app, chen, name="Lobby")
    topic = _start_topic(Person(app, chen), lobby, title="Welcome", body="Say hello.").headers["Location"]
    me = Person(app, reader)
    me.post(f"/forums/c/{lobby}/join")
    url = f"{topic.rstrip('/')}/reply"
    refused = me.client.post(url, data={"body": "Hello, see www.example.com", "csrf_token": csrf_token(me.client.get(url))})
    assert refused.status_code == 422 and LINK_REFUSED in refused.get_data(as_text=True)
    assert "www.example.com" not in me.page(topic)


def test_a_bad_permission_unlock_line_stops_start_up_naming_the_key(make_app):
    with pytest.raises(ConfigError, match="unlocks"):
        make_app(gamification_config(unlocks=["permission:|2"]))


@pytest.mark.parametrize("line, problem", [
    ("permission:forums.post_linx|2", "unknown permission 'forums.post_linx'"),
    ("permission:admin.access|3", "'admin.access' is for owners and admins only"),
    ("permission:gamification.engagement|5", "'gamification.engagement' is for owners and admins only"),
])
def test_a_misspelt_or_staff_only_permission_unlock_stops_start_up_naming_the_key(make_app, line, problem):
    with pytest.raises(ConfigError, match=f"^plugins.gamification.unlocks: {problem}"):
        make_app(_config(unlocks=["course:7|3", line]))


def test_the_settings_page_refuses_a_misspelt_permission_beside_the_unlocks_field(make_app, make_user):
    app = make_app(_config(unlocks=["permission:forums.post_links|2"]))
    owner = Person(app, make_user("owner"))
    url = "/admin/plugins/gamification/settings"
    values = {key: "\n".join(value) if isinstance(value, list) else value
              for key, value in app.config["KPAY"]["plugins"]["gamification"].items()}
    refused = owner.client.post(url, data={**values, "unlocks": "permission:forums.post_linx|2",
                                           "csrf_token": csrf_token(owner.client.get(url))})
    assert refused.status_code == 422
    assert '<ul class="errors" id="unlocks-errors"><li>unknown permission &#39;forums.post_linx&#39;' in \
        refused.get_data(as_text=True)
    assert app.config["KPAY"]["plugins"]["gamification"]["unlocks"] == ["permission:forums.post_links|2"]
    saved = owner.client.post(url, data={**values, "unlocks": "permission:forums.create_poll|2",
                                         "csrf_token": csrf_token(owner.client.get(url))})
    assert saved.status_code == 302
    assert app.config["KPAY"]["plugins"]["gamification"]["unlocks"] == ["permission:forums.create_poll|2"]


def test_the_navigation_shows_a_level_unlocked_link_only_to_those_who_reached_it(make_app, make_user):
    chen, riser, newcomer = make_user("creator", name="Teacher Chen"), make_user(), make_user()
    app = make_app({**gamification_config(levels=LEVELS, unlocks=["permission:courses.create|2"]),
                    "permissions": {"courses.create": STAFF}})
    lobby = start_circle(app, chen, name="Lobby")
    me, other = Person(app, riser), Person(app, newcomer)
    assert "My courses" not in other.page("/")  # kept first for a member without the grant
    me.post(f"/forums/c/{lobby}/join")
    assert _start_topic(me, lobby, title="Where do I start?", body="A first question.", kind="question").status_code == 302
    assert "My courses" in me.page("/") and "My courses" in me.page("/forums/")
    assert "My courses" not in other.page("/") and "My courses" not in other.page("/forums/")
