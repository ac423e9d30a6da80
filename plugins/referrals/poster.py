"""Share posters: a PNG with the item's cover, title and price, the sharer's name and a QR code
of their link, drawn with Pillow and segno, cached in the instance folder.

The poster's text comes from a signed token the share sheet made from the page's share card,
so nobody can make the site draw words of their own. The font is the cut of WenQuanYi Micro Hei
shipped in ``fonts/`` (see its README), or the ``poster_font`` setting.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import urlsplit

import segno
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from PIL import Image, ImageDraw, ImageFont

from plugins.referrals.attribution import settings

WIDTH, HEIGHT = 750, 1150
COVER_HEIGHT = 422  # 16:9 across the width
SHIPPED_FONT = Path(__file__).parent / "fonts" / "wqy-microhei-gb2312-1.ttf"
INK, MUTED, ACCENT = (31, 41, 55), (107, 114, 128), (190, 18, 60)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="kpay-poster")


def token(title: str, price: str, image: str, item: str) -> str:
    """The signed description of a poster, for its URL."""
    return _serializer().dumps({"t": title[:120], "p": price[:40], "i": image[:300], "u": item[:200]})


def read_token(value: str) -> dict | None:
    """The poster's title, price, image and item; None for a forged or malformed token."""
    try:
        found = _serializer().loads(value)
    except BadSignature:
        return None
    return found if isinstance(found, dict) and all(isinstance(found.get(k), str) for k in "tpiu") else None


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The poster font at ``size``: ``poster_font`` when set and readable, else the shipped
    cut, else Pillow's own (Latin only) so a poster is still made."""
    for path in (settings()["poster_font"], str(SHIPPED_FONT)):
        if path:
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size)


def cached_png(spec: dict, sharer_name: str, link: str) -> bytes:
    """The poster's PNG, drawn once per content and kept under instance/cache/referrals/."""
    digest = hashlib.sha256(repr((spec, sharer_name, link, settings()["poster_font"])).encode()).hexdigest()[:32]
    folder = Path(current_app.instance_path) / "cache" / "referrals"
    path = folder / f"{digest}.png"
    if path.is_file():
        return path.read_bytes()
    data = draw(spec, sharer_name, link)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return data


def draw(spec: dict, sharer_name: str, link: str) -> bytes:
    """The poster as PNG bytes."""
    from flask_babel import gettext as _

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas = ImageDraw.Draw(image)
    image.paste(_cover(spec["i"], spec["t"]), (0, 0))
    y = COVER_HEIGHT + 36
    for line in wrap(spec["t"], font(44), WIDTH - 96)[:3]:
        canvas.text((48, y), line, font=font(44), fill=INK)
        y += 58
    if spec["p"]:
        canvas.text((48, y + 8), spec["p"], font=font(40), fill=ACCENT)
    qr = _qr(link, 240)
    top = HEIGHT - 48 - qr.height
    image.paste(qr, (WIDTH - 48 - qr.width, top))
    canvas.line((48, top - 28, WIDTH - 48, top - 28), fill=(229, 231, 235), width=2)
    left = WIDTH - 48 - qr.width - 32
    text_y = top + 24
    for line, size, colour in (
        (_("%(name)s recommends", name=sharer_name), 34, INK),
        (_("Scan the code to open it"), 28, MUTED),
        (current_app.config["KPAY"]["site_name"], 28, MUTED),
    ):
        for part in wrap(line, font(size), left - 48)[:2]:
            canvas.text((48, text_y), part, font=font(size), fill=colour)
            text_y += size + 16
        text_y += 12
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def wrap(text: str, face, width: int) -> list[str]:
    """``text`` in lines no wider than ``width``: broken at spaces, or between any two
    characters in Chinese, which has no spaces."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(text):
        candidate = line + piece
        if line and face.getlength(candidate) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _pieces(text: str) -> list[str]:
    """Words with their following space, and each CJK character on its own."""
    pieces: list[str] = []
    word = ""
    for char in text:
        if ord(char) >= 0x2E80:
            if word:
                pieces.append(word)
                word = ""
            pieces.append(char)
        elif char == " ":
            pieces.append(word + " ")
            word = ""
        else:
            word += char
    if word:
        pieces.append(word)
    return pieces


def _qr(link: str, size: int) -> Image.Image:
    code = segno.make(link, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=2))
    modules = len(rows)
    small = Image.new("1", (modules, modules), 1)
    small.putdata([0 if dark else 1 for row in rows for dark in row])
    scale = max(size // modules, 1)
    return small.resize((modules * scale, modules * scale), Image.NEAREST).convert("RGB")


def _cover(image_url: str, title: str) -> Image.Image:
    """The item's cover cut to 16:9 across the poster, or a coloured panel when it has none
    or it cannot be read."""
    picture = _local_picture(image_url)
    if picture is not None:
        ratio = max(WIDTH / picture.width, COVER_HEIGHT / picture.height)
        picture = picture.convert("RGB").resize((round(picture.width * ratio) or 1, round(picture.height * ratio) or 1))
        left, top = (picture.width - WIDTH) // 2, (picture.height - COVER_HEIGHT) // 2
        return picture.crop((left, top, left + WIDTH, top + COVER_HEIGHT))
    hue = int(hashlib.sha256(title.encode()).hexdigest()[:2], 16)
    panel = Image.new("HSV", (WIDTH, COVER_HEIGHT), (hue, 120, 150)).convert("RGB")
    ImageDraw.Draw(panel).text((48, COVER_HEIGHT - 120), title[:2], font=font(80), fill="white")
    return panel


def _local_picture(url: str) -> Image.Image | None:
    """The picture at ``url`` when it is one of this site's own pages, read through its view
    (which checks access as for the member); None otherwise."""
    parts = urlsplit(url)
    if not url or parts.netloc not in ("", request.host):
        return None
    try:
        endpoint, args = current_app.url_map.bind(request.host).match(parts.path)
        response = current_app.view_functions[endpoint](**args)
        if getattr(response, "status_code", 0) != 200:
            return None
        response.direct_passthrough = False
        data = response.get_data()
        response.close()
        picture = Image.open(io.BytesIO(data))
        picture.load()
        return picture
    except Exception:  # a missing, private or unreadable cover: the panel stands in
        return None
