"""Covers of circles and products (courses keep theirs beside their lessons): uploaded
pictures re-encoded by ``kpay.uploads.picture_webp`` into a fresh 16:9 WebP under a random
name in the storage's ``covers/`` folder, served at ``/covers/<name>``. Something without a
cover shows a generated one (its colour and initials) from the ``cover`` macro in
templates/_macros.html.
"""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import lazy_gettext as _l

from kpay import uploads
from kpay.uploads import UploadError, picture_webp, read_limited

SIZE = (1200, 675)
NAME = re.compile(r"[0-9a-f]{32}\.webp")
FOLDER = "covers"


def store(stream) -> str:
    """Store the picture in ``stream`` as a cover; its name, for ``replace``. Raises
    ``UploadError`` (for the member) when the picture is refused."""
    data = read_limited(stream, current_app.config["KPAY"]["max_cover_mb"],
                        too_large=_l("This picture is larger than %(mb)s MB."), empty=_l("Choose a picture to upload."))
    return uploads.store(FOLDER, "webp", picture_webp(data, SIZE, quality=82))


def replace(item, name: str | None) -> None:
    """Give ``item`` the stored cover ``name`` (None: the generated one); the old file is
    deleted once the change is committed."""
    old, item.cover = item.cover, name
    if old and old != name:
        uploads.forget(FOLDER, old)


def from_form(form) -> str | None:
    """The stored name of the picture sent in ``form.cover_file``, or None when none was sent
    or it was refused (then the reason joins the field's errors, next to the field)."""
    if not form.cover_file.data:
        return None
    try:
        return store(form.cover_file.data.stream)
    except UploadError as error:
        form.cover_file.errors = [*form.cover_file.errors, str(error)]
        return None


def apply(item, form, name: str | None) -> None:
    """Give ``item`` the uploaded cover ``name``, or take its cover away when ``form.remove_cover``
    is ticked; otherwise leave it."""
    if name:
        replace(item, name)
    elif form.remove_cover.data:
        replace(item, None)
