"""The operator's view: figures, K-factor, the referral tree, leaderboard, the review queue
and payouts waiting for approval."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kpay.api import User, db, query_int, render, require
from plugins.referrals import payouts, rewards, stats
from plugins.referrals.models import Payout, Reward
from plugins.referrals.views import bp

@bp.route("/referrals/admin")
def operator():
    """Figures per channel and the leaderboard for a period, cohorts' K-factor, the largest
    trees (as the last sweep kept them) and what waits for an admin."""
    require("referrals.manage")
    days = query_int("days", 30)
    days = days if days in stats.PERIODS else 30
    waiting = db.session.execute(
        sa.select(Reward, User.display_name).join(User, User.id == Reward.referrer_id)
        .where(Reward.status == "review").order_by(Reward.id).limit(50)).all()
    asked = db.session.execute(
        sa.select(Payout, User.display_name).join(User, User.id == Payout.user_id)
        .where(Payout.status == "requested").order_by(Payout.id).limit(50)).all()
    return render(
        "referrals/operator.html", days=days, periods=stats.PERIODS, figures=stats.figures(days),
        every=stats.EVERY_MINUTES, waiting=waiting, asked=asked, needs_two=payouts.needs_two,
    )


@bp.route("/referrals/admin/tree/<int:user_id>")
def tree(user_id: int):
    """The members ``user_id`` invited: the htmx partial that opens a branch of the tree, or a
    page of its own without JavaScript."""
    require("referrals.manage")
    member = db.get_or_404(User, user_id)
    return render("referrals/tree.html", "referrals/_branch.html", member=member, nodes=stats.children(user_id))


@bp.route("/referrals/admin/rewards/<int:reward_id>", methods=["POST"])
def review(reward_id: int):
    """Approve or reject a reward that waited for review."""
    require("referrals.manage")
    reward = db.get_or_404(Reward, reward_id)
    approve = request.form.get("decision") == "approve"
    if rewards.decide(reward, approve):
        db.session.commit()
        flash(_("The reward was approved.") if approve else _("The reward was rejected."), "success")
    else:
        flash(_("This reward was decided already."), "info")
    return redirect(url_for("referrals.operator"))


@bp.route("/referrals/admin/payouts/<int:payout_id>", methods=["POST"])
def payout(payout_id: int):
    """Approve a payout request (the last approval hands it to commerce's payouts), or reject it."""
    require("referrals.manage")
    item = db.get_or_404(Payout, payout_id)
    action = request.form.get("action")
    admin = current_user._get_current_object()
    messages = {
        "own": _("You cannot approve your own payout."),
        "same admin": _("A second admin must approve this payout."),
        "decided": _("This payout was decided already."),
    }
    if action == "approve":
        try:
            done = payouts.approve(item, admin)
        except payouts.PayoutRefused as refused:
            db.session.rollback()
            flash(messages[str(refused)], "error")
        else:
            db.session.commit()
            flash(_("Approved: a second admin must approve it too.") if done == "first" else
                  _("Approved: the commission is now owed to the member on the payouts page, where the payment is "
                    "recorded."), "success")
    elif action == "reject":
        if payouts.reject(item, admin):
            db.session.commit()
            flash(_("The payout was rejected."), "success")
        else:
            flash(messages["decided"], "info")
    else:
        abort(400)
    return redirect(url_for("referrals.operator"))
