"""Sign-up, log-in and log-out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from kpay import events
from kpay.accounts import AccountError, authenticate, create_user, end_sessions, normalize_email
from kpay.config import LOCALES
from kpay.auth.forms import LoginForm, SignupForm
from kpay.extensions import db, limiter, login_manager
from kpay.models import User
from kpay.render import render
from kpay.security import safe_next

bp = Blueprint("auth", __name__, url_prefix="")
log = logging.getLogger("kpay.auth")

login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"


@login_manager.unauthorized_handler
def ask_to_log_in():
    """Send a visitor to the log-in page, and back here afterwards.

    An htmx request gets ``HX-Redirect`` so the whole page changes (a plain redirect would
    put the log-in form inside the partial), coming back to the page it was made from.
    """
    flash(str(login_manager.login_message), login_manager.login_message_category)
    if request.htmx:
        current = urlsplit(request.htmx.current_url or "")
        back = safe_next(current.path + (f"?{current.query}" if current.query else ""), "")
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for("auth.login", next=back or None)
        return response
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=back))


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The member named by a session token ``id:version``, if the version is current."""
    user_id, _, version = token.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    try:
        user = db.session.get(User, int(user_id))
    except sa.exc.OperationalError:
        # Database unreachable: treat the visitor as anonymous so the error page can render.
        log.warning("could not load member %s: database unreachable", user_id)
        db.session.rollback()
        return None
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user


def _email_key() -> str:
    return "login:" + normalize_email(request.form.get("email", ""))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def signup():
    form = SignupForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.display_name.data, form.password.data)
        except AccountError as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            events.emit("user.signed_up", user=user, subject=user)
            db.session.commit()
            _start_session(user, remember=False)
            flash(_("Welcome, %(name)s!", name=user.display_name), "success")
            return redirect(safe_next(form.next.data, url_for("home.index")))
    return render("auth/signup.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute;50/hour", methods=["POST"])
@limiter.limit("10/hour", methods=["POST"], key_func=_email_key)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            events.emit("user.logged_in", user=user)
            db.session.commit()
            return redirect(safe_next(form.next.data, url_for("home.index")))
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


def _start_session(user: User, remember: bool) -> None:
    """Log ``user`` in on a fresh session, keeping only the chosen language."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)
