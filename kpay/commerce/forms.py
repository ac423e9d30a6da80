"""The checkout form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from kpay.forms import FlaskForm


def nonce_field() -> HiddenField:
    """The hidden one-time token a form is rendered with: posting it twice acts once."""
    return HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{20,64}$")])


class CheckoutForm(FlaskForm):
    """Coupon and way to pay. ``nonce`` is made when the form is shown, so a second post of
    the same form finds the first order. There is no amount: the server prices the order."""

    nonce = nonce_field()
    coupon = StringField(_l("Coupon code (optional)"), validators=[Length(max=40)])
    provider = RadioField(_l("How to pay"), validators=[DataRequired(_l("Choose a way to pay."))])
