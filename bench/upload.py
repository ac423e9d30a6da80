"""Benchmark a large resumable upload: 2 GB sent in 8 MiB chunks to KPay under gunicorn (the
path the studio's uploader takes), then saved as a lesson file. Prints the upload throughput,
the time to save, and each gunicorn worker's peak RSS (VmHWM) before and after, which stays
flat because no request holds more than one chunk in memory.

The body is a ZIP header followed by random bytes, sent as an attachment lesson: the chunks,
the partial file and the move into storage are the same as for a video, and nothing needs to
decode 2 GB. Usage: ``python bench/upload.py [--gb 2]``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import gunicorn, log_in, prepare_site  # noqa: E402 (needs ROOT on the path)

CHUNK = 8 * 2**20
CREATOR = ("creator@example.com", "kpay-demo-2026")


def workers_peak_rss(master: int) -> dict[int, int]:
    """Peak resident memory (KiB) of each child process of ``master``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{master}$", status, re.M):
                found[int(entry.name)] = int(re.search(r"^VmHWM:\s+(\d+)", status, re.M).group(1))
    return found


def request(base: str, method: str, path: str, cookie: str, body=None, headers=None) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    connection.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def csrf(base: str, path: str, cookie: str) -> str:
    _status, page = request(base, "GET", path, cookie)
    return re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0)
    size = int(parser.parse_args().gb * 2**30)
    with tempfile.TemporaryDirectory(prefix="kpay-bench-upload-") as folder:
        env = prepare_site(Path(folder))
        env["KPAY_PLUGINS_COURSES_MAX_ATTACHMENT_MB"] = str(size // 2**20 + 1)
        with gunicorn("wsgi:app", env) as base:
            cookie = log_in(base, CREATOR)
            studio = "/courses/studio/"
            _s, page = request(base, "GET", studio, cookie)
            course_id = re.search(rb"/courses/studio/(\d+)\"", page).group(1).decode()
            form = f"/courses/studio/{course_id}/lessons/new"
            token = csrf(base, form, cookie)
            master = _gunicorn_master()
            before = workers_peak_rss(master)
            block = b"PK\x03\x04" + os.urandom(CHUNK - 4)
            status, data = request(base, "POST", f"/courses/studio/{course_id}/uploads", cookie,
                                   json.dumps({"kind": "attachment", "filename": "big.zip", "size": size,
                                               "head": base64.b64encode(block[:4096]).decode()}),
                                   {"Content-Type": "application/json", "X-CSRFToken": token})
            assert status == 201, data
            started = json.loads(data)
            began = time.perf_counter()
            offset = 0
            while offset < size:
                body = block[: min(CHUNK, size - offset)]
                status, data = request(base, "PATCH", started["url"], cookie, body,
                                       {"Upload-Offset": str(offset), "X-CSRFToken": token,
                                        "Content-Type": "application/offset+octet-stream"})
                assert status == 200, (status, data)
                offset = json.loads(data)["offset"]
            sent = time.perf_counter() - began
            _s, page = request(base, "GET", form, cookie)
            chapter = re.search(rb'<option value="(\d+)"', page).group(1).decode()
            fields = urllib.parse.urlencode({"csrf_token": token, "chapter_id": chapter, "title": "Big file",
                                             "kind": "attachment", "upload": started["token"], "minutes": "1"})
            began = time.perf_counter()
            status, _data = request(base, "POST", form, cookie, fields,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
            saved = time.perf_counter() - began
            assert status == 302, status
            after = workers_peak_rss(master)
    print(f"uploaded {size / 2**30:.2f} GiB in {size // CHUNK} chunks of 8 MiB: {sent:.1f} s, "
          f"{size / 2**20 / sent:.0f} MiB/s; saving the lesson (move into storage) took {saved:.2f} s")
    for pid in sorted(after):
        print(f"worker {pid}: peak RSS {before.get(pid, 0) / 1024:.0f} MiB before, {after[pid] / 1024:.0f} MiB after")


def _gunicorn_master() -> int:
    """The gunicorn master this script started (the newest gunicorn child of this process)."""
    mine = str(os.getpid())
    for entry in sorted(Path("/proc").iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 0, reverse=True):
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{mine}$", status, re.M) and "gunicorn" in (entry / "cmdline").read_text():
                return int(entry.name)
    raise SystemExit("gunicorn master not found")


if __name__ == "__main__":
    main()
