"""Members' pictures: checked and re-encoded with Pillow, kept in the storage folder ``avatars``.

An upload is decoded only when Pillow recognises it as PNG, JPEG, WebP or GIF from its bytes
(the file name is ignored) and its header declares at most ``MAX_PIXELS``; it is then cropped
to a centred square and written as a fresh ``SIZE``×``SIZE`` WebP under a random name, so
nothing the member sent is ever served back as it was.
"""

from __future__ import annotations

import io
import re
import unicodedata

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from PIL import Image, ImageOps

from kpay import uploads
from kpay.extensions import db
from kpay.models import User
from kpay.uploads import UploadError, read_limited

FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
SIZE = 256
# 40 megapixels: any phone photo, and still a bounded amount of memory to decode.
MAX_PIXELS = 40_000_000
NAME = re.compile(r"[0-9a-f]{32}\.webp")
HUES = 8
FOLDER = "avatars"


class AvatarError(UploadError):
    """An upload that cannot become an avatar; the message is for the member."""


def in_use() -> list[str]:
    """Keys of the avatars members have (for ``kpay storage check`` and the sweep)."""
    names = db.session.scalars(sa.select(User.avatar).where(User.avatar.is_not(None)))
    return [f"{FOLDER}/{name}" for name in names]


def square_webp(data: bytes) -> bytes:
    """``data``, a picture, as a ``SIZE``×``SIZE`` WebP cropped around its centre.

    Raises ``AvatarError`` when ``data`` is not a PNG, JPEG, WebP or GIF Pillow can read, or
    declares more than ``MAX_PIXELS``.
    """
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise AvatarError(_("This picture has too many pixels."))
            image.draft("RGB", (SIZE, SIZE))  # JPEG decodes at a reduced scale: less memory
            picture = ImageOps.exif_transpose(image)
            mode = "RGBA" if picture.has_transparency_data else "RGB"
            square = ImageOps.fit(picture.convert(mode), (SIZE, SIZE), Image.Resampling.LANCZOS)
    except Image.DecompressionBombError:
        raise AvatarError(_("This picture has too many pixels.")) from None
    except (OSError, ValueError, SyntaxError):  # what Pillow raises for unreadable files
        raise AvatarError(_("Upload a PNG, JPEG, WebP or GIF picture.")) from None
    out = io.BytesIO()
    square.save(out, "WEBP", quality=85)
    return out.getvalue()


def set_avatar(user: User, stream, max_mb: int) -> None:
    """Make the picture in ``stream`` ``user``'s avatar; the old file goes once committed.

    Raises ``UploadError`` (and changes nothing) when the picture is refused.
    """
    data = read_limited(stream, max_mb, too_large=_l("This picture is larger than %(mb)s MB."),
                        empty=_l("Choose a picture to upload."))
    _replace(user, uploads.store(FOLDER, "webp", square_webp(data)))


def remove_avatar(user: User) -> None:
    """Take ``user``'s avatar away; its file is deleted once the change is committed."""
    _replace(user, None)


def _replace(user: User, name: str | None) -> None:
    old, user.avatar = user.avatar, name
    uploads.forget(FOLDER, old)


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


def avatar(user: User, size: str = "medium") -> Markup:
    """A member's picture, or their initials on a colour fixed by their id, as HTML, then the
    ``member_badge(user)`` a plugin may set as a Jinja global: the ``avatar`` templates import
    from ``_macros.html``. A function rather than a macro because lists show one per row, and
    a call costs a fraction of a macro's."""
    size = escape(size)
    if user.avatar:
        src = escape(url_for("profiles.avatar", name=user.avatar))
        html = Markup(f'<img class="avatar avatar-{size}" src="{src}" alt="" width="256" height="256">')
    else:
        shown = escape(initials(user.display_name))
        html = Markup(f'<span class="avatar avatar-{size} avatar-hue-{hue(user)}" aria-hidden="true">{shown}</span>')
    badge = current_app.jinja_env.globals.get("member_badge")
    return html + badge(user) if callable(badge) else html
