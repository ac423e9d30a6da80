"""Meeting providers: where a lecture happens. A plain URL is built in; a plugin adds one (a
BigBlueButton that creates rooms through its API, say) with the ``kpay_lectures_meeting_providers``
hook, declared here and added to KPay's hooks by ``kpay_addhooks``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pluggy
from flask import current_app
from flask_babel import lazy_gettext as _l

hookspec = pluggy.HookspecMarker("kpay")


@dataclass(frozen=True)
class MeetingProvider:
    """A place lectures happen: ``join_url(lecture, user)`` gives the address an attendee opens
    (called only for a confirmed attendee inside the link window, or the organizer)."""

    name: str
    label: str
    join_url: Callable


class MeetingProviderSpec:
    @hookspec
    def kpay_lectures_meeting_providers(self):
        """Called: building the scheduling form and when an attendee joins.

        Returns: a list of ``MeetingProvider`` a lecture may use besides the plain URL.
        """


PLAIN_URL = MeetingProvider("url", _l("A meeting or live-stream link"), lambda lecture, user: lecture.meeting_url)


def providers() -> dict[str, MeetingProvider]:
    """Every meeting provider by name, the plain URL first."""
    found = {PLAIN_URL.name: PLAIN_URL}
    for batch in current_app.extensions["kpay"].pm.hook.kpay_lectures_meeting_providers():
        found.update({p.name: p for p in batch or ()})
    return found
