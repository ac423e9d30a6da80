""""Download my data": a job writes a ZIP of JSON files, the member fetches it for a week."""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_ngettext

from kpay.extensions import db
from kpay.jobs import enqueue
from kpay.models import ActivityEvent, AuditEntry, EmailMessage, ExportRequest, PointsEntry, User
from kpay.models.base import utcnow
from kpay.models.privacy import EXPORT_LIFETIME
from kpay.notifications.service import notify
from kpay.privacy.holders import ask_every_holder
from kpay.transactions import after_commit

FOLDER = "exports"
PROFILE_FIELDS = (
    "id", "email", "display_name", "role", "status", "locale", "timezone", "bio", "avatar",
    "interests", "digest", "email_confirmed_at", "last_login_at", "created_at",
)


def latest_export(user: User) -> ExportRequest | None:
    """The member's most recent export request, if any."""
    return db.session.scalar(
        sa.select(ExportRequest)
        .where(ExportRequest.user_id == user.id)
        .order_by(ExportRequest.id.desc())
        .limit(1)
    )


def request_export(user: User, page_url: str) -> ExportRequest:
    """A pending export for ``user``: the one being prepared, or a new one with its job.

    ``page_url`` is the privacy page's address, for the e-mail sent when the file is ready.
    The caller commits.
    """
    pending = db.session.scalar(
        sa.select(ExportRequest).where(ExportRequest.user_id == user.id, ExportRequest.status == "pending")
    )
    if pending is not None:
        return pending
    now = utcnow()
    export = ExportRequest(
        user_id=user.id, token=secrets.token_urlsafe(24), status="pending",
        created_at=now, expires_at=now + EXPORT_LIFETIME,
    )
    db.session.add(export)
    db.session.flush()
    enqueue(build_export, export.id, page_url, key=f"privacy:export:{export.id}")
    return export


def build_export(export_id: int, page_url: str) -> None:
    """The job: write the ZIP of export ``export_id`` and notify its member; once.

    A failure marks the export ``failed`` (the page says so) and raises, so the job is
    retried; a later attempt that succeeds makes it ``ready``.
    """
    export = db.session.get(ExportRequest, export_id)
    if export is None or export.status == "ready":
        return
    user = db.session.get(User, export.user_id)
    try:
        write_zip(export_path(export), {**core_files(user), **plugin_files(user)})
    except Exception:
        export.status, export.finished_at = "failed", utcnow()
        db.session.commit()
        raise
    export.status, export.finished_at = "ready", utcnow()
    text = lazy_ngettext(
        "Your data is ready to download for %(num)s day.",
        "Your data is ready to download for %(num)s days.",
        EXPORT_LIFETIME.days,
    )
    notify(user, "account", text, urlsplit(page_url).path, key=f"privacy:export-ready:{export.id}")


def core_files(user: User) -> dict[str, object]:
    """The core's data about ``user``, by file name in the ZIP."""

    def rows(model, *conditions, fields):
        found = db.session.scalars(sa.select(model).where(*conditions).order_by(model.id))
        return [{name: getattr(row, name) for name in fields} for row in found]

    return {
        "profile.json": {name: getattr(user, name) for name in PROFILE_FIELDS},
        "activity.json": rows(
            ActivityEvent, ActivityEvent.user_id == user.id,
            fields=("name", "subject_type", "subject_id", "data", "created_at"),
        ),
        "points.json": rows(
            PointsEntry, PointsEntry.user_id == user.id, fields=("amount", "reason", "created_at")
        ),
        "audit.json": rows(
            AuditEntry,
            sa.or_(
                AuditEntry.actor_id == user.id,
                sa.and_(AuditEntry.target_type == User.__tablename__, AuditEntry.target_id == str(user.id)),
            ),
            fields=("action", "actor_id", "target_type", "target_id", "before", "after", "ip", "created_at"),
        ),
        "emails.json": rows(
            EmailMessage, EmailMessage.to_address == user.email,
            fields=("subject", "text_body", "created_at", "sent_at"),
        ),
    }


def plugin_files(user: User) -> dict[str, object]:
    """The ``kpay_user_data(action="export")`` answer of every plugin holding data, enabled or
    not (``holders``), as plugins/<name>.json."""
    return {f"plugins/{name}.json": data for name, data in ask_every_holder(user, "export").items()}


def write_zip(path: Path, files: dict[str, object]) -> None:
    """Write ``files`` (name: JSON value) into the ZIP at ``path``, all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_value)
            archive.writestr(name, text + "\n")
    os.replace(partial, path)


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def export_path(export: ExportRequest) -> Path:
    """Where the ZIP of ``export`` is kept: instance/exports/<token>.zip."""
    return Path(current_app.instance_path) / FOLDER / f"{export.token}.zip"


def downloadable(user: User, token: str) -> ExportRequest | None:
    """``user``'s ready, unexpired export named ``token``; None for anyone else's."""
    return db.session.scalar(
        sa.select(ExportRequest).where(
            ExportRequest.token == token,
            ExportRequest.user_id == user.id,
            ExportRequest.status == "ready",
            ExportRequest.expires_at > utcnow(),
        )
    )


def forget_exports(condition) -> None:
    """Delete the export requests matching ``condition``, and their files once committed."""
    exports = db.session.scalars(sa.select(ExportRequest).where(condition)).all()
    paths = [export_path(export) for export in exports]
    for export in exports:
        db.session.delete(export)

    def remove_files():
        for path in paths:
            path.unlink(missing_ok=True)

    after_commit(remove_files)


def remove_expired_exports() -> None:
    """The hourly sweep: expired exports and their files go."""
    forget_exports(ExportRequest.expires_at <= utcnow())
    db.session.commit()
