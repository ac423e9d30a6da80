"""The demo community: bilingual members and a little history, then each plugin's demo."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask import current_app

from kpay import events, points
from kpay.accounts import create_user
from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow

DEMO_PASSWORD = "kpay-demo-2026"
DEMO_MEMBERS = [
    ("owner@example.com", "Olivia Owner 欧丽", "owner"),
    ("admin@example.com", "Adam Admin", "admin"),
    ("moderator@example.com", "莫德 Mod", "moderator"),
    ("creator@example.com", "陈老师 Teacher Chen", "creator"),
    ("member@example.com", "Mei 小美", "member"),
    ("learner@example.com", "Leo Learner 李奥", "member"),
]


def build() -> User | None:
    """Create the demo community in an empty database; returns the owner, or None if not empty."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None
    users = {}
    for email, name, role in DEMO_MEMBERS:
        users[email] = create_user(email, name, DEMO_PASSWORD, role=role)
        users[email].email_confirmed_at = utcnow()
        events.emit("user.signed_up", user=users[email], subject=users[email])
    points.award(users["member@example.com"], 50, "Welcome bonus / 新人奖励", key="demo:welcome:member")
    points.award(users["learner@example.com"], 20, "First question / 第一次提问", key="demo:question:learner")
    current_app.extensions["kpay"].pm.hook.kpay_demo_data()
    db.session.commit()
    return users["owner@example.com"]


def add_plugin_demo(name: str) -> None:
    """Add one enabled plugin's demo content (its ``kpay_demo_data``) to the site as it is,
    members and all; a ``ValueError`` says why when the plugin is off or has none."""
    state = current_app.extensions["kpay"]
    if name not in state.enabled:
        raise ValueError(f"plugin {name!r} is not enabled (kpay plugins enable {name})")
    impls = [impl for impl in state.pm.hook.kpay_demo_data.get_hookimpls() if impl.plugin_name == name]
    if not impls:
        raise ValueError(f"plugin {name!r} has no demo data (it does not implement kpay_demo_data)")
    if impls[0].wrapper:  # a wrapper's own part runs after its yield (the others' demo data)
        steps = impls[0].function()
        next(steps)
        with contextlib.suppress(StopIteration):
            steps.send(None)
    else:
        impls[0].function()
    db.session.commit()
