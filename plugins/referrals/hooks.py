"""What the referrals do when the rest of the site reports an event."""

from __future__ import annotations

from flask import has_request_context

from kpay.api import Event, User, db
from plugins.referrals import attribution, codes, rewards, typed


def on_event(event: Event) -> None:
    """Attribute a sign-up from the code typed in its form or else its browser's cookie; reward a paid order; reverse the rewards
    of a refunded one (a chargeback reaches commerce as a refund too)."""
    if event.name == "user.signed_up" and has_request_context():
        touch = typed.touch() or codes.read_referral(attribution.settings()["cookie_days"])
        invitee = db.session.get(User, event.user_id)
        if touch is not None and invitee is not None:
            device, _new = codes.device_id()
            attribution.attribute(invitee, touch, device)
    elif event.name == "order.paid" and event.subject_id:
        rewards.grant_for_order(int(event.subject_id))
    elif event.name == "order.refunded" and event.subject_id:
        rewards.reverse_for_order(int(event.subject_id), "refunded")
