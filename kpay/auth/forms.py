"""Sign-up and log-in forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from kpay.accounts import PASSWORD_MAX, PASSWORD_MIN


def _strip(value):
    """Pasted addresses often carry a space at either end."""
    return value.strip() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
        description=_l("At least %(n)s characters.", n=PASSWORD_MIN),
    )
    next = HiddenField()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()
