"""One filter for hostile input, before any view runs (F17).

NUL and the other control characters (C0 except tab, line feed and carriage return; DEL;
C1) break PostgreSQL text columns and have no business in what people type. They are
stripped from every query string and form field, the names of the fields that had them
kept for ``kpay.forms.FlaskForm`` to refuse beside the field; a path carrying them is 404.
"""

from __future__ import annotations

import re
from typing import cast

from flask import Flask, abort, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = _l("Remove the control characters (such as NUL) from this field.")
FIELDS_KEY = "kpay_control_fields"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id in a URL can name nothing


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL rule: a non-negative integer up to ``MAX_ID``; a larger one
    does not match (404) instead of overflowing the database's integer."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def query_int(name: str, default: int | None = None) -> int | None:
    """The query string's ``name`` as an integer from 0 to ``MAX_ID``, else ``default``: a
    page number or id beyond what a column holds names nothing."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_ID else default


def _clean(values: ImmutableMultiDict, hostile: set[str]) -> ImmutableMultiDict:
    if not any(CONTROL.search(k) or CONTROL.search(v) for k, v in values.items(multi=True)):
        return values
    cleaned = []
    for key, value in values.items(multi=True):
        if CONTROL.search(value):
            hostile.add(key)
        cleaned.append((CONTROL.sub("", key), CONTROL.sub("", value)))
    return ImmutableMultiDict(cleaned)


def strip_control_characters() -> None:
    """Clean ``request.args`` and ``request.form``; 404 for a path with control characters."""
    if CONTROL.search(request.path):
        abort(404)
    hostile: set[str] = set()
    request.args = _clean(cast(ImmutableMultiDict, request.args), hostile)  # immutable; typed MultiDict
    if request.mimetype in FORM_TYPES:
        request.form = _clean(request.form, hostile)
    if hostile:
        g.setdefault(FIELDS_KEY, set()).update(hostile)


def init_app(app: Flask) -> None:
    """Bound ``<int:...>`` URL values and filter every request's input (call before blueprints)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, strip_control_characters)
