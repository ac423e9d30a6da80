"""Members' pictures: checked and re-encoded with Pillow, kept in instance/avatars/.

An upload is decoded only when Pillow recognises it as PNG, JPEG, WebP or GIF from its bytes
(the file name is ignored) and its header declares at most ``MAX_PIXELS``; it is then cropped
to a centred square and written as a fresh ``SIZE``×``SIZE`` WebP under a random name, so
nothing the member sent is ever served back as it was.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from kpay.models import User
from kpay.transactions import after_commit
from kpay.uploads import picture_webp, read_limited

SIZE = 256
NAME = re.compile(r"[0-9a-f]{32}\.webp")
HUES = 8


def folder() -> Path:
    """The folder avatars are stored in: ``avatars/`` in the instance folder."""
    return Path(current_app.instance_path) / "avatars"


def set_avatar(user: User, stream, max_mb: int) -> None:
    """Make the picture in ``stream`` ``user``'s avatar; the old file goes once committed.

    Raises ``UploadError`` (and changes nothing) when the picture is refused.
    """
    data = read_limited(stream, max_mb, too_large=_l("This picture is larger than %(mb)s MB."),
                        empty=_l("Choose a picture to upload."))
    encoded = picture_webp(data, (SIZE, SIZE))
    name = f"{secrets.token_hex(16)}.webp"
    folder().mkdir(parents=True, exist_ok=True)
    (folder() / name).write_bytes(encoded)
    _replace(user, name)


def remove_avatar(user: User) -> None:
    """Take ``user``'s avatar away; its file is deleted once the change is committed."""
    _replace(user, None)


def _replace(user: User, name: str | None) -> None:
    old, user.avatar = user.avatar, name
    if old and NAME.fullmatch(old):
        path = folder() / old
        after_commit(lambda: path.unlink(missing_ok=True))


def initials(name: str) -> str:
    """What an avatar or cover without a picture shows: "AL" for Ada Lovelace, "李" for
    李小龙, "M" for Mei 小美, "PD" for "Product design · 产品设计"."""
    words = [word for word in (name or "").split() if word[0].isalnum()]
    if not words:
        return "?"
    if _wide(words[0][0]):
        return words[0][0]
    second = words[1][0] if len(words) > 1 and not _wide(words[1][0]) else ""
    return (words[0][0] + second).upper()


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def hue(user: User) -> int:
    """Which of the ``HUES`` colours a member's initials circle gets: fixed by their id."""
    return user.id % HUES
