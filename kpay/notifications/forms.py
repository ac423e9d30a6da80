"""The notification settings form: a channel per declared kind, and the digest frequency."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from kpay.forms import FlaskForm
from kpay.types import NotificationKind

CHANNEL_CHOICES = [
    SelectChoice("in_app", _l("On this site only")),
    SelectChoice("email", _l("E-mail at once")),
    SelectChoice("digest", _l("In the e-mail digest")),
    SelectChoice("off", _l("Off")),
]
DIGEST_CHOICES = [
    SelectChoice("off", _l("Never")),
    SelectChoice("daily", _l("Daily, at 7:00")),
    SelectChoice("weekly", _l("Weekly, on Monday at 7:00")),
]


class PreferencesForm(FlaskForm):
    digest = SelectField(
        _l("E-mail digest"), choices=DIGEST_CHOICES,
        description=_l("When the digest of notifications set to the e-mail digest is sent."),
    )

    def channel_fields(self) -> list:
        """The per-kind channel fields, in the kinds' order."""
        return [field for name, field in self._fields.items() if name.startswith("channel-")]


def preferences_form(kinds: list[NotificationKind], **data) -> PreferencesForm:
    """A ``PreferencesForm`` with a ``channel-<kind>`` select per kind, filled with ``data``."""

    class Form(PreferencesForm):
        pass

    for kind in kinds:
        setattr(Form, f"channel-{kind.name}", SelectField(kind.label, choices=CHANNEL_CHOICES))
    return Form(data=data)
