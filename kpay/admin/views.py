"""The admin console: overview, plugins and jobs (members and the audit log: their own modules)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _

from kpay import plugins
from kpay.admin import overview
from kpay.jobs import retry
from kpay.extensions import db
from kpay.models import Job, User
from kpay.permissions import require
from kpay.render import render

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    require("admin.access")


@bp.route("/")
def index():
    from kpay.admin.backups import overdue  # its routes join this module's blueprint

    members = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    job_counts = dict(
        db.session.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status)).all()
    )
    state = current_app.extensions["kpay"]
    return render(
        "admin/index.html",
        members=members,
        job_counts=job_counts,
        enabled=state.enabled,
        pending_migrations=pending_migrations(),
        figures=overview.figures(),
        failed=overview.failed_jobs(),
        site_url=current_app.config["KPAY"]["site_url"],
        backup_overdue=overdue(),
    )


def pending_migrations() -> list[str]:
    """Alembic heads (core and enabled plugins) the database has not been upgraded to."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    with db.engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    applied_and_below = {
        rev.revision for head in applied for rev in script.iterate_revisions(head, "base")
    }
    return sorted(set(script.get_heads()) - applied_and_below)


@bp.route("/plugins")
def plugin_list():
    require("plugins.view")
    state = current_app.extensions["kpay"]
    infos = plugins.describe(state.enabled)
    configurable = {name for name, declared in plugins.declared_settings(state.pm).items() if declared}
    return render("admin/plugins.html", "admin/_plugins.html", plugins=infos, configurable=configurable)


@bp.route("/jobs")
def jobs():
    require("jobs.view")
    recent = db.session.scalars(sa.select(Job).order_by(Job.id.desc()).limit(50)).all()
    failed = db.session.scalars(
        sa.select(Job).where(Job.status == "failed").order_by(Job.id.desc()).limit(50)
    ).all()
    return render("admin/jobs.html", "admin/_jobs.html", recent=recent, failed=failed)


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
def retry_job(job_id: int):
    require("jobs.view")
    if retry(job_id):
        db.session.commit()
        flash(_("Job %(id)s will run again.", id=job_id), "success")
    else:
        flash(_("Job %(id)s is not a failed job.", id=job_id), "error")
    return redirect(url_for("admin.jobs"))
