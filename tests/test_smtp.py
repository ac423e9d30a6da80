"""Notification e-mails leave over real SMTP (an aiosmtpd server on 127.0.0.1), in the
member's language, once, even when the server refuses twice first (F15, S34)."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from kpay import hookimpl, jobs
from kpay.extensions import db
from kpay.i18n import add_translations, forget_loaded_catalogs
from kpay.models import EmailMessage
from kpay.models.base import utcnow
from tests.notification_helpers import SITE, ReplyKinds, send, set_member


class Sink:
    """An SMTP server's handler: keeps what arrives; refuses the first ``refuse`` with 451."""

    def __init__(self, refuse: int = 0):
        self.refuse = refuse
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sink():
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def chinese_mail(tmp_path):
    """A plugin with Chinese for the notification e-mail's own lines."""
    folder = tmp_path / "translations"
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Hello %(name)s,", "%(name)s，您好：")
    catalog.add("Unsubscribe from these e-mails: %(url)s", "退订这类邮件：%(url)s")
    (folder / "zh_Hans_CN" / "LC_MESSAGES").mkdir(parents=True)
    with (folder / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").open("wb") as target:
        write_mo(target, catalog)

    class ChineseMail:
        @hookimpl
        def kpay_init_app(self, app):
            add_translations(app, folder)

    yield ChineseMail()
    forget_loaded_catalogs()


@pytest.fixture
def app(make_app, sink, chinese_mail):
    mail = {"server": "127.0.0.1", "port": sink[1], "use_tls": False}
    return make_app({"site_url": SITE, "mail": mail}, plugins=[ReplyKinds(), chinese_mail])


def test_notification_arrives_in_the_members_language_with_unsubscribe_headers(app, sink, make_user):
    handler, _ = sink
    member = make_user(email="li@example.com", name="Li")
    set_member(app, member.id, locale="zh_CN")
    send(app, member.id, kind="account", text="New log-in from Firefox", url="/account")
    [message] = handler.received
    assert message["To"] == "li@example.com"
    assert message["Subject"] == "[KPay Community] New log-in from Firefox"
    assert message["List-Unsubscribe"].startswith(f"<{SITE}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = message.get_payload(decode=True).decode()
    assert body.startswith("Li，您好：")
    assert f"{SITE}/account" in body and "退订这类邮件：" in body


def test_english_member_gets_english(app, sink, make_user):
    handler, _ = sink
    member = make_user(name="Ann")
    send(app, member.id, kind="account", text="Password changed", url="/account")
    assert handler.received[0].get_payload(decode=True).decode().startswith("Hello Ann,")


def test_line_breaks_in_notification_text_add_no_header(app, sink, make_user):
    handler, _ = sink
    send(app, make_user().id, kind="account", text="Hi\r\nBcc: evil@example.com", url="/")
    [message] = handler.received
    assert message["Bcc"] is None
    assert message["Subject"] == "[KPay Community] Hi Bcc: evil@example.com"


def test_refused_twice_then_accepted_arrives_exactly_once(app, sink, make_user):
    handler, _ = sink
    handler.refuse = 2
    start = utcnow()
    send(app, make_user().id, kind="account", text="New log-in", url="/")
    assert handler.received == [], "first attempt refused"
    with app.app_context():
        for seconds in (5, 11, 30, 75, 400, 4000):  # the backoff: 10 s, then 60 s
            with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
                jobs.relay()
        message = db.session.scalar(sa.select(EmailMessage))
    assert len(handler.received) == 1
    assert message.attempts == 3 and message.sent_at is not None
    assert "451" in message.last_error
