"""Level unlocks (as Skool's): a course or a paid circle that opens to every member who reaches
a level, besides the products that sell it. The admin lists them in the ``unlocks`` setting
(``course:7|3``: course 7 opens at level 3); the core's ``can_access`` asks
``kpay_access_grants``, so it stays the one access decision. An action opens the same way
(``permission:forums.post_links|2``) through ``kpay_permission_grants``, asked by the core's ``can``;
only a permission that is known and declared for some role below admin may be opened so.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l

from kpay.api import AccessGrant, ConfigError, Resource, db, declared_permissions
from plugins.gamification import levels
from plugins.gamification.models import Standing


def parse(lines: list[str]) -> dict[str, int]:
    """{resource key: level} from ``kind:id|level`` lines (raises ValueError)."""
    found = {}
    for line in lines:
        key, _, level = (part.strip() for part in line.partition("|"))
        kind, _, ident = key.partition(":")
        if kind == "permission":
            ok = bool(ident) and all(part.isidentifier() for part in ident.split("."))
        else:
            ok = kind.isidentifier() and ident.isdigit()
            ident = str(int(ident)) if ok else ident
        if not (ok and level.isdigit() and int(level) >= 2):
            raise ValueError(line)
        found[f"{kind}:{ident}"] = int(level)
    return found


def validate(lines: list[str]) -> str | None:
    """The settings check of ``unlocks``: a message, or None when good."""
    try:
        parse(lines)
    except ValueError as bad:
        return (f"expected lines such as \"course:7|3\" (a course or circle id, a level from 2) or "
                f"\"permission:forums.post_links|2\", got {bad}")
    return None


STAFF_ONLY = frozenset({"owner", "admin"})


def check_permissions(app) -> None:
    """Refuse, with a ``ConfigError`` naming the key, a ``permission:`` unlock of a permission
    nobody declares or of one declared for owners and admins only (the operator's
    ``[permissions]`` does not change which: it is the author's intent that counts)."""
    declared = declared_permissions(app)
    for key in parse(app.config["KPAY"]["plugins"]["gamification"]["unlocks"]):
        kind, _, name = key.partition(":")
        if kind != "permission":
            continue
        if name not in declared:
            raise ConfigError(f"plugins.gamification.unlocks: unknown permission {name!r} "
                              f"(known: {', '.join(sorted(declared))})")
        if set(declared[name].roles) <= STAFF_ONLY:
            raise ConfigError(f"plugins.gamification.unlocks: {name!r} is for owners and admins only; "
                              f"a level cannot open it")


def member_points(user_id: int) -> int:
    """The member's points as their standing holds them; read once per request (one query)."""
    held = g.get("gamification_points")
    if held is None or held[0] != user_id:
        points = db.session.scalar(sa.select(Standing.points).where(Standing.user_id == user_id)) or 0
        held = g.gamification_points = (user_id, points)
    return held[1]


def forget_points() -> None:
    """Drop the request's copy of the member's points (after a ledger change)."""
    if has_app_context():
        g.pop("gamification_points", None)


def _unlock(key: str):
    """The level (a ``levels`` level) that opens ``key``, or None when nothing unlocks it."""
    wanted = parse(current_app.config["KPAY"]["plugins"]["gamification"]["unlocks"]).get(key)
    if wanted is None:
        return None
    known = levels.all_levels()
    return known[min(wanted, len(known)) - 1]


def _reached(user, level) -> bool:
    """True when the signed-in ``user`` stands at ``level`` or above (one query per request)."""
    return getattr(user, "is_authenticated", False) and levels.level_for(member_points(user.id)).number >= level.number


def permission_grant(user, name: str) -> bool | None:
    """The ``kpay_permission_grants`` answer: True when a level unlock opens permission
    ``name`` and the member has reached it; None otherwise. At most one query per request."""
    level = _unlock(f"permission:{name}")
    return True if level is not None and _reached(user, level) else None


def grant(user, resource: Resource) -> AccessGrant | None:
    """The ``kpay_access_grants`` answer: open when the resource has a level unlock and the
    member has reached it; else locked, with the level it opens at. No query unless the
    resource has an unlock, then at most one per request."""
    level = _unlock(resource.key)
    if level is None:
        return None
    if _reached(user, level):
        return AccessGrant(True)
    return AccessGrant(False, str(_l("Opens to every member who reaches level %(n)s: %(name)s.", n=level.number,
                                     name=level.name)))
