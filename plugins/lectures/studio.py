"""The organizer's side under /live/studio: schedule, edit, cancel, attach the replay, see and
export attendees, message them. Only the organizer (or a lectures manager) reaches a lecture here."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kpay.api import Product, UploadError, allow_large_body, can, db, notify, render, require
from plugins.lectures import access, lifecycle, replays, seats
from plugins.lectures.forms import LectureForm, MessageForm, ReplayForm, options
from plugins.lectures.models import Lecture
from plugins.lectures.providers import providers
from plugins.lectures.views import bp


PAGE = 200  # attendees shown of each status; the CSV has them all


def _own(lecture_id: int) -> Lecture:
    require("lectures.create")
    item = access.visible_lecture(lecture_id)
    if not access.manages(item):
        abort(404)
    return item


@bp.route("/studio/")
def studio():
    """The organizer's lectures (a manager's: everyone's), latest first."""
    require("lectures.create")
    query = sa.select(Lecture).order_by(Lecture.starts_at.desc(), Lecture.id.desc()).limit(200)
    if not can("lectures.manage"):
        query = query.where(Lecture.creator_id == current_user.id)
    return render("lectures/studio/index.html", lectures=db.session.scalars(query).all())


def _choices(form: LectureForm, creator_id: int) -> None:
    products = db.session.scalars(sa.select(Product).where(Product.creator_id == creator_id,
                                                           Product.active.is_(True)).order_by(Product.id)).all()
    form.product_id.choices = options(("", _("Free for members")), *((str(p.id), p.name) for p in products))
    form.membership_product_id.choices = options(("", _("None")), *(
        (str(p.id), p.name) for p in products if p.kind == "membership"))
    form.provider.choices = options(*((p.name, p.label) for p in providers().values()))


@bp.route("/studio/new", methods=["GET", "POST"])
def studio_new():
    require("lectures.create")
    form = LectureForm(zone=access.settings()["default_zone"] or current_user.timezone or "Asia/Shanghai")
    _choices(form, current_user.id)
    if form.validate_on_submit():
        made = lifecycle.schedule(current_user, form.values(), form.starts.data, form.zone.data.strip(),
                                  form.repeat_until.data)
        db.session.commit()
        flash(_("Scheduled."), "success")
        return redirect(url_for("lectures.lecture", lecture_id=made[0].id))
    return render("lectures/studio/lecture.html", form=form, lecture=None, status=422 if form.is_submitted() else 200)


@bp.route("/studio/<int:lecture_id>", methods=["GET", "POST"])
def studio_lecture(lecture_id: int):
    """Edit a lecture; a new time tells attendees at once."""
    item = _own(lecture_id)
    form = LectureForm(obj=item, editing=True)
    _choices(form, item.creator_id)
    if not form.is_submitted():
        form.starts.data = item.local_start
        form.product_id.data = str(item.product_id or "")
        form.membership_product_id.data = str(item.membership_product_id or "")
    if item.status == "scheduled" and form.validate_on_submit():
        lifecycle.update(item, form.values(), form.starts.data, form.zone.data.strip())
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lectures.studio_lecture", lecture_id=item.id))
    return render("lectures/studio/lecture.html", form=form, lecture=item,
                  replay_form=ReplayForm(formdata=None, obj=item), message_form=MessageForm(formdata=None),
                  status=422 if form.is_submitted() else 200)


@bp.route("/studio/<int:lecture_id>/cancel", methods=["POST"])
def studio_cancel(lecture_id: int):
    item = _own(lecture_id)
    lifecycle.cancel(item)
    db.session.commit()
    flash(_("Cancelled; attendees were told."), "success")
    return redirect(url_for("lectures.studio_lecture", lecture_id=item.id))


@bp.route("/studio/<int:lecture_id>/replay", methods=["POST"])
@allow_large_body(lambda: access.settings()["max_replay_mb"])
def studio_replay(lecture_id: int):
    """Attach the replay: an embed address, an uploaded file, or both (a new file replaces the old)."""
    item = _own(lecture_id)
    form = ReplayForm()
    stored, valid = None, form.validate_on_submit()
    if valid:
        upload = form.replay_upload.data
        try:
            stored = replays.store_recording(upload.stream) if upload and upload.filename else None
        except UploadError as error:
            form.replay_upload.errors = [str(error)]
        else:
            if not (form.replay_url.data or stored or item.replay_file):
                form.replay_url.errors = [_("Give an embed address or upload the recording.")]
    if not valid or form.replay_url.errors or form.replay_upload.errors:
        edit = LectureForm(formdata=None, obj=item, editing=True)
        _choices(edit, item.creator_id)
        edit.starts.data = item.local_start
        return render("lectures/studio/lecture.html", form=edit, lecture=item, replay_form=form,
                      message_form=MessageForm(formdata=None), status=422)
    lifecycle.attach_replay(item, (form.replay_url.data or "").strip(), form.replay_notes.data or "", stored)
    db.session.commit()
    flash(_("The replay is attached."), "success")
    return redirect(url_for("lectures.studio_lecture", lecture_id=item.id))


@bp.route("/studio/<int:lecture_id>/attendees")
def studio_attendees(lecture_id: int):
    item = _own(lecture_id)
    return render("lectures/studio/attendees.html", lecture=item, rows=seats.attendees(item.id, limit=PAGE),
                  shown=PAGE)


@bp.route("/studio/<int:lecture_id>/attendees.csv")
def studio_attendees_csv(lecture_id: int):
    """The attendees and the waiting list as CSV (name, e-mail, status, since, attended)."""
    item = _own(lecture_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "status", "since", "attended"])
    for rsvp, member in seats.attendees(item.id):
        writer.writerow([_cell(member.display_name), member.email, rsvp.status, rsvp.updated_at.isoformat(),
                         rsvp.attended_at.isoformat() if rsvp.attended_at else ""])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="lecture-{item.id}-attendees.csv"'
    return response


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@bp.route("/studio/<int:lecture_id>/message", methods=["POST"])
def studio_message(lecture_id: int):
    """Send a short message to everyone going and in line (bell, or e-mail as they chose)."""
    item = _own(lecture_id)
    form = MessageForm()
    if not form.validate_on_submit():
        abort(400, _("Write a message of at most 1000 characters."))
    told = 0
    for _rsvp, member in seats.attendees(item.id):
        told += notify(member, "lectures.changes", f"{item.title}: {form.text.data.strip()}",
                       url_for("lectures.lecture", lecture_id=item.id)) is not None
    db.session.commit()
    flash(_("Sent to %(n)s members.", n=told), "success")
    return redirect(url_for("lectures.studio_lecture", lecture_id=item.id))


