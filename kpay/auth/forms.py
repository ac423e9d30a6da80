"""The forms of sign-up, log-in, recovery and the security settings."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from kpay.accounts import PASSWORD_MAX, PASSWORD_MIN, password_problem
from kpay.forms import FlaskForm


def _strip(value):
    """Pasted addresses often carry a space at either end."""
    return value.strip() if isinstance(value, str) else value


def _not_common(form, field):
    """Refuse a common password (its length is checked, and explained, by ``Length``)."""
    problem = password_problem(field.data or "")
    if problem and not field.errors:
        raise ValidationError(problem)


def email_field(label=_l("E-mail")):
    """An e-mail address input, trimmed and checked for shape."""
    return EmailField(label, filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)])


def new_password_field(label=_l("Password")):
    """A password being chosen: 10 to 128 characters, not a common one."""
    return PasswordField(
        label, validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX), _not_common],
        description=_l("At least %(n)s characters.", n=PASSWORD_MIN),
    )


def current_password_field(**options):
    """The member's present password, asked again before a sensitive change."""
    return PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)], **options
    )


class SignupForm(FlaskForm):
    email = email_field()
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    password = new_password_field()
    next = HiddenField()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = current_password_field()
    new_password = new_password_field(_l("New password"))


class ChangeEmailForm(FlaskForm):
    new_email = email_field(_l("New e-mail address"))
    current_password = current_password_field(id="email_current_password")


class ConfirmForm(FlaskForm):
    """A button only: links are confirmed by a POST, so a mail scanner's GET does nothing."""
