"""Lists of rows: filters read from the query string, one page of rows at a time (the admin
console's lists, the studio's, and plugins' catalogues)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import get_timezone
from wtforms import Form

from kpay.extensions import db

PER_PAGE = 50


def read_filters(
    form_class: type[Form], choices: dict[str, list[str]] | None = None
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
    values = {
        field.name: field.data
        for field in form
        if not field.errors and field.data not in (None, "")
    }
    return form, values


@dataclass(frozen=True)
class Page:
    """Rows of one page, and the links to the pages before and after it."""

    rows: list
    number: int
    previous_url: str | None
    next_url: str | None


def paginate(query: sa.Select, endpoint: str, values: dict[str, Any], per_page: int = PER_PAGE) -> Page:
    """Page ``values["page"]`` (default 1) of ``query``, ``per_page`` rows, without counting
    them all: one more row is read to know whether a next page exists.

    The links keep the other filters; ``query`` must be fully ordered (end with the id).
    """
    number = values.get("page", 1)
    rows = db.session.scalars(query.limit(per_page + 1).offset((number - 1) * per_page)).all()
    others = {name: str(value) for name, value in values.items() if name != "page"}

    def link(n: int) -> str:
        values: dict[str, Any] = {**others, "page": n if n > 1 else None}
        return url_for(endpoint, **values)

    return Page(
        rows=list(rows[:per_page]),
        number=number,
        previous_url=link(number - 1) if number > 1 else None,
        next_url=link(number + 1) if len(rows) > per_page else None,
    )


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the viewer's time zone (the one dates are shown in)."""
    return get_timezone().localize(datetime(day.year, day.month, day.day))
