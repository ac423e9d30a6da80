"""The member's side: invite links, the visitor's landing, sharing, posters, payouts."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from kpay.api import User, db, ledger_balance_expression, limiter, login_required, render, wants_partial
from plugins.referrals import attribution, codes, coupons, poster, typed
from plugins.referrals.forms import CodeForm, PayoutRequestForm
from plugins.referrals.models import Attribution, Payout, Reward, Visit
from plugins.referrals.payouts import PayoutRefused, paid_to, request_payout
from plugins.referrals.rewards import available_account

bp = Blueprint("referrals", __name__, url_prefix="", template_folder="templates", static_folder="static",
               static_url_path="/referrals/static")
bp.before_app_request(typed.at_checkout)  # a code typed in commerce's checkout form (see typed.py)
bp.after_app_request(codes.keep_device)  # a browser given a device id keeps it
INTENTS = {
    "weibo": ("https://service.weibo.com/share/share.php", "url", "title"),
    "x": ("https://twitter.com/intent/tweet", "url", "text"),
}


def local_path(value: str | None) -> str:
    """``value`` when it is a path on this site (no scheme, host or backslash), else ""."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if not value.startswith("/") or value.startswith("//") or "\\" in value or parts.scheme or parts.netloc:
        return ""
    return value[:200]


def invite_link(user_id: int, item: str = "", channel: str = "") -> str:
    """The member's absolute invite link, to ``item`` (a path) when given."""
    query = {key: value for key, value in (("to", item), ("via", channel)) if value}
    return url_for("referrals.visit", code=codes.code_for(user_id), _external=True) + (
        f"?{urlencode(query)}" if query else "")


