"""Lists of rows: filters read from the query string, one page of rows at a time (the admin
console's lists, the studio's, and plugins' catalogues)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, request, url_for
from flask_babel import get_timezone
from markupsafe import Markup
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from kpay.extensions import db
from kpay.kept_html import keep_html

PER_PAGE = 50
CURSOR_LENGTH = 400  # longer than any cursor paginate writes (a name and a timestamp at most)


def read_filters(
    form_class: type[Form], choices: dict[str, list[str] | list[SelectChoice]] | None = None
) -> tuple[Form, dict[str, Any]]:
    """The filter form bound to the query string, and its valid, non-empty values.

    ``choices`` adds options known only now (values in the database) to select fields.
    A value that fails its field's validation (a role not offered, a malformed date) is
    left out, as if it had not been given; the form shows the error beside the field.
    """
    form = form_class(request.args)
    for name, extra in (choices or {}).items():
        form[name].choices = [*form[name].choices, *extra]
    form.validate()
    form.kept_key = (form_class, tuple(  # what filter_fields keeps the fields' HTML under, with the language
        (name, tuple(choice if isinstance(choice, str) else (choice.value, str(choice.label)) for choice in extra))
        for name, extra in (choices or {}).items()
    ))
    values = {
        field.name: field.data
        for field in form
        if not field.errors and field.data not in (None, "")
    }
    return form, values


def filter_fields(form: Form, *names: str) -> Markup:
    """The fields ``names`` of a form made by ``read_filters``, as the ``field`` macro draws
    them (one a line), kept per process (``kpay.kept_html``) by form, the query string's values
    of those fields and the choices added: every request that asks the same gets the same HTML,
    and WTForms drawing a select's options cost a console list a quarter of its time."""
    values = tuple((name, tuple(request.args.getlist(name))) for name in names)
    key = ("filter_fields", form.kept_key, values)

    def draw() -> Markup:
        field = current_app.jinja_env.get_template("_macros.html").module.field  # type: ignore[attr-defined]
        return Markup("\n  ").join(field(form[name]) for name in names)

    return keep_html(key, sum(len(value) for _, asked in values for value in asked), draw)


@dataclass(frozen=True)
class Page:
    """Rows of one page, the cursor it was opened at (None: the first page; forms that come
    back to the same page repeat it), and the links to the pages before and after it."""

    rows: list
    cursor: str | None
    previous_url: str | None
    next_url: str | None


def paginate(
    query: sa.Select, endpoint: str, values: dict[str, Any], keys: Sequence[Any],
    *, descending: bool = False, per_page: int = PER_PAGE,
) -> Page:
    """The page of ``query`` at ``values["cursor"]`` (default: the first), ``per_page`` rows
    ordered by ``keys`` (the last one unique, e.g. the id; all ascending or all
    ``descending``), read by keyset: a row-value comparison with the edge row's keys, so a
    deep page costs what the first does; one row more is read to know whether another page
    exists. A cursor that does not parse opens the first page.

    The links keep the other filters; the keys should match an index with the filters'
    equality columns first.
    """
    cursor = values.get("cursor")
    direction, edge = _read_cursor(cursor, keys)
    backwards = direction == "b"
    labelled = [key.label(f"_key{n}") for n, key in enumerate(keys)]
    width = len(query.column_descriptions)
    order = [key.desc() if descending != backwards else key.asc() for key in keys]
    query = query.add_columns(*labelled).order_by(None).order_by(*order)
    if edge is not None:
        bound = sa.tuple_(*(sa.literal(value, key.type) for key, value in zip(keys, edge, strict=True)))
        row = sa.tuple_(*keys)
        query = query.where(row < bound if descending != backwards else row > bound)
    found = list(db.session.execute(query.limit(per_page + 1)).all())
    more = len(found) > per_page
    found = found[:per_page]
    if backwards:
        found.reverse()
    rows = [row[0] if width == 1 else tuple(row[:width]) for row in found]
    others: dict[str, Any] = {name: str(value) for name, value in values.items() if name != "cursor"}

    def link(direction: str, row) -> str:
        return url_for(endpoint, **others, cursor=direction + _encode(tuple(row[width:])))

    before = bool(found) and (more if backwards else edge is not None)
    after = bool(found) and (backwards or more)
    return Page(
        rows=rows, cursor=cursor if edge is not None else None,
        previous_url=link("b", found[0]) if before else None,
        next_url=link("a", found[-1]) if after else None,
    )


def cursor_after(*keys) -> str:
    """The cursor of the page that follows a row with these keys (for links made elsewhere)."""
    return "a" + _encode(keys)


def _encode(values) -> str:
    plain = [{"t": value.isoformat()} if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _read_cursor(cursor: str | None, keys: Sequence[Any]) -> tuple[str, list | None]:
    """("a" after or "b" before, the edge row's keys as their columns' Python types), or
    ("a", None) when ``cursor`` is missing or not one ``paginate`` wrote for these keys."""
    if not cursor or cursor[0] not in "ab" or len(cursor) > CURSOR_LENGTH:
        return "a", None
    try:
        text = cursor[1:]
        plain = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(plain, list) or len(plain) != len(keys):
            return "a", None
        return cursor[0], [_typed(key.type, value) for key, value in zip(keys, plain, strict=True)]
    except (ValueError, TypeError, KeyError):
        return "a", None


def _typed(column_type: sa.types.TypeEngine, value: Any) -> Any:
    """``value`` from a cursor as ``column_type`` holds it; ValueError when it cannot be."""
    try:
        kind = getattr(column_type, "impl_instance", column_type).python_type
    except NotImplementedError:
        raise ValueError(f"no cursor values for {column_type!r}") from None
    if kind is datetime:
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        return moment
    if isinstance(value, bool) or not isinstance(value, kind if kind is not float else (int, float)):
        raise ValueError(f"{value!r} is not a {kind.__name__}")
    return value


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the viewer's time zone (the one dates are shown in)."""
    return get_timezone().localize(datetime(day.year, day.month, day.day))
