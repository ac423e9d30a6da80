"""The plugin's settings (``[plugins.gamification]``): points and daily caps per rule, levels,
badge thresholds, boards, the reminder's time and the engagement period."""

from __future__ import annotations

from kpay.api import Setting
from plugins.gamification import levels, unlocks
from plugins.gamification.rules import RULES


def defaults() -> dict[str, Setting]:
    """Every setting with its default and check."""
    settings = {}
    for rule in RULES.values():
        settings[f"points_{rule.name}"] = Setting(rule.points, f"Points for {rule.name} (0: none).", min=0, max=10_000)
        settings[f"cap_{rule.name}"] = Setting(rule.cap, f"Most grants of {rule.name} per member per site day (0: no cap).",
                                               min=0, max=1000)
    return {
        **settings,
        "levels": Setting(levels.DEFAULT_LEVELS, "Levels, one a line: threshold|English name|中文名, from 0 up.",
                          validate=levels.validate),
        "unlocks": Setting([], "Level unlocks, one a line: course:<id>|<level>, circle:<id>|<level> (a paid circle) "
                               "or permission:<name>|<level> (an action such as forums.post_links); "
                               "members who reach the level open it without buying it.", validate=unlocks.validate),
        "helpful_answers": Setting(5, "Accepted answers that earn the helpful answerer badge.", min=1),
        "top_referrals": Setting(5, "Converted referrals that earn the top referrer badge.", min=1),
        "early_members": Setting(100, "The first members (by sign-up) who get the early member badge.", min=1),
        "photo_max_mb": Setting(8, "The largest check-in photo a member may upload, in MB.", min=1, max=40),
        "board_size": Setting(20, "Members on each leaderboard.", min=3, max=100),
        "reminder_at": Setting("20:00", "When (HH:MM, site time) members who have not checked in are reminded.",
                               validate=_time_of_day),
        "engagement_days": Setting(30, "The period T of the engagement score, in days.", min=1, max=365),
        "badge_cache_seconds": Setting(300, "How long a web process keeps the members' levels for the badges beside "
                                            "names (its own awards show at once).",
                                       min=0, max=3600),
    }


def _time_of_day(value: str) -> str | None:
    hours, _, minutes = value.partition(":")
    if len(hours) == len(minutes) == 2 and hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60:
        return None
    return "expected HH:MM such as 20:00"
