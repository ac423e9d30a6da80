"""A member uploads, replaces and removes an avatar; only re-encoded squares are ever served."""

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from kpay.extensions import db
from kpay.models import User
from kpay.profiles.avatars import hue, initials
from tests.conftest import Auth, csrf_token

GREEN = (20, 160, 60)


def picture(fmt: str = "PNG", size=(300, 600)) -> bytes:
    """A portrait in ``fmt``: a red band on top, green in the middle, blue at the bottom.

    Its centred square is all green; the bands show whether the crop was centred.
    """
    width, height = size
    image = Image.new("RGB", size, GREEN)
    image.paste((200, 20, 20), (0, 0, width, height // 4))
    image.paste((20, 20, 200), (0, height * 3 // 4, width, height))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A real 1×1 PNG whose header claims ``width``×``height`` (a decompression bomb's header)."""
    data = bytearray(picture(size=(1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def noise_png(megabytes: float) -> bytes:
    """A valid PNG of random pixels, about ``megabytes`` large (noise does not compress)."""
    side = int((megabytes * 2**20 / 3) ** 0.5) + 1
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def lin(make_user, auth):
    """Lin, a logged-in member without a picture."""
    member = make_user(email="lin@example.com", name="Lin Wei")
    auth.login(member.email)
    return member


def upload(client, data: bytes, filename: str = "me.png"):
    token = csrf_token(client.get("/account/profile"))
    return client.post(
        "/account/avatar", data={"csrf_token": token, "avatar": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def avatar_name(app, member) -> str | None:
    with app.app_context():
        return db.session.get(User, member.id).avatar


def avatars_folder(app) -> Path:
    return Path(app.instance_path) / "uploads" / "avatars"


def test_visitor_cannot_upload_or_remove_a_picture(client):
    token = csrf_token(client.get("/"))
    for path in ("/account/avatar", "/account/avatar/remove"):
        response = client.post(path, data={"csrf_token": token, "avatar": (io.BytesIO(picture()), "me.png")})
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_member_uploads_a_picture_and_gets_a_centred_256_square_webp(app, client, lin, fmt):
    response = upload(client, picture(fmt), f"holiday.{fmt.lower()}")
    assert response.status_code == 302
    name = avatar_name(app, lin)
    stored = avatars_folder(app) / name
    assert stored.exists() and not (Path(app.static_folder) / name).exists()
    with Image.open(stored) as image:
        assert (image.format, image.size) == ("WEBP", (256, 256))
        rgb = image.convert("RGB")
        for corner in [(2, 2), (253, 2), (2, 253), (253, 253)]:
            assert all(abs(a - b) < 40 for a, b in zip(rgb.getpixel(corner), GREEN, strict=True)), (corner, fmt)
    assert "holiday" not in name
    assert f'src="/avatars/{name}"' in client.get("/account/profile").get_data(as_text=True)


def test_type_is_read_from_the_content_not_the_file_name(app, client, lin):
    assert upload(client, picture("JPEG"), "avatar").status_code == 302
    assert avatar_name(app, lin)


def test_phone_photo_is_turned_upright_by_its_exif_orientation(app, client, lin):
    """A phone stores a portrait as a landscape plus "rotate 90° clockwise" (orientation 6)."""
    landscape = Image.new("RGB", (400, 200), (20, 20, 200))
    landscape.paste((200, 20, 20), (0, 0, 200, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    landscape.save(out, "JPEG", exif=exif)
    assert upload(client, out.getvalue()).status_code == 302
    with Image.open(avatars_folder(app) / avatar_name(app, lin)) as image:
        top, bottom = image.convert("RGB").getpixel((128, 20)), image.convert("RGB").getpixel((128, 235))
    assert top[0] > 150 > top[2], "the left (red) half is on top once upright"
    assert bottom[2] > 150 > bottom[0]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "me.png", "Upload a PNG, JPEG, WebP or GIF picture."),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
         "me.svg", "Upload a PNG, JPEG, WebP or GIF picture."),
        (picture("BMP"), "me.png", "Upload a PNG, JPEG, WebP or GIF picture."),
        (picture("PNG")[:200], "me.png", "Upload a PNG, JPEG, WebP or GIF picture."),
        (png_claiming(20_000, 20_000), "bomb.png", "too many pixels"),
        (png_claiming(8_000, 6_000), "big.png", "too many pixels"),
        (b"", "empty.png", "Choose a picture to upload."),
    ],
    ids=["html-named-png", "svg-with-script", "bmp", "truncated-png", "bomb-20k-square", "48-megapixels", "empty"],
)
def test_bad_upload_is_refused_beside_the_field_and_the_old_picture_is_kept(app, client, lin, content, filename, message):
    upload(client, picture())
    old = avatar_name(app, lin)
    response = upload(client, content, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page.split('id="avatar-errors"', 1)[1].split("</ul>", 1)[0]
    assert avatar_name(app, lin) == old
    assert sorted(p.name for p in avatars_folder(app).iterdir()) == [old]


def test_picture_over_the_size_limit_is_refused(make_app, make_user):
    app = make_app({"max_avatar_mb": 1})
    client = app.test_client()
    member = make_user(name="Big Picture Bo")
    Auth(client).login(member.email)
    response = upload(client, noise_png(1.2))
    assert response.status_code == 422
    assert "larger than 1 MB" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, member.id).avatar is None


def test_upload_without_a_file_asks_for_one(client, lin):
    token = csrf_token(client.get("/account/profile"))
    response = client.post("/account/avatar", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a picture to upload." in response.get_data(as_text=True)


def test_jpeg_html_polyglot_is_served_re_encoded_without_its_script(app, client, lin):
    polyglot = picture("JPEG") + b"<html><script>alert(document.cookie)</script></html>"
    assert upload(client, polyglot).status_code == 302
    served = client.get(f"/avatars/{avatar_name(app, lin)}")
    assert b"<script" not in served.data
    assert served.data[:4] == b"RIFF" and served.data[8:12] == b"WEBP"


def test_replacing_the_picture_deletes_the_old_file(app, client, lin):
    upload(client, picture("PNG"))
    first = avatar_name(app, lin)
    upload(client, picture("JPEG"))
    second = avatar_name(app, lin)
    assert first != second
    assert [p.name for p in avatars_folder(app).iterdir()] == [second]
    assert client.get(f"/avatars/{first}").status_code == 404


def test_remove_button_deletes_the_picture_and_initials_come_back(app, client, lin):
    upload(client, picture())
    name = avatar_name(app, lin)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Remove picture" in page
    response = client.post("/account/avatar/remove", data={"csrf_token": csrf_token(client.get("/"))})
    assert response.status_code == 302
    assert avatar_name(app, lin) is None
    assert not (avatars_folder(app) / name).exists()
    page = client.get("/account/profile").get_data(as_text=True)
    assert ">LW</span>" in page and "Remove picture" not in page


def test_avatar_is_served_as_webp_with_nosniff_and_a_long_cache(app, client, lin):
    upload(client, picture())
    response = client.get(f"/avatars/{avatar_name(app, lin)}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.cache_control
    assert cache.public and cache.immutable and cache.max_age >= 60 * 60 * 24 * 365
    assert not cache.no_store and not cache.private


@pytest.mark.parametrize(
    "path",
    [
        "/avatars/..%2Fkpay.toml", "/avatars/..%2f..%2fkpay.db", "/avatars/secret_key", "/avatars/kpay.toml",
        "/avatars/%2e%2e%2fsecret_key", "/avatars/" + "A" * 32 + ".webp", "/avatars/" + "a" * 32 + ".png",
        "/avatars/" + "a" * 32 + ".webp", "/avatars/../secret_key",
    ],
)
def test_only_generated_avatar_names_are_served(app, client, path):
    avatars_folder(app).mkdir(parents=True, exist_ok=True)
    (avatars_folder(app) / "kpay.toml").write_text("secret")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Ada Lovelace", "AL"), ("mei", "M"), ("Jean-Luc de la Cruz", "JD"), ("李小龙", "李"),
     ("王 芳", "王"), ("ｆｕｌｌ", "ｆ"), ("   ", "?"), ("", "?"), ("Mei 小美", "M"),
     ("Python 入门 · Python for Beginners", "P"), ("Product design · 产品设计", "PD"), ("· Notes ·", "N")],
)
def test_initials_take_first_letters_or_the_first_chinese_character(name, expected):
    assert initials(name) == expected


def test_initials_colour_is_fixed_by_member_and_varies_between_members():
    assert hue(User(id=41)) == hue(User(id=41))
    assert len({hue(User(id=n)) for n in range(1, 9)}) == 8


def test_member_without_picture_gets_initials_in_a_coloured_circle_and_no_inline_style(client, lin):
    page = client.get("/account/profile").get_data(as_text=True)
    circle = page.split('<span class="avatar avatar-large avatar-hue-', 1)[1].split("</span>", 1)[0]
    assert circle.endswith(">LW") and circle[0] in "01234567"
    assert " style=" not in page


def test_member_may_upload_twenty_pictures_an_hour(app, client, lin):
    """Each upload is decoded and re-encoded: a member cannot keep the CPU busy with them."""
    small = picture(size=(40, 40))
    codes = [upload(client, small).status_code for _ in range(21)]
    assert codes == [302] * 20 + [429]
    assert len(list(avatars_folder(app).iterdir())) == 1
