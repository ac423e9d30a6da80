"""An uploaded replay lives in core storage and is played only under a signed address: the
buyer plays it (Range requests too), an outsider, a visitor or another session gets 403 even
with the buyer's address; a wrong file or an empty form comes back beside its field."""

from __future__ import annotations

import io
import re

from kpay.api import storage
from kpay.extensions import db
from kpay.testing import csrf_token
from plugins.lectures import replays
from plugins.lectures.models import Lecture
from plugins.lectures.tests.conftest import lecture_row, logged_in, make_lecture, move
from tests.commerce_helpers import add_product, buy

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000


def upload(client, lecture_id: int, data: bytes, name: str = "talk.mp4", url: str = ""):
    page = client.get(f"/live/studio/{lecture_id}")
    return client.post(f"/live/studio/{lecture_id}/replay", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(page), "replay_url": url, "replay_notes": "Slides",
                             "replay_upload": (io.BytesIO(data), name)})


def address(page: str) -> str | None:
    found = re.search(r'<video[^>]* src="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_an_uploaded_replay_plays_for_the_buyer_and_never_for_an_outsider(app, make_user):
    creator, buyer, outsider = make_user(role="creator"), make_user(), make_user()
    product_id = add_product(app, creator.id, name="Live class")
    lecture_id = make_lecture(app, creator.id, hours=3, product_id=product_id)
    client = logged_in(app, buyer)
    buy(client, product_id)
    move(app, lecture_id, -3)
    owner = logged_in(app, creator)

    refused = upload(owner, lecture_id, b"<html>not a video</html>", "talk.mp4")
    assert refused.status_code == 422 and "Upload an MP4 or WebM video" in refused.get_data(as_text=True)
    empty = owner.post(f"/live/studio/{lecture_id}/replay",
                       data={"csrf_token": csrf_token(owner.get(f"/live/studio/{lecture_id}"))})
    assert empty.status_code == 422 and "Give an embed address or upload the recording" in empty.get_data(as_text=True)
    assert lecture_row(app, lecture_id).replay_file is None

    assert upload(owner, lecture_id, MP4).status_code == 302
    stored = lecture_row(app, lecture_id)
    assert stored.replay_type == "video/mp4" and stored.replay_size == len(MP4)
    with app.app_context():
        assert replays.in_use() == [f"lectures/{stored.replay_file}"]
        assert storage().local_path(f"lectures/{stored.replay_file}").read_bytes() == MP4

    src = address(client.get(f"/live/{lecture_id}").get_data(as_text=True))
    assert src and stored.replay_file not in src  # the stored name never leaves the server
    played = client.get(src)
    assert played.status_code == 200 and played.data == MP4 and played.mimetype == "video/mp4"
    assert "no-store" in played.headers["Cache-Control"]
    part = client.get(src, headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.data == b"ftypmp42"

    stranger = logged_in(app, outsider)
    assert address(stranger.get(f"/live/{lecture_id}").get_data(as_text=True)) is None
    assert stranger.get(src).status_code == 403  # the buyer's address, another member
    assert app.test_client().get(src).status_code == 403  # a visitor
    assert logged_in(app, buyer).get(src).status_code == 403  # the buyer, but another session
    assert client.get(src.replace("/replay/", "/replay/x")).status_code == 403  # a forged token

    # A replacement replaces the file: the old one is deleted once committed.
    old = stored.replay_file
    assert upload(owner, lecture_id, MP4 + b"\x01").status_code == 302
    with app.app_context():
        assert not storage().local_path(f"lectures/{old}").exists()
        assert replays.in_use() == [f"lectures/{lecture_row(app, lecture_id).replay_file}"]


def test_the_address_stops_working_when_access_ends(app, make_user):
    creator, buyer = make_user(role="creator"), make_user()
    product_id = add_product(app, creator.id, name="Live class")
    lecture_id = make_lecture(app, creator.id, hours=3, product_id=product_id)
    client = logged_in(app, buyer)
    buy(client, product_id)
    move(app, lecture_id, -3)
    assert upload(logged_in(app, creator), lecture_id, MP4).status_code == 302
    src = address(client.get(f"/live/{lecture_id}").get_data(as_text=True))
    assert client.get(src).status_code == 200
    other = add_product(app, creator.id, name="Another class")
    with app.app_context():
        db.session.get(Lecture, lecture_id).product_id = other  # now sold by a product the buyer lacks
        db.session.commit()
    assert client.get(src).status_code == 403
