"""An invite code typed at sign-up or checkout, in the ``referral_code`` field the plugin adds
to those forms through the ``signup.form`` and ``checkout.form`` widget slots.

At sign-up a typed code wins over the link cookie (it is the invitee's own word, and the last
touch). At checkout it attributes a member nobody invited yet, once: a member's inviter is
fixed when first known. A malformed or unknown code is ignored, as the issue asks; a member's
own code is refused with a message.
"""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from kpay.api import User, db
from plugins.referrals import attribution, codes

FIELD = "referral_code"


def touch() -> dict | None:
    """The touch the posted form's code names (channel ``code``), or None for none or a bad one."""
    referrer_id = codes.user_id_of(request.form.get(FIELD, "")[:40])
    return {"r": referrer_id, "c": "code", "i": ""} if referrer_id else None


def at_checkout() -> None:
    """Before commerce's checkout view: attribute the buying member to the code they typed."""
    if request.method != "POST" or request.endpoint != "commerce.checkout" or not current_user.is_authenticated:
        return
    found = touch()
    if found is None:
        return
    if found["r"] == current_user.id:
        flash(_("This is your own code: share it with a friend instead."), "error")
        return
    if attribution.attribute(db.session.get(User, current_user.id), found, codes.device_id()) is not None:
        db.session.commit()
