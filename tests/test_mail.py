"""E-mail leaves once, after commit, with its headers safe (embedded outbox)."""

from email import message_from_bytes
from pathlib import Path

import jinja2
import pytest

from kpay.extensions import db
from kpay.mail import send_email


@pytest.fixture
def app(make_app):
    """An app that also finds the test e-mail templates in tests/templates/."""
    app = make_app()
    here = jinja2.FileSystemLoader(Path(__file__).parent / "templates")
    app.jinja_env.loader = jinja2.ChoiceLoader([app.jinja_env.loader, here])
    return app


def outbox(app) -> list:
    folder = Path(app.instance_path) / "outbox"
    return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def test_email_is_written_to_the_outbox_once_after_commit(app):
    with app.app_context():
        assert send_email("a@example.com", "Hello", "test", key="hello:a", name="Ann")
        assert outbox(app) == [], "nothing leaves before the commit"
        db.session.commit()
        assert not send_email("a@example.com", "Hello", "test", key="hello:a", name="Ann")
        db.session.commit()
    [message] = outbox(app)
    assert message["To"] == "a@example.com"
    assert "Hello Ann" in message.get_payload(decode=True).decode()
    assert message["Message-ID"].startswith("<kpay-1-")


def test_rolled_back_email_is_never_sent(app):
    with app.app_context():
        send_email("a@example.com", "Hello", "test", name="Ann")
        db.session.rollback()
    assert outbox(app) == []


def test_line_breaks_in_a_subject_cannot_add_headers(app):
    with app.app_context():
        send_email("a@example.com", "Hi\r\nBcc: evil@example.com", "test", name="Ann")
        db.session.commit()
    [message] = outbox(app)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hi Bcc: evil@example.com"
