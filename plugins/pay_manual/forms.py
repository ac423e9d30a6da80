"""The form where a member gives the reference of their transfer."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from kpay.api import FlaskForm


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ReferenceForm(FlaskForm):
    reference = StringField(
        _l("Transfer reference"),
        description=_l("The transaction number, or the name and time your bank or app shows for the transfer."),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the reference of your transfer.")),
            Length(max=200, message=_l("At most %(max)d characters.")),
        ],
    )
