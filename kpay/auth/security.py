"""The member's security settings: password, e-mail address, sessions; and re-authentication.

Every change here needs a fresh log-in (a session started with the password, or confirmed at
/reauth: a remember-me cookie alone is not enough, S16) and the current password again.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import confirm_login, current_user, fresh_login_required, login_required

from kpay import audit, tokens
from kpay.accounts import AccountError, change_email, change_password, end_sessions, find_by_email, normalize_email
from kpay.auth.forms import ChangeEmailForm, ChangePasswordForm, ConfirmForm, ReauthForm
from kpay.auth.views import (
    bp, check_email_page, link_problem, mail_member, start_session,
)
from kpay.extensions import db, limiter
from kpay.models import User
from kpay.ratelimits import keyed_by_member
from kpay.render import render
from kpay.security import safe_next

WRONG_PASSWORD = _l("That is not your current password.")


def _member() -> User:
    """The logged-in member as a row of this request's database session."""
    return db.session.get(User, current_user.id)


def _security_page(status: int = 200, **forms):
    forms.setdefault("password_form", ChangePasswordForm(formdata=None))
    forms.setdefault("email_form", ChangeEmailForm(formdata=None))
    return render("account/security.html", sessions_form=ConfirmForm(), **forms), status


def _keep_this_session(user: User) -> None:
    """After ``end_sessions``, log this browser in again at the new session version."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    start_session(user, remember=cookie in request.cookies)


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
@limiter.limit("10/hour", methods=["POST"], key_func=keyed_by_member("reauth"))
def reauth():
    form = ReauthForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            confirm_login()
            return redirect(safe_next(form.next.data, url_for("auth.security")))
        form.password.errors.append(str(WRONG_PASSWORD))
    return render("auth/reauth.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/account/security")
@fresh_login_required
def security():
    return _security_page()


@bp.route("/account/password", methods=["POST"])
@fresh_login_required
def password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _security_page(422, password_form=form)
    user = _member()
    if not user.check_password(form.current_password.data):
        form.current_password.errors.append(str(WRONG_PASSWORD))
        return _security_page(422, password_form=form)
    try:
        change_password(user, form.new_password.data)
    except AccountError as error:
        form.new_password.errors.append(str(error))
        return _security_page(422, password_form=form)
    db.session.commit()
    _keep_this_session(user)
    flash(_("Your password has been changed. Other devices have been logged out."), "success")
    return redirect(url_for("auth.security"))


@bp.route("/account/email", methods=["POST"])
@fresh_login_required
@limiter.limit("5/hour", key_func=keyed_by_member("email-change"))
@limiter.limit("20/hour")
def email():
    form = ChangeEmailForm()
    if not form.validate_on_submit():
        return _security_page(422, email_form=form)
    user = _member()
    new_email = normalize_email(form.new_email.data)
    if not user.check_password(form.current_password.data):
        form.current_password.errors.append(str(WRONG_PASSWORD))
        return _security_page(422, email_form=form)
    if new_email == user.email:
        form.new_email.errors.append(_("This is already your address."))
        return _security_page(422, email_form=form)
    owner = find_by_email(new_email)
    if owner is not None:
        # Said by e-mail to that address's owner, never on this page (S13).
        mail_member(
            owner, owner.email, _l("Someone tried to use your address"), "address_taken",
            login_url=url_for("auth.login", _external=True),
            reset_url=url_for("auth.reset_request", _external=True),
        )
    else:
        token = tokens.issue("email-change", user, old=user.email, new=new_email)
        mail_member(
            user, new_email, _l("Confirm your new e-mail address"), "email_change",
            link=url_for("auth.email_confirm", token=token, _external=True), new_email=new_email,
        )
    db.session.commit()
    return check_email_page(
        new_email, _l("We sent a link to your new address. Your address changes when you follow it."),
    )


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def email_confirm(token: str):
    """A GET shows a button; only the POST moves the account to the new address (S38)."""
    form = ConfirmForm()
    try:
        user, claims = tokens.redeem("email-change", token, lambda u: {"old": u.email})
    except tokens.TokenError as error:
        return link_problem(error.reason, url_for("auth.security"), _l("Ask for a new link"))
    if not form.validate_on_submit():
        return render("auth/confirm.html", form=form, email=claims["new"])
    old_email = user.email
    try:
        change_email(user, claims["new"])
    except AccountError:
        return link_problem("taken", url_for("auth.security"), _l("Choose another address"))
    mail_member(
        user, old_email, _l("Your e-mail address was changed"), "email_changed",
        new_email=claims["new"], reset_url=url_for("auth.reset_request", _external=True),
    )
    db.session.commit()
    flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.security") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/account/sessions", methods=["POST"])
@fresh_login_required
def end_other_sessions():
    """Log out everywhere else: every other session and remember-me cookie ends."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _security_page(422)
    user = _member()
    end_sessions(user)
    audit.record("auth.sessions_ended", actor=user, target=user)
    db.session.commit()
    _keep_this_session(user)
    flash(_("You have been logged out on every other device."), "success")
    return redirect(url_for("auth.security"))
