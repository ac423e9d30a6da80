"""Levels: named point thresholds, the member's standing, and the level badge shown beside names."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from plugins.gamification.paths import path_for
from kpay.api import PointsEntry, User, current_language, db, emit, insert_once, notify, utcnow
from plugins.gamification.models import LevelReached, Standing

DEFAULT_LEVELS = [
    "0|Newcomer|新人", "20|Learner|学员", "60|Regular|常客", "150|Contributor|贡献者", "300|Mentor|导师",
    "600|Expert|专家", "1000|Master|大师", "1600|Sage|智者", "2500|Legend|传奇",
]


@dataclass(frozen=True)
class Level:
    """A level: its number (1 is the first), the points it starts at and its names."""

    number: int
    threshold: int
    name_en: str
    name_zh: str

    @property
    def name(self) -> str:
        locale = get_locale()
        return self.name_zh if locale is not None and locale.language == "zh" else self.name_en


def parse(lines: list[str]) -> list[Level]:
    """Levels from ``threshold|English name|中文名`` lines, lowest first (raises ValueError)."""
    levels = []
    for number, line in enumerate(lines, start=1):
        threshold, en, zh = (part.strip() for part in line.split("|"))
        levels.append(Level(number, int(threshold), en, zh or en))
    if not levels or levels[0].threshold != 0 or any(a.threshold >= b.threshold for a, b in zip(levels, levels[1:], strict=False)):
        raise ValueError("thresholds must start at 0 and rise")
    return levels


def validate(lines: list[str]) -> str | None:
    """The settings check of ``levels``: a message, or None when good."""
    try:
        parse(lines)
    except ValueError:
        return "expected lines such as \"0|Newcomer|新人\" with rising thresholds starting at 0"
    return None


def all_levels(app: Flask | None = None) -> Sequence[Level]:
    """The site's levels (``app``'s, default the current one), lowest first (parsed once per
    setting, not per name shown)."""
    return _parsed(tuple((app or current_app).config["KPAY"]["plugins"]["gamification"]["levels"]))


@functools.lru_cache(maxsize=8)
def _parsed(lines: tuple[str, ...]) -> tuple[Level, ...]:
    return tuple(parse(list(lines)))


def level_for(points: int) -> Level:
    """The level ``points`` reach."""
    found = all_levels()[0]
    for level in all_levels():
        if points >= level.threshold:
            found = level
    return found


def next_level(level: Level) -> Level | None:
    levels = all_levels()
    return levels[level.number] if level.number < len(levels) else None


def progress(points: int) -> dict:
    """What the progress bar shows: the level, the next one and the percentage towards it."""
    level = level_for(points)
    following = next_level(level)
    percent = 100
    if following is not None:
        percent = int(100 * (points - level.threshold) / (following.threshold - level.threshold))
    return {"level": level, "next": following, "percent": max(0, min(percent, 100)), "points": points,
            "missing": following.threshold - points if following else 0}


def balance(user_id: int) -> int:
    """The member's points: the sum of their ledger entries."""
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.amount), 0))
                                 .where(PointsEntry.user_id == user_id)))


def after_change(user: User, amount: int, reason: str) -> None:
    """After a ledger entry: refresh the member's standing, announce ``points.awarded`` and,
    the first time a level is reached, ``level.reached`` with a notification."""
    points = balance(user.id)
    level = level_for(points)
    insert_once(Standing, ("user_id",), user_id=user.id, points=0, level=1, updated_at=utcnow())
    db.session.execute(sa.update(Standing).where(Standing.user_id == user.id)
                       .values(points=points, level=level.number, updated_at=utcnow()))
    emit("points.awarded", user=user, amount=amount, reason=reason, balance=points)
    if level.number > 1 and insert_once(LevelReached, ("user_id", "level"), user_id=user.id, level=level.number,
                                        reached_at=utcnow()):
        emit("level.reached", user=user, level=level.number)
        notify(user, "gamification.earned", _l("You reached level %(n)s: %(name)s", n=level.number, name=level.name_en),
               path_for("gamification.me"), key=f"gamification.level:{user.id}:{level.number}")
    _cache()["levels"][user.id] = level.number
    from plugins.gamification.unlocks import forget_points

    forget_points()


def _cache(app: Flask | None = None) -> dict:
    return (app or current_app).extensions.setdefault("gamification.levels", {"at": 0.0, "levels": {}})


def cached_level(user_id: int, app: Flask | None = None) -> int:
    """The member's level from this process's copy of the standings above level 1 (one query
    at most every ``badge_cache_seconds``; this process's own awards update it at once), so a
    page of names costs no query per name."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = _cache(app)
    seconds = app.config["KPAY"]["plugins"]["gamification"]["badge_cache_seconds"]
    if time.monotonic() - cache["at"] > seconds:
        cache["levels"] = dict(db.session.execute(sa.select(Standing.user_id, Standing.level).where(Standing.level > 1)).all())
        cache["at"] = time.monotonic()
    return cache["levels"].get(user_id, 1)


def badge(user) -> Markup:
    """The level badge shown beside a member's name (empty for a visitor or a deleted member)."""
    user_id = getattr(user, "id", None)
    if not user_id:
        return Markup("")
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # once: a page shows ~30 names
    levels = all_levels(app)
    return _badge_html(levels[min(cached_level(user_id, app), len(levels)) - 1], current_language())


@functools.lru_cache(maxsize=256)
def _badge_html(level: Level, language: str) -> Markup:
    """A level's badge in ``language`` (the request's): the same for every member at that level,
    so a page of names translates and formats it once per level, not once per name."""
    title = _("Level %(n)s: %(name)s", n=level.number, name=level.name)
    return Markup('<span class="level-badge level-{n}" title="{title}">{label}</span>').format(
        n=min(level.number, 9), title=escape(title), label=_("Lv%(n)s", n=level.number))
