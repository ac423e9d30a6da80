"""The privacy page (/account/privacy): download my data, delete my account."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from kpay.accounts import PASSWORD_MAX
from kpay.extensions import db, limiter
from kpay.forms import FlaskForm
from kpay.privacy.erase import erase_member, is_last_owner
from kpay.privacy.exports import downloadable, export_path, latest_export, request_export
from kpay.privacy.holders import DisabledPluginError
from kpay.render import render, wants_partial

bp = Blueprint("privacy", __name__, url_prefix="/account/privacy")
log = logging.getLogger("kpay.privacy")


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )


@bp.route("/")
@login_required
def index():
    """The page; while an export is being prepared, htmx polls for its part of the page."""
    return render(
        "privacy/index.html", "privacy/_export.html",
        export=latest_export(current_user), bell_out_of_band=wants_partial(),
    )


@bp.route("/export", methods=["POST"])
@login_required
def export():
    request_export(current_user, url_for("privacy.index", _external=True))
    db.session.commit()
    flash(_("Your data is being prepared. We will let you know when it is ready."), "info")
    return redirect(url_for("privacy.index"))


@bp.route("/exports/<token>")
@login_required
def download(token: str):
    """The member's own ready export as an attachment; 404 for anyone else's or an old one."""
    ready = downloadable(current_user, token)
    if ready is None or not export_path(ready).exists():
        abort(404)
    response = send_file(
        export_path(ready), mimetype="application/zip", as_attachment=True,
        download_name=f"kpay-data-{ready.created_at:%Y-%m-%d}.zip",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10/hour", methods=["POST"])
def delete():
    """Ask for the password, then erase the account and log out."""
    form = DeleteAccountForm()
    last_owner = is_last_owner(current_user)
    if not last_owner and form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("That is not your current password."))
        else:
            try:
                erase_member(current_user._get_current_object())
            except DisabledPluginError as error:
                db.session.rollback()
                log.error("account %s not erased: %s", current_user.id, error)
                form.password.errors.append(_(
                    "Your account could not be deleted yet: %(plugin)s, which is switched off, still holds some "
                    "of your data. Please tell the site's owner.", plugin=error.plugin))
            else:
                db.session.commit()
                logout_user()
                session.clear()
                flash(_("Your account was deleted."), "info")
                return redirect(url_for("home.index"))
    status = 422 if form.is_submitted() else 200
    return render("privacy/delete.html", form=form, last_owner=last_owner), status
