"""The outsider (canary) check: every route of a blueprint, asked every way by a visitor and by
a member without access, never shows a canary string, never fails and changes no row."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from kpay.testing.client import Auth, csrf_token

# How a route is asked for: a page, an htmx partial, a boosted link, a HEAD and a Range request.
GET_VARIANTS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("page", "GET", {}),
    ("htmx", "GET", {"HX-Request": "true"}),
    ("boosted", "GET", {"HX-Request": "true", "HX-Boosted": "true"}),
    ("head", "HEAD", {}),
    ("range", "GET", {"Range": "bytes=0-"}),
)


def route_urls(app, blueprint: str, values: dict) -> list[tuple[str, str]]:
    """(method, url) for every GET and POST route of ``blueprint`` (its static files aside),
    with the rule's arguments taken from ``values``."""
    from flask import url_for

    found = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint.partition(".")[0] != blueprint or rule.endpoint.endswith(".static"):
                continue
            missing = sorted(set(rule.arguments) - set(values))
            assert not missing, f"{rule.rule}: give values for {', '.join(missing)}"
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
            found += [(method, url) for method in ("GET", "POST") if method in rule.methods]
    return found


def assert_outsiders_see_nothing(app, blueprint: str, canaries: str | Iterable[str], values: dict | None = None,
                                 member=None, member_changes_nothing: bool = True) -> list[tuple]:
    """Request every route of ``blueprint`` as a visitor and (given ``member``, a user made with
    ``make_user``) as that member: GETs as page, htmx, boosted, HEAD and Range requests, POSTs
    with a valid CSRF token and no fields. Fails listing every response that shows one of the
    ``canaries``, answers 5xx, or (the visitor's, and the member's unless
    ``member_changes_nothing=False``) changed the row count of a ``<blueprint>_*`` table.

    ``values`` fills the routes' arguments (``{"checkin_id": 1}``). Returns every
    (who, variant, url, status) asked, for further asserts.
    """
    canaries = [canaries] if isinstance(canaries, str) else list(canaries)
    urls = route_urls(app, blueprint, values or {})
    assert urls, f"blueprint {blueprint!r} has no routes"
    people = [("visitor", None, True)] + ([("member", member, member_changes_nothing)] if member else [])
    asked, problems = [], []
    for who, user, counted in people:
        client = app.test_client()
        if user is not None:
            Auth(client).login(user.email)
        before = _row_counts(app, blueprint)
        for variant, method, url, response in _ask(client, urls):
            asked.append((who, variant, url, response.status_code))
            body = response.get_data()
            shown = [c for c in canaries if c.encode() in body]
            if shown or response.status_code >= 500:
                problems.append(f"{who} {variant} {method} {url}: {response.status_code}, showed {shown}")
        after = _row_counts(app, blueprint)
        if counted and after != before:
            problems.append(f"{who}'s requests changed rows: {before} -> {after}")
    assert problems == [], "outsiders reached what they must not:\n" + "\n".join(problems)
    return asked


def _ask(client, urls: list[tuple[str, str]]):
    token = csrf_token(client.get("/"))
    for method, url in urls:
        if method == "POST":
            yield "post", method, url, client.post(url, data={"csrf_token": token}, headers={"X-CSRFToken": token})
            continue
        for variant, verb, headers in GET_VARIANTS:
            yield variant, verb, url, client.open(url, method=verb, headers=headers)


def _row_counts(app, blueprint: str) -> dict[str, int]:
    from kpay.extensions import db

    with app.app_context():
        tables = [t for name, t in sorted(db.metadata.tables.items()) if name.startswith(f"{blueprint}_")]
        return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}
