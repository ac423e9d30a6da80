"""The base of every KPay form: Flask-WTF's ``FlaskForm``, refusing control characters.

``kpay.input_filter`` strips NUL and other control characters (tab and line breaks stay)
from every form and query string before a view runs, and notes which fields had them; a
form built on this class then refuses those fields with a message beside each, so nothing
silently changed is saved.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_wtf import FlaskForm as _FlaskForm

from kpay.input_filter import CONTROL_MESSAGE, FIELDS_KEY


class FlaskForm(_FlaskForm):
    """A Flask-WTF form whose fields refuse the control characters the request carried."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        hostile = g.get(FIELDS_KEY, ()) if has_request_context() else ()
        for field in self:
            if field.name in hostile:
                field.errors = [*field.errors, str(CONTROL_MESSAGE)]
                valid = False
        return valid
