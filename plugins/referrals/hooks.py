"""What the referrals do when the rest of the site reports an event."""

from __future__ import annotations

from flask import has_request_context

from kpay.api import Event, User, db
from plugins.referrals import attribution, codes, rewards, typed


def on_event(event: Event) -> None:
    """Remember the browser a member signs up or logs in with; attribute a sign-up from the code
    typed in its form or else its browser's cookie; remember the payment account of a paid order
    and reward it; reverse the rewards of a refunded one (a chargeback reaches commerce as a
    refund too)."""
    if event.name in ("user.signed_up", "user.logged_in") and has_request_context() and event.user_id:
        device = codes.device_id()
        attribution.remember(event.user_id, "device", codes.device_hash(device))
        if event.name == "user.signed_up":
            touch = typed.touch() or codes.read_referral(attribution.settings()["cookie_days"])
            invitee = db.session.get(User, event.user_id)
            if touch is not None and invitee is not None:
                attribution.attribute(invitee, touch, device)
    elif event.name == "order.paid" and event.subject_id:
        payer = str(event.data.get("payer") or "")
        if event.user_id:
            attribution.remember(event.user_id, "payer", payer)
        rewards.grant_for_order(int(event.subject_id), payer)
    elif event.name == "order.refunded" and event.subject_id:
        rewards.reverse_for_order(int(event.subject_id), "refunded")
