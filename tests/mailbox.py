"""Reading the e-mails an app wrote to its outbox folder, and the links in them."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from kpay import jobs


def messages(app, to: str | None = None) -> list[Message]:
    """The e-mails sent so far, oldest first; only those to ``to`` when given.

    A server runs a request's jobs once the response is closed, which Flask's test client
    never does; the minute clock's relay runs the waiting ones here instead.
    """
    with app.app_context():
        jobs.relay()
    folder = Path(app.instance_path) / "outbox"
    found = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]
    return [m for m in found if to is None or m["To"] == to]


def text(message: Message) -> str:
    """The plain-text body of ``message``."""
    return message.get_body(("plain",)).get_content()


def link_path(message: Message) -> str:
    """The path of the first link on this site in ``message``'s text."""
    match = re.search(r"http://localhost(/\S+)", text(message))
    assert match, "no link in the e-mail"
    return urlsplit(match.group(0)).path


def last_link(app, to: str) -> str:
    """The path of the link in the newest e-mail to ``to``."""
    return link_path(messages(app, to)[-1])
