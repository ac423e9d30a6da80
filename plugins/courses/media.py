"""A lesson's media after upload: ffprobe's figures (read while the upload is checked), then a
background job that makes a poster frame and, when enabled, HLS renditions.

``media_status`` says where a video stands: ``processing`` (``media_progress`` percent),
``ready`` (poster and, when enabled, HLS made), ``failed`` (``media_error`` says why; the
upload plays as it was) or ``unprocessed`` (no ffmpeg on the host: the upload plays as it was
and ``media_error`` tells the creator and the admin why).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kpay.api import UploadError, db, enqueue, long_running, storage, store
from plugins.courses import uploads
from plugins.courses.models import Lesson

PROGRESS_SECONDS = 2.0


def UNREADABLE() -> str:  # noqa: N802 (a message, named like the constant it stands for)
    return _("This video cannot be read (it may be truncated or not a video): upload it again.")


def settings() -> dict:
    return current_app.config["KPAY"]["plugins"]["courses"]


def missing_tools() -> str | None:
    """Why videos cannot be processed on this host, or None when ffmpeg and ffprobe are found."""
    for tool in ("ffprobe", "ffmpeg"):
        if shutil.which(settings()[tool]) is None:
            return _("%(tool)s is not installed on this server (setting courses.%(tool)s = \"%(path)s\"): "
                     "videos are served as uploaded, without a poster or HLS.", tool=tool, path=settings()[tool])
    return None


@contextmanager
def local_copy(key: str):
    """A path ffmpeg can read for the stored file ``key``: the file itself on the local backend,
    else a temporary download that is removed afterwards."""
    path = storage().local_path(key)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="kpay-media-") as folder:
        copy = Path(folder) / Path(key).name
        with storage().open(key) as source, copy.open("wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        yield copy


def probe(path: Path) -> dict:
    """Duration (seconds), width, height and video codec of the video at ``path``.

    Raises ``UploadError`` when ffprobe cannot read it or finds no video stream.
    """
    command = [settings()["ffprobe"], "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    found = json.loads(result.stdout or "{}") if result.returncode == 0 else {}
    video = next((s for s in found.get("streams", ()) if s.get("codec_type") == "video"), None)
    if video is None:
        raise UploadError(UNREADABLE())
    # A truncated file still has its header: decoding its last second finds the missing end.
    tail = subprocess.run([settings()["ffmpeg"], "-v", "error", "-xerror", "-sseof", "-1", "-i", str(path),
                           "-f", "null", "-"], capture_output=True, text=True, timeout=300)
    if tail.returncode != 0 or tail.stderr.strip():
        raise UploadError(UNREADABLE())
    duration = float(found.get("format", {}).get("duration") or video.get("duration") or 0)
    return {"duration": round(duration, 2), "width": video.get("width"), "height": video.get("height"),
            "codec": video.get("codec_name"), "audio": any(s.get("codec_type") == "audio" for s in found["streams"])}


def probe_stored(name: str) -> dict | None:
    """``probe`` of the stored video ``name``; None when ffprobe is not installed."""
    if missing_tools():
        return None
    with local_copy(f"{uploads.FOLDER}/{name}") as path:
        return probe(path)


def replace(lesson: Lesson, name: str | None, media_type: str | None, size: int | None, filename: str | None,
            info: dict | None = None) -> None:
    """Give ``lesson`` the stored file ``name`` (None: no file); the old file and its poster go
    once committed (its HLS folder with the storage sweep), and a video is queued for processing."""
    uploads.forget(lesson.media)
    uploads.forget(lesson.poster)
    lesson.media, lesson.media_type, lesson.media_size, lesson.media_name = name, media_type, size, filename
    lesson.poster = lesson.hls = lesson.media_error = lesson.media_status = None
    lesson.media_info, lesson.media_progress = info, 0
    if name and lesson.kind == "video":
        reason = missing_tools()
        lesson.media_status, lesson.media_error = ("unprocessed", reason) if reason else ("processing", None)
        if not reason:
            db.session.flush()
            enqueue(process, lesson.id, name, key=f"courses.media:{name}")


def _current(lesson_id: int, name: str) -> tuple[bool, dict | None]:
    """Whether the lesson still has the file ``name`` (a newer upload makes older jobs moot),
    and what ffprobe found when it was saved. The transaction ends here: none stays open (on
    SQLite, holding the write lock) while ffmpeg works."""
    db.session.rollback()
    found = db.session.execute(
        sa.select(Lesson.id, Lesson.media_info).where(Lesson.id == lesson_id, Lesson.media == name)).first()
    db.session.rollback()
    return found is not None, found.media_info if found else None


def _set(lesson_id: int, name: str, **values) -> bool:
    """Update the lesson's processing columns if it still has ``name``; whether it had."""
    done = db.session.execute(sa.update(Lesson).where(Lesson.id == lesson_id, Lesson.media == name).values(**values))
    db.session.commit()
    return bool(done.rowcount)


