"""Shared by the notification tests: an app with test kinds, and sending a notification."""

from __future__ import annotations

import pytest

from kpay import hookimpl, notify
from kpay.extensions import db
from kpay.models import User
from kpay.types import NotificationKind

SITE = "http://kpay.example"


class ReplyKinds:
    """A plugin that declares ``reply`` (in the bell by default) and ``mention`` (digest)."""

    @hookimpl
    def kpay_notification_kinds(self):
        return [
            NotificationKind("reply", "Replies", "in_app"),
            NotificationKind("mention", "Mentions", "digest"),
        ]


@pytest.fixture
def app(make_app):
    """An app whose e-mail links point at ``SITE``, with the ``ReplyKinds`` plugin."""
    return make_app({"site_url": SITE}, plugins=[ReplyKinds()])


def send(app, user_id: int, kind: str = "reply", text: str = "Ann replied", url: str = "/t/1",
         key: str | None = None) -> int | None:
    """``kpay.notify`` the member, committed, as a job or a plugin would; returns its id."""
    with app.app_context():
        notification_id = notify(db.session.get(User, user_id), kind, text, url, key=key)
        db.session.commit()
    return notification_id


def set_member(app, user_id: int, **values) -> None:
    """Change the member's columns (``digest``, ``timezone``, ``locale`` ...)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()
