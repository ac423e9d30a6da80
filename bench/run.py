"""Benchmark KPay pages against a bare Flask hello world, served alike, in one run.

Both apps run under gunicorn (2 sync workers) on 127.0.0.1 and are driven by wrk
(``-t2 -c16``), or by a bounded Python load loop when wrk is missing. Prints requests/s,
p50 and p99 latency, each page's ratio to hello world, and the home page's gzipped weight
with its CSS and JS. Usage: ``python bench/run.py [--runs 3] [--seconds 10]``.

``--scale large`` runs the pages on the community of ``bench/scale.py`` instead, on SQLite and
PostgreSQL (see ``bench/large.py``).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable

from bench import forums  # noqa: E402 (needs ROOT on the path)
DEMO_MEMBER = ("member@example.com", "kpay-demo-2026")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(target: str, env: dict):
    """Serve ``target`` with gunicorn (2 sync workers) on a free port; yield its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise SystemExit(process.stderr.read().decode()) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def prepare_site(folder: Path) -> dict:
    """An instance folder with a migrated SQLite database and the demo community."""
    env = {**os.environ, "KPAY_INSTANCE_PATH": str(folder), "KPAY_DATABASE_URL": f"sqlite:///{folder / 'kpay.db'}",
           "KPAY_REDIS_URL": ""}
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([PYTHON, "-m", "kpay", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return env


def log_in(base: str, who: tuple[str, str] = DEMO_MEMBER) -> str:
    """Log ``who`` (email, password; the demo member) in through the real form; returns the
    Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"email": who[0], "password": who[1], "csrf_token": token})
    opener.open(base + "/login", data.encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def drive(url: str, seconds: int, cookie: str = "") -> dict:
    """Load ``url`` for ``seconds``; returns requests/s, p50 and p99 in milliseconds."""
    if shutil.which("wrk"):
        command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
        if cookie:
            command[1:1] = ["-H", f"Cookie: {cookie}"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return {
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _wrk_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
            "p99": _wrk_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
            "errors": "Non-2xx" in out or "Socket errors" in out,
        }
    return _python_load(url, seconds, cookie)


def _wrk_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _python_load(url: str, seconds: int, cookie: str) -> dict:
    parts = urllib.parse.urlsplit(url)
    latencies: list[float] = []
    errors = []
    deadline = time.monotonic() + seconds

    def worker():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < deadline:
            start = time.perf_counter()
            connection.request("GET", parts.path or "/", headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            response.read()
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status >= 400:
                errors.append(response.status)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "errors": bool(errors),
    }


def page_weight(base: str, path: str = "/") -> tuple[int, int]:
    """(HTML bytes gzipped, HTML+CSS+JS bytes gzipped) of a page as a first visit loads it."""
    html = urllib.request.urlopen(base + path).read()
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html)
    total = len(gzip.compress(html, 6))
    for css, js in assets:
        total += len(gzip.compress(urllib.request.urlopen(base + (css or js).decode()).read(), 6))
    return len(gzip.compress(html, 6)), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs to take the median of")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of load per page and run")
    parser.add_argument("--scale", choices=("demo", "large", "medium"), default="demo",
                        help="demo: the demo site plus a long topic; large/medium: bench/scale.py's community")
    parser.add_argument("--databases", default="sqlite,postgresql", help="with --scale: which to run on")
    parser.add_argument("--sqlite", help="with --scale: an instance folder already seeded (kpay.db in it)")
    parser.add_argument("--postgres", help="with --scale: a PostgreSQL URL already seeded")
    parser.add_argument("--postgres-admin", default="postgresql://postgres@127.0.0.1/postgres",
                        help="with --scale: where to make (and drop) a PostgreSQL database to seed")
    parser.add_argument("--mixed", type=int, default=10_000, help="with --scale: mixed requests before reading RSS")
    parser.add_argument("--baseline", choices=("small", "medium", ""), default="small",
                        help="with --scale: first measure the pages on this community, to compare each with")
    args = parser.parse_args()
    if args.scale != "demo":
        from bench import large

        large.main(args)
        return

    with tempfile.TemporaryDirectory(prefix="kpay-bench-") as folder:
        env = prepare_site(Path(folder))
        small = forums.query_counts(Path(folder), DEMO_MEMBER)
        forum_ids = forums.add_data(Path(folder))
        large = forums.query_counts(Path(folder), DEMO_MEMBER, forum_ids)
        with gunicorn("bench.hello:app", os.environ.copy()) as hello, gunicorn("wsgi:app", env) as site, \
                gunicorn("bench.forums:reference", env) as reference:
            cookie = log_in(site)
            pages = [
                ("hello world", hello + "/", ""),
                ("home, visitor", site + "/", ""),
                ("home, member", site + "/", cookie),
                ("log-in page", site + "/login", ""),
                ("notifications, member", site + "/notifications", cookie),
                ("bell count partial", site + "/notifications/count", cookie),
                ("shop, visitor", site + "/shop/", ""),
                ("checkout page, member", site + "/shop/1", cookie),
                ("course page, visitor", site + "/courses/2", ""),
                ("course page, member", site + "/courses/2", cookie),
                ("lesson page, member", site + "/courses/2/lessons/5", cookie),
                ("forums topic page, member", site + f"/forums/t/{forum_ids['topic_id']}?after={forums.AFTER}", cookie),
                ("reference topic page", reference + f"/t/{forum_ids['topic_id']}?after={forums.AFTER}", ""),
                ("forums circle list, member", site + f"/forums/c/{forum_ids['circle_id']}", cookie),
                ("reference circle list", reference + f"/c/{forum_ids['circle_id']}", ""),
            ]
            results = {name: [] for name, _, _ in pages}
            for _ in range(args.runs):
                for name, url, page_cookie in pages:
                    results[name].append(drive(url, args.seconds, page_cookie))
            html_gz, first_visit_gz = page_weight(site)

    hello_rps = statistics.median(r["rps"] for r in results["hello world"])
    print(f"KPay benchmark: gunicorn -w 2 -k sync, {'wrk -t2 -c16' if shutil.which('wrk') else 'python loop, 16 threads'}, "
          f"{args.seconds}s per page, median of {args.runs} run(s)")
    print(f"{'page':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'x hello':>10}")
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        flag = "  (errors!)" if any(r["errors"] for r in runs) else ""
        print(f"{name:<24}{rps:>10.0f}{p50:>10.1f}{p99:>10.1f}{rps / hello_rps:>10.2f}{flag}")
    print(f"home page weight, gzipped: HTML {html_gz / 1024:.1f} KB; with its CSS and JS {first_visit_gz / 1024:.1f} KB")
    rps = {name: statistics.median(r["rps"] for r in runs) for name, runs in results.items()}
    for page in ("topic page", "circle list"):
        print(f"forums {page}: {rps[f'forums {page}, member'] / rps[f'reference {page}']:.2f}x the hand-written reference")
    for name, few in small.items():
        print(f"SQL statements, {name}: {few} on the demo's 3-post topic / 3-topic circle, "
              f"{large[name]} on {forums.REPLIES:,} replies / {forums.TOPICS:,} topics")


if __name__ == "__main__":
    main()
