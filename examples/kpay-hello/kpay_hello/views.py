"""The hello page (/hello/), its greetings partial and the lazy "latest greetings" widget."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kpay.api import db, render, require
from kpay_hello import greetings

bp = Blueprint("hello", __name__, template_folder="templates", static_folder="static")


@bp.route("/")
def index():
    """The page; an htmx request for it gets only the greetings list."""
    return render(
        "hello/index.html", partial="hello/_greetings.html",
        greetings=greetings.latest(), greeting=greetings.greeting(),
    )


@bp.route("/", methods=["POST"])
def post():
    """Post a greeting (members with ``hello.post``), then show the list again."""
    require("hello.post")
    text = request.form.get("text", "").strip()[:280]
    if text:
        greetings.post(current_user, text)
        db.session.commit()
    else:
        flash(_("Write a greeting first."), "error")
    if request.htmx and not request.htmx.boosted:
        return index()
    return redirect(url_for("hello.index"))


@bp.route("/latest")
def latest():
    """The latest greetings: the lazy widget's content, or a page of its own without htmx."""
    return render("hello/latest.html", partial="hello/_latest.html", greetings=greetings.latest(5))
