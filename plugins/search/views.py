"""The search page: ``/search/?q=...`` with filters and page numbers; its results part for htmx."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kpay.api import db, emit, query_int, render, utcnow, wants_partial
from plugins.search.backend import count_cap
from plugins.search.searching import Filters, search

bp = Blueprint("search", __name__, url_prefix="/search", template_folder="templates", static_folder="static")

PER_PAGE = 20
MAX_PAGE = 500  # beyond: 404; up to it, at most the last page of the counted results
#: Labels of the kinds the built-in plugins give; another plugin's kind shows as its name.
KINDS = {"course": _l("Courses"), "lesson": _l("Lessons"), "forums.topic": _l("Topics"),
         "forums.reply": _l("Replies"), "lecture": _l("Live lectures"), "lecture-replay": _l("Lecture replays")}
PERIODS = {"week": (7, _l("Past week")), "month": (31, _l("Past month")), "year": (366, _l("Past year"))}


def filters_from_request() -> Filters:
    """The filters the query string asks for; what does not parse is left out."""
    args = request.args
    period = PERIODS.get(args.get("period", ""))
    return Filters(
        kinds=tuple(k for k in args.getlist("kind") if k)[:10], place=args.get("place", "")[:40],
        author_id=query_int("author"), since=utcnow() - timedelta(days=period[0]) if period else None,
    )


@bp.get("/")
def index():
    text = request.args.get("q", "")
    page = query_int("page", 1) or 1
    if page > MAX_PAGE:
        abort(404)
    page = min(page, max(1, count_cap() // PER_PAGE))
    filters = filters_from_request()
    answer = search(current_user, text, filters, (page - 1) * PER_PAGE, PER_PAGE)
    last = max(1, -(-answer.total // PER_PAGE))
    if page > last and answer.total:
        page = last
        answer = search(current_user, text, filters, (page - 1) * PER_PAGE, PER_PAGE)
    groups: dict[str, list] = {}
    for shown in answer.hits:
        groups.setdefault(shown.hit.kind, []).append(shown)
    response = render("search/page.html", partial="search/_results.html", answer=answer, groups=groups,
                      filters=filters, number=page, last=last, kinds=KINDS, periods=PERIODS, page_url=_page_url)
    if answer.text and not wants_partial() and current_app.config["KPAY"]["plugins"]["search"]["log_queries"]:
        _record(answer)  # after rendering: the commit expires the member, whom the page would reload
    return response


def _page_url(number: int, **changes) -> str:
    """This search's URL at page ``number`` (with ``changes`` to its filters)."""
    args = request.args.to_dict(flat=False)
    args.update({"page": [str(number)], **{k: [v] if v else [] for k, v in changes.items()}})
    return url_for("search.index", **{k: v for k, v in args.items() if v and k != "page"},
                   **({"page": number} if number > 1 else {}))


def _record(answer) -> None:
    """The ``search.query`` event: how many results, and the words only when the member ticked
    "keep these words" (``share``) for this search; a visitor's words never."""
    member = current_user if current_user.is_authenticated else None
    words = {"query": answer.text} if member is not None and request.args.get("share") else {}
    emit("search.query", user=member, results=answer.total, degraded=answer.degraded, **words)
    # Nothing else changed in this request: keeping the loaded rows fresh saves the listeners
    # of the event (which look the member up) a statement each.
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
