"""A creator uploads a lesson video in resumable chunks (or with the plain form); it is probed,
given a poster and HLS renditions in the background, and played from addresses signed for the
member's session, on both storage backends; bad or half-finished uploads change nothing."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.models.commerce import Product
from kpay.storage import folders as upload_folders
from kpay.storage import storage
from kpay.storage.plugin import sweep
from plugins.courses.models import Course, Lesson
from plugins.courses.tests.conftest import count, logged_in
from plugins.courses.tests.test_courses_studio import errors, lesson_form, new_course
from tests.commerce_helpers import add_product, buy_paid
from tests.conftest import csrf_token

FAST = {"hls_heights": ["144", "240"], "hls_preset": "ultrafast"}


@pytest.fixture(scope="session")
def video(tmp_path_factory) -> bytes:
    """A 3-second 320×240 H.264/AAC MP4 made by ffmpeg (about 100 KB)."""
    out = tmp_path_factory.mktemp("video") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=24",
                    "-f", "lavfi", "-i", "sine=frequency=440", "-t", "3", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(out)], check=True)
    return out.read_bytes()


@pytest.fixture
def app(make_app, storage_settings):
    return make_app({"storage": storage_settings, "plugins": {"enabled": ["courses", "pay_sandbox"], "courses": FAST}})


def begin(client, course_id: int, data: bytes, kind: str = "video", size: int | None = None):
    token = csrf_token(client.get(f"/courses/studio/{course_id}/lessons/new"))
    return client.post(f"/courses/studio/{course_id}/uploads", headers={"X-CSRFToken": token},
                       json={"kind": kind, "filename": "clip.mp4", "size": len(data) if size is None else size,
                             "head": base64.b64encode(data[:4096]).decode()})


def send(client, url: str, data: bytes, offset: int):
    token = csrf_token(client.get("/courses/"))
    return client.patch(url, data=data, headers={"Upload-Offset": str(offset), "X-CSRFToken": token,
                                                 "Content-Type": "application/offset+octet-stream"})


def upload_in_chunks(client, course_id: int, data: bytes) -> str:
    started = begin(client, course_id, data)
    assert started.status_code == 201, started.json
    half = len(data) // 2
    assert send(client, started.json["url"], data[:half], 0).json["offset"] == half
    assert send(client, started.json["url"], data[half:], half).json["offset"] == len(data)
    return started.json["token"]


def save(client, course_id: int, lesson_id: int | None = None, **fields):
    """Post the lesson form; the processing job runs once the response is closed, as a server does."""
    response = lesson_form(client, course_id, lesson_id, **fields)
    response.close()
    return response


def the_lesson(app) -> Lesson:
    with app.app_context():
        found = db.session.scalars(sa.select(Lesson).order_by(Lesson.id.desc())).first()
        db.session.expunge_all()
        return found


def test_a_video_sent_in_chunks_after_a_dropped_connection_is_processed_into_hls(app, make_user, video):
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    started = begin(client, course_id, video)
    url = started.json["url"]
    third = len(video) // 3
    assert send(client, url, video[:third], 0).status_code == 200
    # The connection dropped after part of the second chunk reached the server.
    assert send(client, url, video[third:third + 1000], third).status_code == 200
    resent = send(client, url, video[third:2 * third], third)  # the client retries its chunk from where it was
    assert resent.status_code == 409 and resent.json["offset"] == third + 1000
    assert client.get(url).json == {"offset": third + 1000, "size": len(video)}
    assert send(client, url, video[third + 1000:], third + 1000).json["offset"] == len(video)

    saved = save(client, course_id, kind="video", title="Clip", upload=started.json["token"])
    assert saved.status_code == 302
    lesson = the_lesson(app)
    assert lesson.media_status == "ready" and lesson.media_progress == 100, lesson.media_error
    assert lesson.media_info["width"] == 320 and lesson.media_info["codec"] == "h264"
    assert 2.9 <= lesson.media_info["duration"] <= 3.1 and lesson.media_size == len(video)
    with app.app_context():
        keys = [item.key for item in storage().list(f"courses/hls/{lesson.hls}/")]
        with storage().open(f"courses/{lesson.media}") as stored:
            assert stored.read() == video
    assert f"courses/hls/{lesson.hls}/master.m3u8" in keys
    assert {key.split("/")[3] for key in keys if key.endswith(".ts")} == {"144p", "240p"}
    assert list((Path(app.instance_path) / "incoming").iterdir()) == []
    studio = client.get(f"/courses/studio/lessons/{lesson.id}").get_data(as_text=True)
    assert "Ready: 3 s, 320×240, h264." in studio and "Streamed in HLS." in studio


def test_the_upload_is_refused_before_any_chunk_when_its_type_or_size_is_wrong(app, make_user, video):
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    assert begin(client, course_id, b"MZ\x90\x00 a program").json == {"error": "Upload an MP4, WebM or Ogg video."}
    huge = begin(client, course_id, video, size=4097 * 2**20)
    assert huge.status_code == 422 and huge.json == {"error": "This file is larger than 4096 MB."}
    assert begin(client, course_id, video, kind="nonsense").status_code == 400
    started = begin(client, course_id, video)
    past = send(client, started.json["url"], video + b"extra", 0)
    assert past.status_code == 413
    for _ in range(4):
        assert begin(client, course_id, video).status_code == 201
    sixth = begin(client, course_id, video)
    assert sixth.status_code == 422 and sixth.json["error"].startswith("You have 5 unfinished uploads")


def test_only_the_uploader_sends_chunks_or_sees_an_upload(app, make_user, video):
    creator, other = make_user(role="creator"), make_user(role="creator")
    client = logged_in(app, creator)
    started = begin(client, new_course(client), video)
    stranger = logged_in(app, other)
    assert send(stranger, started.json["url"], video, 0).status_code == 404
    assert stranger.get(started.json["url"]).status_code == 404
    assert app.test_client().get(started.json["url"]).status_code in (302, 401)
    other_course = new_course(stranger)
    assert begin(client, other_course, video).status_code == 404


def test_an_unfinished_truncated_or_unreadable_video_leaves_no_lesson_and_no_file(app, make_user, video):
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    started = begin(client, course_id, video)
    send(client, started.json["url"], video[:1000], 0)
    unfinished = save(client, course_id, kind="video", upload=started.json["token"])
    assert errors(unfinished, "file") == [
        "The upload is not complete: wait for it to finish, or choose the file again."]
    for broken in (video[: len(video) // 3], video[:64] + b"\x00" * 5000):
        token = upload_in_chunks(client, course_id, broken)
        refused = save(client, course_id, kind="video", upload=token)
        assert errors(refused, "file") == [
            "This video cannot be read (it may be truncated or not a video): upload it again."]
    assert errors(save(client, course_id, kind="video", upload="f" * 32), "file") == [
        "This upload was not found: choose the file again."]
    assert count(app, Lesson) == 0
    with app.app_context():
        assert list(storage().list("courses/")) == []


def test_a_replaced_video_takes_its_old_file_away_and_a_refused_one_keeps_it(app, make_user, video):
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    save(client, course_id, kind="video", title="Clip", upload=upload_in_chunks(client, course_id, video))
    first = the_lesson(app)
    truncated = upload_in_chunks(client, course_id, video[:2000])
    assert save(client, course_id, first.id, kind="video", title="Clip", upload=truncated).status_code == 422
    assert the_lesson(app).media == first.media
    save(client, course_id, first.id, kind="video", title="Clip", upload=upload_in_chunks(client, course_id, video))
    second = the_lesson(app)
    assert second.media != first.media and second.media_status == "ready"
    with app.app_context():
        names = {item.key.split("/")[-1] for item in storage().list("courses/") if item.key.count("/") == 1}
        assert names == {second.media, second.poster}  # the first video and its poster are gone
        (report,) = [r for r in upload_folders.check() if r.folder.prefix == "courses"]
        assert {item.key.split("/")[2] for item in report.orphans} == {first.hls}  # its HLS folder: for the sweep
        app.config["KPAY"]["storage"]["grace_hours"] = 1
        with time_machine.travel(utcnow() + timedelta(hours=2)):
            assert upload_folders.sweep() == len(report.orphans)
        assert not list(storage().list(f"courses/hls/{first.hls}/"))


def test_a_plain_form_without_javascript_may_carry_a_video_past_the_request_limit(make_app, make_user, tmp_path):
    app = make_app({"max_request_mb": 1, "plugins": {"enabled": ["courses"], "courses": FAST}})
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=24", "-t", "2",
                    "-vf", "noise=alls=60:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "0",
                    str(tmp_path / "big.mp4")], check=True)
    padded = (tmp_path / "big.mp4").read_bytes()
    assert len(padded) > 2**20
    saved = save(client, course_id, kind="video", title="Big", file=(io.BytesIO(padded), "big.mp4"))
    assert saved.status_code == 302
    assert the_lesson(app).media_size == len(padded)
    assert client.post("/account/avatar", data={"avatar": (io.BytesIO(padded), "a.png")}).status_code == 413


def test_without_ffmpeg_videos_play_as_uploaded_and_managers_see_why(make_app, make_user, video):
    app = make_app({"plugins": {"enabled": ["courses"], "courses": {"ffmpeg": "no-such-ffmpeg", "ffprobe": "no-such-ffprobe"}}})
    creator = make_user(role="creator")
    client = logged_in(app, creator)
    course_id = new_course(client)
    save(client, course_id, kind="video", title="Clip", preview="y", upload=upload_in_chunks(client, course_id, video))
    lesson = the_lesson(app)
    assert lesson.media_status == "unprocessed" and lesson.hls is None
    why = "ffprobe is not installed on this server"
    assert why in client.get(f"/courses/studio/lessons/{lesson.id}").get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(Course).values(status="published", publish_at=utcnow()))
        db.session.commit()
    page = client.get(f"/courses/{course_id}/lessons/{lesson.id}").get_data(as_text=True)
    assert why in page and "data-hls" not in page
    visitor = app.test_client()
    seen = visitor.get(f"/courses/{course_id}/lessons/{lesson.id}").get_data(as_text=True)
    assert why not in seen
    source = _address(seen, "source")
    assert visitor.get(source, headers={"Range": "bytes=0-9"}).data == video[:10]


def _address(page: str, path: str) -> str:
    """The signed address of ``path`` (source, poster, master.m3u8) in the lesson ``page``."""
    return re.search(r'"(/courses/\d+/lessons/\d+/stream/[^/"]+/)' + re.escape(path), page)[1] + path


@pytest.fixture
def sold(app, make_user, video):
    """A published course sold with a 30-day membership, its HLS video lesson, and a buyer."""
    creator, buyer = make_user(role="creator"), make_user()
    client = logged_in(app, creator)
    product_id = add_product(app, creator.id, name="Club", kind="membership", period_days=30)
    course_id = new_course(client, membership_product_id=str(product_id))
    save(client, course_id, kind="video", title="Clip", upload=upload_in_chunks(client, course_id, video))
    with app.app_context():
        db.session.execute(sa.update(Course).values(status="published", publish_at=utcnow()))
        db.session.commit()
    buy_paid(app, buyer, product_id)
    return course_id, the_lesson(app), buyer


def test_members_play_hls_from_addresses_signed_for_their_session_only(app, sold):
    course_id, lesson, buyer = sold
    member = logged_in(app, buyer)
    page = member.get(f"/courses/{course_id}/lessons/{lesson.id}")
    assert "blob:" in page.headers["Content-Security-Policy"]  # hls.js feeds the <video> from a blob: URL
    if app.extensions["kpay_storage"].name == "s3":  # segments are fetched from presigned URLs
        assert "connect-src 'self' http://127.0.0.1:" in page.headers["Content-Security-Policy"]
    master = _address(page.get_data(as_text=True), "master.m3u8")
    playlist = member.get(master)
    assert playlist.status_code == 200 and playlist.mimetype == "application/vnd.apple.mpegurl"
    assert "240p/index.m3u8" in playlist.get_data(as_text=True)
    rendition = member.get(master.replace("master.m3u8", "240p/index.m3u8")).get_data(as_text=True)
    segment = master.replace("master.m3u8", "240p/" + next(line for line in rendition.splitlines() if line.endswith(".ts")))
    status = member.get(segment)
    assert status.status_code in (200, 302)
    assert member.get(master.replace("master.m3u8", "poster")).status_code in (200, 302)
    same_member_elsewhere = logged_in(app, buyer)  # a copied link, in another browser session
    visitor = app.test_client()
    for other in (same_member_elsewhere, visitor):
        for url in (master, segment):
            assert other.get(url).status_code == 403
    assert member.get(master.replace("master.m3u8", "../../secret")).status_code in (403, 404)


def test_an_address_stops_working_when_it_expires_or_access_ends(app, sold):
    course_id, lesson, buyer = sold
    member = logged_in(app, buyer)
    master = _address(member.get(f"/courses/{course_id}/lessons/{lesson.id}").get_data(as_text=True), "master.m3u8")
    segment = master.replace("master.m3u8", "144p/seg0000.ts")
    assert member.get(master).status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=241)):
        assert member.get(master).status_code == 403
    app.config["KPAY"]["plugins"]["courses"]["playback_minutes"] = 60 * 24 * 60
    with time_machine.travel(utcnow() + timedelta(days=31)):  # the membership has ended
        assert member.get(master).status_code == 403
        assert member.get(segment).status_code == 403


def test_deleting_a_lesson_deletes_its_video_and_the_sweep_its_renditions(app, sold):
    course_id, lesson, _buyer = sold
    with app.app_context():
        creator = db.session.get(Course, course_id).creator
        db.session.expunge(creator)
    client = logged_in(app, creator)
    page = client.get(f"/courses/studio/lessons/{lesson.id}/delete")
    client.post(f"/courses/studio/lessons/{lesson.id}/delete", data={"csrf_token": csrf_token(page)})
    with app.app_context():
        assert storage().stat(f"courses/{lesson.media}") is None
        assert storage().stat(f"courses/{lesson.poster}") is None
        app.config["KPAY"]["storage"]["grace_hours"] = 1
        with time_machine.travel(utcnow() + timedelta(hours=2)):
            upload_folders.sweep()
        assert list(storage().list("courses/")) == []
    assert count(app, Product) == 1



def test_two_uploads_racing_for_one_lesson_leave_one_video_and_no_orphan(app, make_user, video):
    creator = make_user(role="creator")
    client = logged_in(app, creator)
    course_id = new_course(client)
    save(client, course_id, kind="video", title="Clip", upload=upload_in_chunks(client, course_id, video))
    lesson_id = the_lesson(app).id
    racers = [logged_in(app, creator) for _ in range(2)]
    tokens = [upload_in_chunks(racer, course_id, video) for racer in racers]
    barrier = threading.Barrier(2)
    statuses = []

    def race(racer, token):
        barrier.wait()
        statuses.append(save(racer, course_id, lesson_id, kind="video", title="Clip", upload=token).status_code)

    threads = [threading.Thread(target=race, args=pair) for pair in zip(racers, tokens, strict=False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]  # an assert inside a thread would not fail the test
    winner = the_lesson(app)
    with app.app_context():
        app.config["KPAY"]["storage"]["grace_hours"] = 1
        with time_machine.travel(utcnow() + timedelta(hours=2)):
            upload_folders.sweep()  # a racer's file stored for a change that lost: gone after the grace period
        files = {item.key.split("/")[-1] for item in storage().list("courses/") if item.key.count("/") == 1}
    assert files == {winner.media, winner.poster}


def test_a_failed_transcode_is_shown_with_its_reason_and_the_upload_plays_as_it_was(app, make_user, video, tmp_path):
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    response = lesson_form(client, course_id, kind="video", title="Clip", upload=upload_in_chunks(client, course_id, video))
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\necho 'Conversion failed: no space left on device' >&2\nexit 1\n")
    broken.chmod(0o755)
    app.config["KPAY"]["plugins"]["courses"]["ffmpeg"] = str(broken)  # the worker's ffmpeg breaks
    response.close()
    lesson = the_lesson(app)
    assert lesson.media_status == "failed" and lesson.hls is None
    studio = client.get(f"/courses/studio/lessons/{lesson.id}").get_data(as_text=True)
    assert "Processing failed; the video plays as uploaded. Reason: Conversion failed: no space left on device" in studio
    page = client.get(f"/courses/{course_id}/lessons/{lesson.id}").get_data(as_text=True)
    assert "Reason: Conversion failed" in page and "data-hls" not in page
    assert client.get(_address(page, "source"), headers={"Range": "bytes=0-3"}).status_code in (206, 302)


def test_an_upload_abandoned_for_a_day_is_swept_away(app, make_user, video):
    client = logged_in(app, make_user(role="creator"))
    started = begin(client, new_course(client), video)
    send(client, started.json["url"], video[:1000], 0)
    with app.app_context():
        with time_machine.travel(utcnow() + timedelta(hours=23)):
            sweep()
        assert client.get(started.json["url"]).json["offset"] == 1000
        with time_machine.travel(utcnow() + timedelta(hours=25)):
            sweep()
    assert client.get(started.json["url"]).status_code == 404
    assert list((Path(app.instance_path) / "incoming").iterdir()) == []
