"""The admin orders console's forms: the list's filters, rejecting a transfer, a refund."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from kpay.commerce.forms import nonce_field
from kpay.forms import FlaskForm
from kpay.listing import CURSOR_LENGTH
from kpay.commerce.status import STATUS_LABELS



def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OrderFilters(Form):
    """The orders list's query string; a value outside its choices is an error, not SQL."""

    status = SelectField(
        _l("Status"), default="",
        choices=[SelectChoice("", _l("Any status")), *(SelectChoice(*item) for item in STATUS_LABELS.items())],
    )
    provider = SelectField(_l("Paid with"), choices=[SelectChoice("", _l("Any way"))], default="")
    product = StringField(_l("Product"), validators=[Optional(), Length(max=100)])
    creator = StringField(_l("Creator (name or e-mail)"), validators=[Optional(), Length(max=100)])
    member = StringField(_l("Member (name or e-mail)"), validators=[Optional(), Length(max=100)])
    date_from = DateField(_l("Placed from"), validators=[Optional()])
    date_to = DateField(_l("Placed until (inclusive)"), validators=[Optional()])
    cursor = StringField(validators=[Optional(), Length(max=CURSOR_LENGTH)])


class RejectForm(FlaskForm):
    """Why a member's transfer is not accepted (they are told)."""

    reason = TextAreaField(
        _l("Why is this transfer rejected?"), filters=[_strip],
        description=_l("The member reads this."),
        validators=[DataRequired(_l("Say why, so the member knows what to do.")), Length(max=500)],
    )


class RefundForm(FlaskForm):
    """A refund of part or all of an order. ``nonce`` is made when the form is shown and keys
    the refund, so posting the same form twice refunds once."""

    amount = StringField(_l("Amount to refund"), filters=[_strip])
    reason = StringField(_l("Reason (optional)"), filters=[_strip], validators=[Length(max=500)])
    nonce = nonce_field()
