"""The dashboard's range filter (a GET form) and the admin's monthly cost form."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp, ValidationError

from kpay.api import FlaskForm

GROUPS = [SelectChoice("day", _l("Day")), SelectChoice("week", _l("Week")), SelectChoice("month", _l("Month"))]


class RangeFilters(Form):
    """From, to (inclusive) and grouping; the view fills gaps with the last 30 days."""

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    group = SelectField(_l("Group by"), choices=GROUPS, validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end comes before the start: choose a later end."))
        if field.data and self.start.data and field.data - self.start.data > timedelta(days=3660):
            raise ValidationError(_l("Choose a range of at most ten years."))


class CostForm(FlaskForm):
    """What running the community cost in a month."""

    month = StringField(_l("Month"), validators=[InputRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                        message=_l("Enter a month as YYYY-MM."))], render_kw={"placeholder": "2026-11"})
    amount = DecimalField(_l("Cost"), places=2, validators=[InputRequired(message=_l("Enter an amount such as 500 or 499.50.")),
                          NumberRange(min=0, max=10_000_000, message=_l("Enter an amount from 0 to 10,000,000."))])