@long_running(timedelta(hours=6))
def process(lesson_id: int, name: str) -> None:
    """The job: probe, poster frame and (when ``hls_heights`` is not empty) HLS renditions of
    lesson ``lesson_id``'s video ``name``, recording progress and the outcome on the lesson."""
    current, info = _current(lesson_id, name)
    if not current:
        return
    stem = name.split(".")[0]
    try:
        with local_copy(f"{uploads.FOLDER}/{name}") as source, tempfile.TemporaryDirectory(prefix="kpay-hls-") as work:
            info = info or probe(source)
            out = Path(work)
            _ffmpeg(["-ss", str(min(1.0, info["duration"] / 10)), "-i", str(source), "-frames:v", "1",
                     "-vf", "scale=-2:min(720\\,ih)", str(out / "poster.jpg")])
            heights = _heights(info)
            for index, height in enumerate(heights):
                _transcode(source, out / f"{height}p", height, info,
                           lambda part, i=index: _set(lesson_id, name, media_progress=int(100 * (i + part) / len(heights))))
            if heights:
                (out / "master.m3u8").write_text(_master(out, heights, info), encoding="utf-8")
            with (out / "poster.jpg").open("rb") as picture:
                poster = store(uploads.FOLDER, "jpg", picture)
            for file in sorted(out.rglob("*")) if heights else ():
                if file.is_file() and file.name != "poster.jpg":
                    with file.open("rb") as data:
                        storage().save(f"{uploads.FOLDER}/hls/{stem}/{file.relative_to(out).as_posix()}", data)
    except (UploadError, subprocess.SubprocessError, OSError) as error:
        _set(lesson_id, name, media_status="failed", media_error=str(error)[-300:] or type(error).__name__)
        return
    if not _set(lesson_id, name, media_status="ready", media_progress=100, media_info=info, poster=poster,
                hls=stem if heights else None):
        uploads.discard(poster)  # replaced meanwhile: the sweep takes the HLS folder


def _heights(info: dict) -> list[int]:
    """The configured rendition heights the source can fill (at least the smallest)."""
    wanted = sorted(int(h) for h in settings()["hls_heights"])
    fits = [h for h in wanted if h <= (info["height"] or 0)]
    return fits or wanted[:1]


def _ffmpeg(arguments: list[str], progress=None, duration: float = 0) -> None:
    """Run ffmpeg; ``progress(fraction)`` is called at most every ``PROGRESS_SECONDS``.
    Raises ``subprocess.SubprocessError`` with ffmpeg's last error line when it fails."""
    command = [settings()["ffmpeg"], "-v", "error", "-y", "-nostdin", "-progress", "pipe:1", *arguments]
    with tempfile.TemporaryFile() as errors, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors,
                                                               text=True) as run:
        shown = time.monotonic()
        for line in run.stdout:
            key, _sep, value = line.strip().partition("=")
            if progress and key == "out_time_us" and value.isdigit() and duration and \
                    time.monotonic() - shown > PROGRESS_SECONDS:
                shown = time.monotonic()
                progress(min(int(value) / 1e6 / duration, 1.0))
        if run.wait() != 0:
            errors.seek(0)
            last = errors.read().decode(errors="replace").strip().splitlines()[-1:] or ["ffmpeg failed"]
            raise subprocess.SubprocessError(last[0])


def _transcode(source: Path, folder: Path, height: int, info: dict, progress) -> None:
    """One H.264/AAC rendition of ``source`` at ``height`` as HLS (4-second segments) in ``folder``."""
    folder.mkdir()
    audio = ["-c:a", "aac", "-b:a", "96k", "-ac", "2"] if info["audio"] else ["-an"]
    _ffmpeg(["-i", str(source), "-map", "0:v:0", *(["-map", "0:a:0"] if info["audio"] else []),
             "-vf", f"scale=-2:{height}", "-c:v", "libx264", "-preset", settings()["hls_preset"], "-crf", "23",
             "-g", "48", "-sc_threshold", "0", "-pix_fmt", "yuv420p", *audio,
             "-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod",
             "-hls_segment_filename", str(folder / "seg%04d.ts"), str(folder / "index.m3u8")],
            progress, info["duration"])


def _master(out: Path, heights: list[int], info: dict) -> str:
    """The master playlist naming each rendition with its measured bandwidth and size."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for height in heights:
        size = sum(f.stat().st_size for f in (out / f"{height}p").glob("*.ts"))
        bandwidth = int(size * 8 / max(info["duration"], 1) * 1.2) or 1
        width = round((info["width"] or height * 16 / 9) * height / (info["height"] or height) / 2) * 2
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}", f"{height}p/index.m3u8"]
    return "\n".join(lines) + "\n"
