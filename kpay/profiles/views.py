"""Profile settings (/account/profile), avatars (/avatars/<name>), covers (/covers/<name>) and
public profiles (/u/<id>)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, session, url_for
from werkzeug.wrappers import Response as BaseResponse
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kpay import covers, events, uploads
from kpay.extensions import db, limiter
from kpay.i18n import select_locale, select_timezone
from kpay.models import User
from kpay.profiles import avatars
from kpay.profiles.forms import PROFILE_FIELDS, AvatarForm, ProfileForm
from kpay.render import render
from kpay.uploads import UploadError

bp = Blueprint("profiles", __name__, url_prefix="")
ONE_YEAR = 60 * 60 * 24 * 365


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def edit():
    """The settings page; a valid post saves and redirects, the Preview button only previews."""
    user = _me()
    form = _profile_form(user)
    if form.is_submitted() and form.preview.data:
        return _preview(user, form)
    if form.validate_on_submit():
        changed = _save(user, form)
        if changed:
            events.emit("user.profile_updated", user=user, subject=user, fields=changed)
        db.session.commit()
        if "locale" in changed:
            session["locale"] = user.locale
        with force_locale(user.locale):
            flash(_("Your profile is saved."), "success")
        return redirect(url_for("profiles.edit"))
    return _settings_page(user, form)


@bp.route("/account/profile/preview", methods=["POST"])
@login_required
def preview():
    """The bio as it will be shown: the preview partial for htmx, the settings page otherwise."""
    user = _me()
    return _preview(user, _profile_form(user))


@bp.route("/account/avatar", methods=["POST"])
@login_required
@limiter.limit("20/hour", key_func=lambda: f"avatar:{getattr(current_user, 'id', None)}")
def upload_avatar():
    """Make the uploaded picture the member's avatar; a refused one is explained beside the field.

    Limited per member: each upload is decoded and re-encoded, which costs CPU.
    """
    user = _me()
    form = AvatarForm()
    if form.validate_on_submit():
        try:
            avatars.set_avatar(user, form.avatar.data.stream, current_app.config["KPAY"]["max_avatar_mb"])
        except UploadError as error:
            form.avatar.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your picture is saved."), "success")
            return redirect(url_for("profiles.edit"))
    return _settings_page(user, _profile_form(user, from_request=False), avatar_form=form)


@bp.route("/account/avatar/remove", methods=["POST"])
@login_required
def delete_avatar():
    """Go back to initials; the picture's file is deleted."""
    user = _me()
    if user.avatar:
        avatars.remove_avatar(user)
        db.session.commit()
        flash(_("Your picture is removed."), "success")
    return redirect(url_for("profiles.edit"))


@bp.route("/avatars/<name>")
def avatar(name: str) -> BaseResponse:
    """An avatar file; only names the site generated are looked up (no paths, no guesses)."""
    return _picture(avatars.FOLDER, avatars.NAME, name)


@bp.route("/covers/<name>")
def cover(name: str) -> BaseResponse:
    """A cover picture of a circle or product, looked up like an avatar."""
    return _picture(covers.FOLDER, covers.NAME, name)


def _picture(folder, pattern, name: str) -> BaseResponse:
    if not pattern.fullmatch(name):
        abort(404)
    # A name is never reused for other content, so caches may keep it for good.
    response = uploads.serve(f"{folder}/{name}", "image/webp", private=False, max_age=ONE_YEAR)
    if response.status_code == 200:
        response.headers["Cache-Control"] += ", immutable"
    return response


@bp.route("/u/<int:user_id>")
def show(user_id: int):
    """A member's public profile; 404 for an unknown, disabled or banned member."""
    member = db.session.get(User, user_id)
    if member is None or not member.is_active:
        abort(404)
    return render("profiles/show.html", member=member)


def _me() -> User:
    return db.session.get(User, current_user.id)


def _profile_form(user: User, from_request: bool = True) -> ProfileForm:
    """The profile form filled with ``user``'s values, overridden by the posted ones."""
    values = {
        "display_name": user.display_name,
        "bio": user.bio,
        "interests": user.interests or [],
        "locale": user.locale or select_locale(),
        "timezone": user.timezone or select_timezone(),
    }
    return ProfileForm(data=values) if from_request else ProfileForm(formdata=None, data=values)


def _save(user: User, form: ProfileForm) -> list[str]:
    """Copy the allow-listed ``PROFILE_FIELDS`` onto ``user``; the names of those that changed."""
    changed = [name for name in PROFILE_FIELDS if getattr(user, name) != form[name].data]
    for name in changed:
        setattr(user, name, form[name].data)
    return changed


def _preview(user: User, form: ProfileForm) -> Response:
    form.bio.validate(form)
    return _settings_page(user, form, preview=True)


def _settings_page(user: User, form: ProfileForm, avatar_form: AvatarForm | None = None,
                   preview: bool = False) -> Response:
    """The settings page (or, for an htmx preview, its preview partial); 422 when a form has errors."""
    avatar_form = avatar_form or AvatarForm(formdata=None)
    status = 422 if form.errors or avatar_form.errors else 200
    return render(
        "profiles/edit.html", partial="profiles/_bio_preview.html" if preview else None,
        status=status, user=user, form=form, avatar_form=avatar_form, preview=preview,
    )
