"""The creator studio's forms: a product, a coupon, a payout, and the revenue statement's filter.

Amounts are typed as people write them (``99``, ``99.50``); the view sets the form's
``currency`` before validating, and reads the checked amount in minor units from ``minor``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, Form, IntegerField, SelectField, StringField, TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from kpay.commerce.coupons import normalize_code
from kpay.commerce.forms import nonce_field
from kpay.commerce.money import parse_money
from kpay.extensions import db
from kpay.forms import FlaskForm
from kpay.models.commerce import Coupon

MAX_MINOR = 1_000_000_000  # ten million yuan: far above any price, far below the column's limit


def typed_money(text: str, currency: str) -> int:
    """Minor units of a positive amount typed in ``currency``; else ``ValidationError``."""
    minor = parse_money(text, currency)
    if minor is None:
        raise ValidationError(_l("Enter an amount such as 99 or 99.50, not less than zero."))
    if minor > MAX_MINOR:
        raise ValidationError(_l("This amount is too large."))
    return minor


class ProductForm(FlaskForm):
    """A product: what it is called, how it is sold, and its price in ``currency``."""

    currency = "CNY"
    price_minor = 0

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=20_000)], description=_l("Markdown: **bold**, lists, links."),
    )
    kind = SelectField(
        _l("Sold as"), default="one_time",
        choices=[SelectChoice("one_time", _l("One-time purchase")), SelectChoice("membership", _l("Membership"))],
    )
    period_days = IntegerField(
        _l("Membership period (days)"), validators=[Optional(), NumberRange(min=1, max=3650)],
        description=_l("Only for a membership, e.g. 365 for a year."),
    )
    price = StringField(_l("Price"), validators=[DataRequired()])
    active = BooleanField(_l("On sale"), default=True)
    cover_file = FileField(_l("Cover picture"), description=_l(
        "PNG, JPEG, WebP or GIF; shown 16:9. Without one the product gets a cover of its colour and initials."))
    remove_cover = BooleanField(_l("Remove the cover picture"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data == "membership" and self.period_days.data is None and not self.period_days.errors:
            self.period_days.errors.append(_l("A membership needs its period in days."))
            return False
        return valid

    def validate_price(self, field) -> None:
        self.price_minor = typed_money(field.data, self.currency)


class CouponForm(FlaskForm):
    """A coupon: its code, what it takes off, when, how often, and for which product.

    ``coupon_id`` (the coupon being edited) is left out of the code's uniqueness check.
    """

    currency = "CNY"
    coupon_id: int | None = None
    value_minor = 0

    code = StringField(
        _l("Code"), filters=[lambda text: normalize_code(text) if text else text],
        validators=[
            DataRequired(), Length(max=40),
            Regexp(r"^[A-Z0-9_-]+$", message=_l("Use letters, digits, - and _ only.")),
        ],
    )
    kind = SelectField(
        _l("Takes off"), choices=[SelectChoice("percent", _l("A percent")), SelectChoice("fixed", _l("An amount"))],
    )
    value = StringField(_l("Percent or amount off"), validators=[DataRequired()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until (last day)"), validators=[Optional()])
    max_redemptions = IntegerField(
        _l("Total uses"), validators=[Optional(), NumberRange(min=1, max=1_000_000)],
        description=_l("Empty: no limit."),
    )
    per_member = IntegerField(
        _l("Uses per member"), validators=[InputRequired(), NumberRange(min=1, max=1000)], default=1,
    )
    product_id = SelectField(_l("For"), choices=[])
    active = BooleanField(_l("Active"), default=True)

    def validate_code(self, field) -> None:
        taken = db.session.scalar(
            sa.select(Coupon.id).where(Coupon.code == field.data, Coupon.id != (self.coupon_id or 0))
        )
        if taken is not None:
            raise ValidationError(_l("Another coupon has this code."))

    def validate_value(self, field) -> None:
        if self.kind.data == "percent":
            text = field.data.strip().rstrip("%").strip()
            if not text.isdigit() or not 1 <= int(text) <= 100:
                raise ValidationError(_l("A percent off is a whole number from 1 to 100."))
            self.value_minor = int(text)
        else:
            self.value_minor = typed_money(field.data, self.currency)
            if self.value_minor == 0:
                raise ValidationError(_l("An amount off must be more than zero."))

    def validate_valid_until(self, field) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The last day comes before the first."))


class PayoutForm(FlaskForm):
    """A payout to one creator. ``nonce`` is made when the form is shown, so a second post
    of the same form records nothing more. ``owed`` (minor units by currency) caps the amount."""

    owed: dict[str, int] = {}
    amount_minor = 0

    nonce = nonce_field()
    currency = SelectField(_l("Currency"), choices=[])
    amount = StringField(_l("Amount paid"), validators=[DataRequired()])
    reference = StringField(
        _l("Reference"), validators=[DataRequired(), Length(max=200)],
        description=_l("The bank transfer's number, or how it was paid."),
    )

    def validate_amount(self, field) -> None:
        currency = self.currency.data
        if currency not in self.owed:
            return
        self.amount_minor = typed_money(field.data, currency)
        if self.amount_minor == 0:
            raise ValidationError(_l("A payout must be more than zero."))
        if self.amount_minor > self.owed[currency]:
            raise ValidationError(_l("This is more than the creator is owed."))


class RevenueFilters(Form):
    """The statement's query string: a month (``YYYY-MM``) and, for admins, a creator."""

    month = StringField(
        _l("Month"), render_kw={"type": "month"},
        validators=[Optional(), Regexp(r"^(19|20)\d\d-(0[1-9]|1[0-2])$", message=_l("Pick a month."))],
    )
    creator = SelectField(_l("Creator"), choices=[SelectChoice("", _l("Me"))], default="")
