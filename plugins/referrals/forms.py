"""The referrals' forms."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from kpay.api import FlaskForm


class CodeForm(FlaskForm):
    """A visitor types the invite code a friend gave them."""

    code = StringField(_l("Invite code"), validators=[DataRequired(), Length(max=20)])


class PayoutRequestForm(FlaskForm):
    """A member asks to be paid their available commission."""

    currency = HiddenField()
    nonce = HiddenField()
