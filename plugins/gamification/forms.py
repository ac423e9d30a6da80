"""The gamification forms: a check-in challenge and a check-in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from kpay.api import FlaskForm


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class ChallengeForm(FlaskForm):
    """A check-in challenge: title, daily prompt, first day, length and make-up grace."""

    title = StringField(_l("Title"), filters=[_stripped], validators=[DataRequired(), Length(max=120)])
    prompt = TextAreaField(_l("Daily prompt"), filters=[_stripped], validators=[Length(max=2000)],
                           description=_l("Markdown; what members write about when they check in."))
    starts_on = DateField(_l("First day"), validators=[DataRequired(message=_l("Give the first day."))])
    days = IntegerField(_l("Days"), default=21, validators=[InputRequired(), NumberRange(min=1, max=365)])
    grace_days = IntegerField(_l("Make-up days"), default=1, validators=[NumberRange(min=0, max=7)],
                              description=_l("How many days back a member may still check in for a missed day."))


class CheckInForm(FlaskForm):
    """A check-in: a short note, an optional photo, and the day for a make-up check-in (today
    when empty)."""

    note = TextAreaField(_l("Note"), filters=[_stripped], validators=[Length(max=500)])
    photo = FileField(_l("Photo"), description=_l("Optional: PNG, JPEG, WebP or GIF."))
    day = DateField(_l("Day"), validators=[Optional()])
