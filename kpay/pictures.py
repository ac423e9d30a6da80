"""Site pictures the owner uploads (the logo, a payment QR code), re-encoded as PNG.

Like avatars, an upload is decoded only when Pillow recognises it as PNG, JPEG, WebP or GIF
and declares at most ``MAX_PIXELS``; it is scaled to fit a box (never cropped: a QR code
must stay whole) and written as a fresh PNG in the instance folder under a random name.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from kpay.profiles.avatars import FORMATS, MAX_PIXELS
from kpay.uploads import UploadError, read_limited

MAX_MB = 4


def store_png(stream, prefix: str, box: int) -> str:
    """Save the picture in ``stream`` as a PNG at most ``box`` pixels on its longer side in
    the instance folder; its file name. Raises ``UploadError`` with a message for the owner."""
    data = read_limited(stream, MAX_MB, too_large=_l("This picture is larger than %(mb)s MB."),
                        empty=_l("Choose a picture to upload."))
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UploadError(_("This picture has too many pixels."))
            picture = ImageOps.exif_transpose(image)
            picture = picture.convert("RGBA" if picture.has_transparency_data else "RGB")
            picture.thumbnail((box, box), Image.Resampling.LANCZOS)
    except Image.DecompressionBombError:
        raise UploadError(_("This picture has too many pixels.")) from None
    except (OSError, ValueError, SyntaxError):
        raise UploadError(_("Upload a PNG, JPEG, WebP or GIF picture.")) from None
    name = f"{prefix}-{secrets.token_hex(8)}.png"
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    (Path(current_app.instance_path) / name).write_bytes(out.getvalue())
    return name
