"""Password reset by an e-mailed link that works once, within an hour.

Asking for a link answers the same, and does the same work, whether or not the address is
registered (S13): the request only queues a job, which looks the address up and e-mails the
link when a member uses it.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kpay import jobs, tokens
from kpay.accounts import change_password, find_by_email, normalize_email
from kpay.auth.forms import ResetPasswordForm, ResetRequestForm
from kpay.auth.views import bp, check_email_page, link_problem, mail_member
from kpay.extensions import db, limiter
from kpay.models import User
from kpay.models.base import utcnow
from kpay.ratelimits import keyed_by_form_email
from kpay.render import render


def _unchanged_password(user: User) -> dict:
    """A reset token's claims: it stops working once the password changes."""
    return {"pw": tokens.fingerprint(user.password_hash)}


def _reset_key() -> str:
    """Rate-limit key for setting a new password: the member the link names."""
    try:
        return f"reset-submit:{tokens.read('reset', request.view_args['token'])['uid']}"
    except tokens.TokenError:
        return "reset-submit:invalid"


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", methods=["POST"])
@limiter.limit("3/hour", methods=["POST"], key_func=keyed_by_form_email("reset"))
def reset_request():
    form = ResetRequestForm()
    if not form.validate_on_submit():
        return render("auth/reset-request.html", form=form), 200 if request.method == "GET" else 422
    jobs.enqueue(send_reset_link, normalize_email(form.email.data))
    db.session.commit()
    return check_email_page(
        normalize_email(form.email.data),
        _l("If an account uses this address, we sent it a link to choose a new password. "
           "The link works once, within an hour."),
    )


def send_reset_link(email: str) -> None:
    """The job: e-mail a link that sets a new password, when an active member uses ``email``."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        return
    token = tokens.issue("reset", user, **_unchanged_password(user))
    link = url_for("auth.reset", token=token, _external=True)
    mail_member(user, user.email, _l("Reset your password"), "password_reset", link=link)
    db.session.commit()


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
@limiter.limit("5/hour", methods=["POST"], key_func=_reset_key)
def reset(token: str):
    try:
        user, _claims = tokens.redeem("reset", token, _unchanged_password)
    except tokens.TokenError as error:
        return link_problem(error.reason, url_for("auth.reset_request"), _l("Request a new link"))
    if not user.is_active:
        return link_problem("invalid", url_for("auth.reset_request"), _l("Request a new link"))
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render("auth/reset.html", form=form), 200 if request.method == "GET" else 422
    change_password(user, form.password.data, action="auth.password_reset")
    # The link reached this mailbox, which confirms the address.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db.session.commit()
    flash(_("Your password has been changed. Log in with the new one."), "success")
    return redirect(url_for("auth.login"))
