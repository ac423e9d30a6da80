"""A fresh site (no ``site_url``) on Redis: the worker's reply notifications still link home."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kpay import jobs
from kpay.extensions import db
from kpay.models import Job, Notification
from kpay.notifications.service import set_channel
from plugins.forums.tests.conftest import count, forums_config
from tests.conftest import TEST_REDIS_URL
from tests.mailbox import messages, text
from tests.test_worker import work_burst

pytestmark = pytest.mark.redis


@pytest.fixture
def app(make_app):
    app = make_app({"redis_url": TEST_REDIS_URL, **forums_config()})
    assert not app.config.get("SERVER_NAME")
    yield app
    jobs.queue(app).empty()


def test_watcher_hears_of_a_reply_with_a_link_to_the_address_it_was_posted_at(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator", name="Chen"), make_user(name="Mei")
    circle = make_circle(chen)
    forum(chen).post(f"/forums/c/{circle}/watch")
    with app.app_context():
        set_channel(chen.id, "forums.reply", "email")
        db.session.commit()
    forum(mei).join(circle)
    topic = forum(mei).start_topic(circle, title="First question")

    work_burst(app)

    with app.app_context():
        assert set(db.session.scalars(sa.select(Job.status))) == {"done"}
    assert count(app, Notification, Notification.user_id == chen.id, Notification.kind == "forums.reply") == 1
    [mail] = [m for m in messages(app, chen.email) if "First question" in m["Subject"]]
    assert f"http://localhost/forums/t/{topic}" in text(mail)
