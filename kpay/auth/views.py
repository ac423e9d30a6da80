"""Sign-up with address confirmation, log-in and log-out, and the pages they share.

Sign-up logs a newcomer in at once (with the confirmation banner when the site asks for
confirmed addresses). A taken address gets a "check your e-mail" page instead and its owner
is told by e-mail, so the form never logs anyone into an account they did not just create.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, make_response, redirect, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from htmx_flask import request as htmx_request  # flask's request, typed with htmx-flask's .htmx

from kpay import audit, events, tokens
from kpay.accounts import (
    AccountError, authenticate, create_user, end_sessions, find_by_email, normalize_email, record_login,
)
from kpay.auth import throttle
from kpay.auth.forms import ConfirmForm, LoginForm, SignupForm
from kpay.commerce import entitlements
from kpay.config import LOCALES
from kpay.extensions import db, limiter, login_manager
from kpay.mail import send_email
from kpay.models import User
from kpay.models.base import utcnow
from kpay.ratelimits import keyed_by_form_email, keyed_by_member
from kpay.models.notifications import unread_count_query
from kpay.render import render
from kpay.security import safe_next

bp = Blueprint("auth", __name__, url_prefix="")
log = logging.getLogger("kpay.auth")

login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
login_manager.refresh_view = "auth.reauth"
login_manager.needs_refresh_message_category = "info"

LINK_PROBLEMS = {
    "expired": _l("This link has expired."),
    "used": _l("This link has already been used, or a newer one replaced it."),
    "invalid": _l("This link is not valid. Check that you copied all of it."),
    "taken": _l("Another account uses this e-mail address now."),
}


def _redirect_with_next(endpoint: str):
    """Send the visitor to ``endpoint``, coming back to this page afterwards.

    An htmx request gets ``HX-Redirect`` so the whole page changes (a plain redirect would
    put the form inside the partial), coming back to the page it was made from.
    """
    if htmx_request.htmx:
        current = urlsplit(htmx_request.htmx.current_url or "")
        back = safe_next(current.path + (f"?{current.query}" if current.query else ""), "")
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for(endpoint, next=back or None)
        return response
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(endpoint, next=back))


@login_manager.unauthorized_handler
def ask_to_log_in():
    """Send a visitor to the log-in page, and back here afterwards."""
    flash(str(login_manager.login_message), login_manager.login_message_category)
    return _redirect_with_next("auth.login")


@login_manager.needs_refresh_handler
def ask_to_reauthenticate():
    """Send a member whose session came from a remember-me cookie to re-enter the password."""
    flash(_("Please confirm your password to continue."), login_manager.needs_refresh_message_category)
    return _redirect_with_next("auth.reauth")


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The member named by a session token ``id:version``, if the version is current."""
    user_id, _sep, version = token.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    # An unreachable database raises (a 503 from kpay.errors): a visitor it would log out.
    row = db.session.execute(_member_statement(), {"uid": int(user_id), "now": utcnow()}).first()
    user = row[0] if row is not None else None
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    g.unread_notifications = row[1]  # the bell's number and the products the member holds,
    entitlements.remember_held(user.id, row[2])  # loaded with the member in one statement
    return user


@functools.cache
def _member_statement():
    """The member, their unread count and the products they hold (built once per process)."""
    uid, now = sa.bindparam("uid", type_=sa.Integer), sa.bindparam("now", type_=User.created_at.type)
    return sa.select(User, unread_count_query(uid), entitlements.held_query(uid, now)).where(User.id == uid)


def mail_member(user: User, to: str, subject, template: str, **context) -> None:
    """E-mail ``user`` (at ``to``) in their language, ``subject`` a lazy string.

    Account e-mails carry confirmation and reset links, so they are private: an admin
    reading the outbox must not be able to take over the account.
    """
    with force_locale(user.locale) if user.locale else contextlib.nullcontext():
        subject = str(subject)
    send_email(to, subject, template, locale=user.locale, private=True, user=user, **context)


def link_problem(reason: str, retry_url: str, retry_label):
    """The page for a link that cannot be used, with the way forward."""
    return render(
        "auth/link-problem.html", message=LINK_PROBLEMS[reason], retry_url=retry_url,
        retry_label=retry_label, status=400,
    )


