"""Reading a member's uploaded file into memory, never more than the limit allows, and
re-encoding an uploaded picture (avatars, covers) with Pillow.

Callers store the bytes themselves.
"""

from __future__ import annotations

import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps


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


PICTURE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# 40 megapixels: any phone photo, and still a bounded amount of memory to decode.
MAX_PIXELS = 40_000_000


def picture_webp(data: bytes, size: tuple[int, int], quality: int = 85) -> bytes:
    """``data``, a picture, as a fresh WebP of exactly ``size``, cropped around its centre.

    Pillow decodes it only when it recognises PNG, JPEG, WebP or GIF from the bytes and the
    header declares at most ``MAX_PIXELS``; otherwise ``UploadError`` says what to upload.
    Nothing a member sent is ever served back as it was.
    """
    try:
        with Image.open(io.BytesIO(data), formats=PICTURE_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UploadError(_("This picture has too many pixels."))
            image.draft("RGB", size)  # JPEG decodes at a reduced scale: less memory
            picture = ImageOps.exif_transpose(image)
            mode = "RGBA" if picture.has_transparency_data else "RGB"
            fitted = ImageOps.fit(picture.convert(mode), size, Image.Resampling.LANCZOS)
    except Image.DecompressionBombError:
        raise UploadError(_("This picture has too many pixels.")) from None
    except (OSError, ValueError, SyntaxError):  # what Pillow raises for unreadable files
        raise UploadError(_("Upload a PNG, JPEG, WebP or GIF picture.")) from None
    out = io.BytesIO()
    fitted.save(out, "WEBP", quality=quality)
    return out.getvalue()
