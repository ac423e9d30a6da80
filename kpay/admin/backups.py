"""The owner's backups page: the archives in ``backup.folder``, starting one and downloading
one (owner only, after a fresh log-in, audit-logged)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import abort, current_app, flash, redirect, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user, fresh_login_required

from kpay import audit
from kpay.admin.views import bp
from kpay.auth.forms import ConfirmForm
from kpay.backup import archive
from kpay.backup.database import BackupError
from kpay.backup.scheduled import NAME
from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.permissions import require
from kpay.render import render

OVERDUE = timedelta(hours=26)


def _folder() -> Path | None:
    folder = current_app.config["KPAY"]["backup"]["folder"]
    return Path(folder) if folder else None


def archives(folder: Path | None) -> list[dict]:
    """The archives in ``folder``, newest first: name, size in bytes, when written."""
    if folder is None or not folder.is_dir():
        return []
    found = [{"name": path.name, "size": path.stat().st_size,
              "written": datetime.fromtimestamp(path.stat().st_mtime, UTC)}
             for path in folder.iterdir() if NAME.fullmatch(path.name)]
    return sorted(found, key=lambda item: item["written"], reverse=True)


def overdue() -> bool:
    """Scheduled backups are on but no archive is younger than a day and two hours (the last
    one failed or the clock did not run)."""
    folder = _folder()
    if folder is None:
        return False
    found = archives(folder)
    return not found or utcnow() - found[0]["written"] > OVERDUE


@bp.route("/backups")
@fresh_login_required
def backups():
    require("site.configure")
    folder = _folder()
    return render("admin/backups.html", folder=folder, archives=archives(folder), form=ConfirmForm())


@bp.route("/backups/start", methods=["POST"])
@fresh_login_required
def start_backup():
    require("site.configure")
    folder = _folder()
    if folder is None or not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        path = archive.create(folder)
    except BackupError as error:
        flash(_("The backup failed: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("admin.backups"))
    audit.record("backup.created", actor=current_user, after={"archive": path.name})
    db.session.commit()
    flash(_("Backup written: %(name)s.", name=path.name), "success")
    return redirect(url_for("admin.backups"))


@bp.route("/backups/<name>")
@fresh_login_required
def download_backup(name: str):
    require("site.configure")
    folder = _folder()
    if folder is None or not NAME.fullmatch(name) or not (folder / name).is_file():
        abort(404)
    audit.record("backup.downloaded", actor=current_user, after={"archive": name})
    db.session.commit()
    return send_from_directory(folder, name, as_attachment=True)
