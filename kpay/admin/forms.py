"""The admin console's filter forms, read from the query string."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from kpay.listing import CURSOR_LENGTH
from kpay.models import ROLES
from kpay.models.users import STATUSES

SORTS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "name": _l("Name"),
    "email": _l("E-mail"),
}


class MemberFilters(Form):
    """The members list's query string; a value outside its choices is an error, not SQL."""

    q = StringField(_l("Name or e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Any role")), *ROLES], default="")
    status = SelectField(_l("Status"), choices=[SelectChoice("", _l("Any status")), *STATUSES], default="")
    joined_since = DateField(_l("Joined on or after"), validators=[Optional()])
    joined_before = DateField(_l("Joined before"), validators=[Optional()])
    sort = SelectField(_l("Sort"), choices=[SelectChoice(*item) for item in SORTS.items()], default="newest")
    cursor = StringField(validators=[Optional(), Length(max=CURSOR_LENGTH)])


class AuditFilters(Form):
    """The audit log's query string: an action, an actor's name or e-mail, a page."""

    action = SelectField(_l("Action"), choices=[SelectChoice("", _l("Any action"))], default="")
    actor = StringField(_l("Actor (name or e-mail)"), validators=[Optional(), Length(max=100)])
    cursor = StringField(validators=[Optional(), Length(max=CURSOR_LENGTH)])