def check_email_page(address: str, message):
    """The "check your e-mail" page: the same whether or not ``address`` is registered."""
    return render("auth/check-email.html", address=address, message=message)


def confirmation_required() -> bool:
    """True when the site asks new members to confirm their address (a core setting)."""
    return current_app.config["KPAY"]["require_email_confirmation"]


def send_confirmation(user: User) -> None:
    """E-mail ``user`` a link that confirms their address."""
    token = tokens.issue("confirm", user, email=user.email)
    mail_member(
        user, user.email, _l("Confirm your e-mail address"), "confirm_email",
        link=url_for("auth.confirm", token=token, _external=True),
    )


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
@limiter.limit("3/hour", methods=["POST"], key_func=keyed_by_form_email("signup"))
def signup():
    form = SignupForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render("auth/signup.html", form=form), 200 if request.method == "GET" else 422
    try:
        user = create_user(form.email.data, form.display_name.data, form.password.data)
    except AccountError as error:
        if error.field != "email":
            raise
        owner = find_by_email(form.email.data)
        mail_member(
            owner, owner.email, _l("Someone tried to sign up with your address"), "address_taken",
            login_url=url_for("auth.login", _external=True),
            reset_url=url_for("auth.reset_request", _external=True),
        )
        db.session.commit()
        return check_email_page(
            normalize_email(form.email.data),
            _l("This address already has an account: we sent it a message. Log in, or reset the password."),
        )
    events.emit("user.signed_up", user=user, subject=user)
    if confirmation_required():
        send_confirmation(user)
    record_login(user)
    db.session.commit()
    start_session(user, remember=False)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
    return redirect(safe_next(form.next.data, url_for("home.index")))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """A GET shows a button; only the POST confirms (S38: link scanners only GET)."""
    form = ConfirmForm()
    try:
        user, claims = tokens.redeem("confirm", token, lambda u: {"email": u.email})
    except tokens.TokenError as error:
        return link_problem(error.reason, url_for("auth.login"), _l("Log in to get a new link"))
    if not form.validate_on_submit():
        return render("auth/confirm.html", form=form, email=claims["email"])
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.commit()
    flash(_("Your e-mail address is confirmed."), "success")
    return redirect(url_for("home.index") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/confirm", methods=["POST"])
@login_required
@limiter.limit("3/hour", key_func=keyed_by_member("confirm"))
def resend_confirmation():
    if current_user.email_confirmed_at is None:
        send_confirmation(current_user)
        db.session.commit()
    flash(_("We sent a new link to %(email)s.", email=current_user.email), "info")
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.BY_ADDRESS, methods=["POST"])
@limiter.limit(throttle.BY_ACCOUNT_AND_ADDRESS, methods=["POST"], key_func=throttle.account_and_address,
               deduct_when=throttle.failed)
@limiter.limit(throttle.BY_ACCOUNT_FROM_NEW_PLACES, methods=["POST"], key_func=throttle.account,
               deduct_when=throttle.failed, exempt_when=throttle.known_client)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            record_login(user)
            events.emit("user.logged_in", user=user)
            db.session.commit()
            start_session(user, remember=form.remember.data)
            response = redirect(safe_next(form.next.data, url_for("home.index")))
            throttle.remember_browser(response, user)
            return response
        audit.record("auth.login_failed", after={"email": normalize_email(form.email.data)})
        db.session.commit()
        form.password.errors.append(_("That e-mail and password do not match an active account."))
    status = 200 if request.method == "GET" else 422
    return render("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_sessions(db.session.get(User, current_user.id))
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("home.index"))


@bp.route("/language", methods=["POST"])
def language():
    choice = request.form.get("locale", "")
    if choice in LOCALES:
        session["locale"] = choice
        if current_user.is_authenticated:
            db.session.execute(sa.update(User).where(User.id == current_user.id).values(locale=choice))
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))


def start_session(user: User, remember: bool) -> None:
    """Log ``user`` in on a fresh session (S14), keeping only the chosen language."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)
