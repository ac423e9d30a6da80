"""The hooks the recommendations plugin declares (through ``kpay_addhooks``) for other plugins.

A plugin that owns items implements them with ``@hookimpl(optionalhook=True)`` so it still
loads when this plugin is disabled. The types arrive as arguments, so no plugin imports this one.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("kpay")


@hookspec
def kpay_recs_items(item):
    """Give the items members may be recommended, with their public card and features.

    Called: by the recommendations refresh job (``Schedule`` every ``refresh_minutes``) and by
    ``kpay recs evaluate``; never on a request.
    Receives: ``item``, the ``Item`` constructor (call it with keywords: ``kind``, ``id``,
    ``title``, ``url``, ``resource``, ``audience``, ``summary``, ``price_minor``,
    ``currency``, ``creator_id``, ``tags``, ``features``, ``created_at``, ``starts_at``).
    Returns: an iterable of items that exist, are published and may be listed now; an item
    no longer returned (deleted, unpublished, hidden) leaves every list on the next run.
    """


@hookspec
def kpay_recs_signals(signal):
    """Give what members did with the plugin's items: enrolments, completions, purchases,
    memberships, posts, replies, likes, RSVPs.

    Called: with ``kpay_recs_items``.
    Receives: ``signal``, the ``Signal`` constructor (``user_id``, ``key`` = ``"<kind>:<id>"``,
    ``action`` one of ``completed attended bought posted enrolled rsvped joined replied liked``, ``at``,
    ``weight``: how much it says about the member's taste, 1 for a like, 3 for a completion).
    Returns: an iterable of signals, oldest or newest first; any signal hides the item from
    that member's lists. Only rows the plugin still keeps: an erased member has none.
    """
