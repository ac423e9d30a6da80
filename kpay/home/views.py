"""The home page, My learning, and the health checks."""

from __future__ import annotations

import smtplib

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from flask_login import current_user, login_required

from kpay import points
from kpay.commerce import entitlements
from kpay.extensions import db
from kpay.jobs import redis_connection
from kpay.models import User
from kpay.render import render

bp = Blueprint("home", __name__, url_prefix="")


@bp.route("/")
def index():
    newest = db.session.scalars(
        sa.select(User).where(User.status == "active").order_by(User.id.desc()).limit(8)
    ).all()
    if not current_user.is_authenticated:
        return render("home/index.html", newest=newest)
    return render(
        "home/index.html", newest=newest, balance=points.balance(current_user),
        held=entitlements.held_products(current_user.id),
    )


@bp.route("/me/learning")
@login_required
def learning():
    """My learning: what the plugins put in ``learning.main`` (courses, circles) and the
    products the member holds."""
    return render("home/learning.html", held=entitlements.held_products(current_user.id))


@bp.route("/healthz")
def healthz():
    """Alive: answers without touching any dependency."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Ready when the database answers; Redis and mail are reported, not required."""
    checks = {"database": _check_database(), "redis": _check_redis(), "mail": _check_mail()}
    ready = checks["database"] == "ok"
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def _check_database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return f"error: {type(error).__name__}"


def _check_redis() -> str:
    connection = redis_connection()
    if connection is None:
        return "not configured (embedded mode)"
    try:
        connection.ping()
        return "ok"
    except Exception as error:  # any failure to reach Redis is reported, never raised
        return f"error: {type(error).__name__}"


def _check_mail() -> str:
    mail = current_app.config["KPAY"]["mail"]
    if not mail["server"]:
        return "not configured (e-mails go to instance/outbox)"
    try:
        with smtplib.SMTP(mail["server"], mail["port"], timeout=2) as smtp:
            smtp.noop()
        return "ok"
    except (OSError, smtplib.SMTPException) as error:
        return f"error: {type(error).__name__}"