def _with_cookie(response: Response, name: str, value: str, days: int) -> Response:
    response.set_cookie(name, value, max_age=days * 86400, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


@bp.route("/invite/<code>")
def visit(code: str):
    """Arriving through a member's link: count the visit, remember the referrer (last touch),
    and go on to the shared item or sign-up. A malformed or unknown code is ignored."""
    item = local_path(request.args.get("to"))
    channel = request.args.get("via", "link")
    channel = channel if channel in codes.CHANNELS else "link"
    target = item or url_for("auth.signup")
    referrer_id = codes.user_id_of(code)
    referrer = db.session.get(User, referrer_id) if referrer_id else None
    response = redirect(target)
    if referrer is None or referrer.status != "active" or (
            current_user.is_authenticated and current_user.id == referrer.id):
        return response
    attribution.record_visit(referrer.id, item or "/", channel, codes.device_id())
    db.session.commit()
    days = attribution.settings()["cookie_days"]
    return _with_cookie(response, codes.REFERRAL_COOKIE, codes.referral_cookie(referrer.id, channel, item), days)


@bp.route("/invite", methods=["GET", "POST"])
def invite():
    """A member's invite page; a visitor's page to type a friend's code."""
    if current_user.is_authenticated and request.method == "GET":
        return member_page()
    form = CodeForm()
    if form.validate_on_submit():
        referrer_id = codes.user_id_of(form.code.data)
        referrer = db.session.get(User, referrer_id) if referrer_id else None
        if referrer is None or referrer.status != "active":
            form.code.errors = [_("This code is not valid. Check it with the friend who gave it to you.")]
        elif current_user.is_authenticated and current_user.id == referrer.id:
            form.code.errors = [_("This is your own code: share it with a friend instead.")]
        elif current_user.is_authenticated:
            flash(_("You have an account already, so the code is not needed."), "info")
            return redirect(url_for("referrals.invite"))
        else:
            response = redirect(url_for("auth.signup"))
            days = attribution.settings()["cookie_days"]
            return _with_cookie(response, codes.REFERRAL_COOKIE, codes.referral_cookie(referrer.id, "code", ""), days)
    return render("referrals/welcome.html", form=form, status=422 if form.is_submitted() else 200)


def member_page():
    """The member's link, code, QR code, poster, figures, rewards and statement."""
    me = current_user.id
    currency = current_app.config["KPAY"]["commerce"]["currency"]
    summary = _summary(me, currency)
    statement = db.session.execute(
        sa.select(Reward, User.display_name).outerjoin(User, User.id == Reward.invitee_id)
        .where(Reward.referrer_id == me).order_by(Reward.id.desc()).limit(30)
    ).all()
    available = summary["available"]
    link = invite_link(me)
    form = PayoutRequestForm(formdata=None, currency=currency, nonce=secrets.token_urlsafe(24))
    return render(
        "referrals/invite.html", link=link, code=codes.code_for(me), summary=summary,
        statement=statement, available=available, currency=currency, payout_form=form,
        poster_url=url_for("referrals.poster_png", s=poster.token(current_app.config["KPAY"]["site_name"], "", "", "")),
        qr_svg=qr_svg(link), minimum=attribution.settings()["payout_minimum_minor"], coupons=coupons.mine(me),
    )


def _summary(user_id: int, currency: str) -> dict:
    """The member's figures in one statement: visits, sign-ups, conversions, reward sums by
    kind, status and currency, and what is available to pay out in ``currency``."""
    visits = sa.select(sa.literal("visits"), sa.literal(""), sa.literal(""), sa.func.count(), sa.literal(0)).where(
        Visit.referrer_id == user_id)
    signups = sa.select(sa.literal("signups"), sa.literal(""), sa.literal(""), sa.func.count(),
                        sa.func.count(Attribution.converted_at)).where(Attribution.referrer_id == user_id)
    rewards = sa.select(Reward.kind, Reward.status, Reward.currency, sa.func.count(),
                        sa.func.sum(sa.case((Reward.status == "reversed", Reward.amount),
                                            else_=Reward.amount - Reward.reversed_amount))).where(
        Reward.referrer_id == user_id).group_by(Reward.kind, Reward.status, Reward.currency)
    available = sa.select(sa.literal("available"), sa.literal(""), sa.literal(""), sa.literal(0),
                          -ledger_balance_expression(available_account(user_id), currency))
    found: dict = {"visits": 0, "signups": 0, "converted": 0, "money": {}, "points": {}, "available": 0}
    for kind, status, in_currency, count, total in db.session.execute(sa.union_all(visits, signups, rewards, available)):
        if kind == "available":
            found["available"] = int(total or 0)
        elif kind == "visits":
            found["visits"] = count
        elif kind == "signups":
            found["signups"], found["converted"] = count, int(total or 0)
        elif kind == "commission":
            found["money"].setdefault(status, {})[in_currency] = int(total or 0)
        else:
            found["points"][status] = int(total or 0)
    return found


def qr_svg(link: str) -> Markup:
    """The QR code of ``link`` as inline SVG markup (drawn here from our own link)."""
    import segno

    return Markup(segno.make(link, error="m").svg_inline(scale=4, dark="#1f2937"))


@bp.route("/referrals/share", methods=["POST"])
@login_required
@limiter.limit("60/minute")
def share():
    """Count a share of an item through a channel (once a day), then open the channel's page
    (Weibo, X) or go back to the item. An htmx request (copy, native share) gets 204."""
    item = local_path(request.form.get("item")) or "/"
    channel = request.form.get("channel", "")
    if channel not in codes.CHANNELS:
        abort(400)
    attribution.record_share(current_user, item, channel, codes.device_id())
    db.session.commit()
    if wants_partial():
        return Response(status=204)
    if channel in INTENTS:
        base, url_name, text_name = INTENTS[channel]
        title = request.form.get("title", "")[:120]
        return redirect(f"{base}?{urlencode({url_name: invite_link(current_user.id, item, channel), text_name: title})}")
    return redirect(item)


@bp.route("/referrals/poster.png")
@login_required
@limiter.limit("30/minute")
def poster_png():
    """The member's poster of an item (from the share sheet's signed token), as a download."""
    spec = poster.read_token(request.args.get("s", ""))
    if spec is None:
        abort(404)
    item = local_path(spec["u"])
    attribution.record_share(current_user, item or "/", "poster", codes.device_id())
    db.session.commit()
    data = poster.cached_png(spec, current_user.display_name, invite_link(current_user.id, item, "poster"))
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["Content-Disposition"] = "inline; filename=poster.png"
    return response


@bp.route("/referrals/payout", methods=["POST"])
@login_required
def payout_request():
    """The member asks to be paid their available commission."""
    form = PayoutRequestForm()
    if not form.validate_on_submit() or not form.nonce.data:
        abort(400)
    try:
        request_payout(current_user, form.currency.data or "", f"referral-payout:{form.nonce.data}"[:64])
    except PayoutRefused:
        db.session.rollback()
        flash(_("You can ask for a payout once your available commission reaches the minimum."), "error")
    else:
        db.session.commit()
        flash(_("Your payout request was sent. An admin will approve it."), "success")
    return redirect(url_for("referrals.invite"))


@bp.route("/referrals/payouts")
@login_required
def my_payouts():
    """The member's payout requests, and the payouts commerce recorded to them."""
    rows = db.session.scalars(
        sa.select(Payout).where(Payout.user_id == current_user.id).order_by(Payout.id.desc()).limit(50)).all()
    return render("referrals/payouts.html", payouts=rows, paid=paid_to(current_user.id))

