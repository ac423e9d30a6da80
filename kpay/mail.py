"""E-mail: rendered now (in the recipient's language), delivered once by a job after commit.

With ``[mail] server`` set, messages go out over SMTP; without it they are written to
``instance/outbox/`` as ``.eml`` files, which admins read at /admin/outbox.
"""

from __future__ import annotations

import contextlib
import smtplib
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from kpay.extensions import db
from kpay.jobs import enqueue
from kpay.models import EmailMessage
from kpay.models.base import utcnow
from kpay.transactions import add_to, insert_once

OUTBOX = "outbox"
# RFC 5322's line limit: at the default 78, a long header word (the URL in List-Unsubscribe)
# is folded into RFC 2047 encoded words, which mail clients do not read as a URL.
MIME_POLICY = policy.default.clone(max_line_length=998)


def send_email(
    to: str,
    subject: str,
    template: str,
    *,
    key: str | None = None,
    locale: str | None = None,
    headers: dict[str, str] | None = None,
    private: bool = False,
    **context,
) -> bool:
    """Queue an e-mail to ``to``, delivered after the current transaction commits.

    The body is ``templates/mail/<template>.txt`` (and ``.html`` when it exists), rendered
    with ``context`` in ``locale`` (the recipient's; default the current one). Line breaks
    are removed from ``subject``. A ``private`` message (one holding a personal link) is never
    shown to admins. Returns False, queueing nothing, when ``key`` was used.
    """
    with force_locale(locale) if locale else contextlib.nullcontext():
        text = render_template(f"mail/{template}.txt", **context)
        try:
            html = render_template(f"mail/{template}.html", **context)
        except TemplateNotFound:
            html = None
    message_id = insert_once(
        EmailMessage, ("key",),
        to_address=to, subject=" ".join(subject.split()), text_body=text, html_body=html,
        headers=headers or {}, key=key, private=private, attempts=0, created_at=utcnow(),
    )
    if message_id is None:
        return False
    enqueue(deliver, message_id)
    return True


def deliver(message_id: int) -> None:
    """Send e-mail ``message_id`` unless it was sent: over SMTP, or into the outbox folder.

    An SMTP failure raises, so the job is retried with backoff; the ``Message-ID`` is the
    same on every attempt, so a receiving server can drop a duplicate.
    """
    message = db.session.get(EmailMessage, message_id)
    if message is None or message.sent_at is not None:
        return
    add_to(message, attempts=1)
    mime = build_mime(message)
    settings = current_app.config["KPAY"]["mail"]
    try:
        if settings["server"]:
            _send_smtp(mime, settings)
        else:
            folder = Path(current_app.instance_path) / OUTBOX
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{message.id:08d}.eml").write_bytes(bytes(mime))
    except (OSError, smtplib.SMTPException) as error:
        message.last_error = f"{type(error).__name__}: {error}"
        db.session.commit()
        raise
    message.sent_at = utcnow()
    db.session.commit()


def build_mime(message: EmailMessage) -> MimeMessage:
    """The MIME message for an ``EmailMessage`` row: text, optional HTML, its headers."""
    sender = current_app.config["KPAY"]["mail"]["sender"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    mime = MimeMessage(policy=MIME_POLICY)
    mime["From"] = sender
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
    mime["Message-ID"] = f"<kpay-{message.id}-{int(message.created_at.timestamp())}@{domain}>"
    for name, value in (message.headers or {}).items():
        mime[name] = " ".join(str(value).split())
    mime.set_content(message.text_body)
    if message.html_body:
        mime.add_alternative(message.html_body, subtype="html")
    return mime


def _send_smtp(mime: MimeMessage, settings: dict) -> None:
    with smtplib.SMTP(settings["server"], settings["port"], timeout=30) as smtp:
        if settings["use_tls"]:
            smtp.starttls()
        if settings["username"]:
            smtp.login(settings["username"], settings["password"])
        smtp.send_message(mime)
