"""Reading a member's uploaded file into memory, never more than the limit allows.

Callers check what the bytes are (Pillow, a sniffed media type) and store them themselves.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class UploadError(Exception):
    """An upload that cannot be used; the message is for the member."""


def read_limited(stream, max_mb: int, *, too_large=_l("This file is larger than %(mb)s MB."),
                 empty=_l("Choose a file to upload.")) -> bytes:
    """The bytes of ``stream``, reading at most ``max_mb`` MiB and one byte more.

    Raises ``UploadError`` with ``too_large`` (a lazy string with ``%(mb)s``) when the file is
    bigger, or with ``empty`` when it has no bytes.
    """
    max_bytes = max_mb * 2**20
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(str(too_large) % {"mb": max_mb})
    if not data:
        raise UploadError(str(empty))
    return data
