"""``make bench`` at scale: KPay's pages on bench/scale.py's community, on SQLite and PostgreSQL.

For each database: seed it (or reuse one given), serve it with gunicorn (2 sync workers) beside
hello world and the hand-written reference, log in as the demo member, the top creator and
the admin, and drive every page with wrk. Prints each page's requests/s, p50, p99, its ratio
to hello world and its size; the topic page and circle list against the reference; the first
visit's weight as gunicorn sends it (compressed); the statement page's server time (requests
one at a time); and the web workers' RSS after ``--mixed`` requests over all the pages.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench import scale
from bench.run import PYTHON, ROOT, drive, gunicorn

ACCEPT = {"Accept-Encoding": "br, gzip"}


@contextmanager
def seeded(kind: str, args):
    """(environment for gunicorn, URL) of a seeded database of ``kind``, made and dropped here
    unless ``--sqlite``/``--postgres`` names one."""
    folder = Path(args.sqlite) if kind == "sqlite" and args.sqlite else Path(tempfile.mkdtemp(prefix="kpay-large-"))
    made = None
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'kpay.db'}"
        fresh = not args.sqlite
    else:
        url, fresh = args.postgres, not args.postgres
        if fresh:
            made = f"kpay_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(args.postgres_admin.replace("postgresql://", "postgresql+psycopg://"),
                                     isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{made}"')
            url = str(sa.engine.make_url(args.postgres_admin).set(database=made).render_as_string(hide_password=False))
    env = {**os.environ, "KPAY_INSTANCE_PATH": str(folder), "KPAY_DATABASE_URL": url, "KPAY_REDIS_URL": ""}
    try:
        if fresh:
            started = time.perf_counter()
            subprocess.run([PYTHON, "bench/scale.py", "--scale", args.scale, "--database-url", url,
                            "--instance", str(folder)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            print(f"{kind}: seeded the {args.scale} community in {time.perf_counter() - started:.0f} s")
        else:
            subprocess.run([PYTHON, "-m", "kpay", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield env, url
    finally:
        if made:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{made}" WITH (FORCE)')


def request(base: str, path: str, cookie: str = "", headers: dict | None = None) -> tuple[int, bytes, dict]:
    """One GET as a browser sends it; (status, body as it came over the wire, headers)."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("GET", path, headers={**(headers or {}), **({"Cookie": cookie} if cookie else {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, dict(response.getheaders())


def log_in(base: str, email: str) -> str:
    """Log ``email`` in through the real form; the Cookie header of the session."""
    status, body, headers = request(base, "/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    session = headers["Set-Cookie"].split(";", 1)[0]
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    form = urllib.parse.urlencode({"email": email, "password": scale.DEMO_PASSWORD, "csrf_token": token})
    connection.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": session})
    response = connection.getresponse()
    response.read()
    cookies = [value.split(";", 1)[0] for name, value in response.getheaders() if name.lower() == "set-cookie"]
    assert response.status == 302, f"{email} could not log in"
    return "; ".join(cookies)


def list_cursors(env: dict) -> dict:
    """Keyset cursors three quarters down the admin console's orders and members by name."""
    from kpay.listing import cursor_after

    engine = sa.create_engine(env["KPAY_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        orders = connection.execute(sa.text("SELECT count(*) FROM orders")).scalar()
        order = connection.execute(sa.text("SELECT id FROM orders ORDER BY id DESC LIMIT 1 OFFSET :n"),
                                   {"n": orders * 3 // 4}).scalar()
        members = connection.execute(sa.text("SELECT count(*) FROM users")).scalar()
        name, member = connection.execute(sa.text(
            "SELECT display_name, id FROM users ORDER BY display_name, id LIMIT 1 OFFSET :n"),
            {"n": members * 3 // 4}).one()
    engine.dispose()
    return {"orders_cursor": cursor_after(order), "members_cursor": cursor_after(name, member)}


def deep_cursor(env: dict, offset: int) -> str:
    """The big circle's list cursor ``offset`` topics down (latest first)."""
    engine = sa.create_engine(env["KPAY_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        bumped, topic_id = connection.execute(sa.text(
            "SELECT bumped_at, id FROM forums_topics WHERE circle_id = 1 AND status = 'visible' "
            "ORDER BY bumped_at DESC, id DESC LIMIT 1 OFFSET :n"), {"n": offset}).one()
    engine.dispose()
    bumped = datetime.fromisoformat(bumped) if isinstance(bumped, str) else bumped  # naive UTC either way
    return f"{(bumped - datetime(1970, 1, 1)) // timedelta(microseconds=1)}.{topic_id}"


def pages(site: str, reference: str, hello: str, cookies: dict, facts: dict, cursor: str) -> list:
    """(name, base, path, cookie) of every page measured."""
    member, creator, admin = cookies["member"], cookies["creator"], cookies["admin"]
    topic, circle, course = facts["long_topic_id"], facts["big_circle_id"], facts["course_id"]
    last = f"?after={facts['replies'] - 29}"
    return [
        ("hello world", hello, "/", ""),
        ("home, visitor", site, "/", ""),
        ("home, member", site, "/", member),
        ("notifications, member", site, "/notifications", member),
        ("bell count partial", site, "/notifications/count", member),
        ("catalogue, visitor", site, "/courses/", ""),
        ("course page, member", site, f"/courses/{course}", member),
        ("lesson page, member", site, f"/courses/{course}/lessons/{facts['lesson_id']}", member),
        ("shop, visitor", site, "/shop/", ""),
        ("checkout page, member", site, f"/shop/{facts['product_id']}", member),
        ("circle list, member", site, f"/forums/c/{circle}", member),
        ("reference circle list", reference, f"/c/{circle}", ""),
        ("circle list deep, member", site, f"/forums/c/{circle}?cursor={cursor}", member),
        ("topic first page, member", site, f"/forums/t/{topic}", member),
        ("reference topic page", reference, f"/t/{topic}", ""),
        ("topic last page, member", site, f"/forums/t/{topic}{last}", member),
        ("statement, creator", site, f"/studio/revenue?month={facts['statement_month']}", creator),
        ("studio products, creator", site, "/studio/products", creator),
        ("payouts, admin", site, "/admin/payouts", admin),
        ("admin orders", site, "/admin/orders", admin),
        ("admin orders deep", site, f"/admin/orders?cursor={facts['orders_cursor']}", admin),
        ("admin members", site, "/admin/members", admin),
        ("admin members by name deep", site, f"/admin/members?sort=name&cursor={facts['members_cursor']}", admin),
        ("my purchases, member", site, "/account/purchases", member),
    ]


def first_visit(site: str) -> tuple[int, int]:
    """(bytes, bytes gzip only) of the home page with its CSS and JS as gunicorn sends them."""
    totals = []
    for accept in ("br, gzip", "gzip"):
        status, body, headers = request(site, "/", headers={"Accept-Encoding": accept})
        html = request(site, "/")[1]
        total = len(body)
        for css, js in re.findall(rb'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html):
            total += len(request(site, (css or js).decode(), headers={"Accept-Encoding": accept})[1])
        totals.append(total)
    return totals[0], totals[1]


def server_time(site: str, path: str, cookie: str, times: int = 30) -> tuple[float, float]:
    """(median milliseconds, worker CPU milliseconds per request) of ``path`` asked one request
    at a time (no queueing). The CPU time is what the web workers spent, read from /proc, so
    other processes on a shared machine do not count in it."""
    workers = _children(site_pid(site))
    before = _cpu_ms(workers)
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        status, _body, _headers = request(site, path, cookie, ACCEPT)
        taken.append((time.perf_counter() - started) * 1000)
        assert status == 200, path
    return statistics.median(taken), (_cpu_ms(workers) - before) / times


def _children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def _cpu_ms(pids: list[str]) -> float:
    """User and system CPU time of ``pids`` so far, in milliseconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * 1000 / ticks


def mixed(measured: list, total: int, threads: int = 8) -> None:
    """``total`` requests spread over the KPay pages by ``threads`` clients."""
    targets = [(base, path, cookie) for name, base, path, cookie in measured if "hello" not in name
               and "reference" not in name]
    counter = iter(range(total))

    def client():
        for n in counter:
            base, path, cookie = targets[n % len(targets)]
            request(base, path, cookie, ACCEPT)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def worker_rss(master_pid: int) -> list[int]:
    """Resident memory (MB) of each gunicorn worker of ``master_pid``."""
    sizes = []
    for pid in _children(master_pid):
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) // 1024)
    return sizes


def run_one(kind: str, args) -> None:
    """Measure every page on ``--baseline``'s community (if any), then on ``--scale``'s, and
    report the latter with each page's CPU time against the former's."""
    baseline = measure(kind, args, args.baseline, full=False)[0] if args.baseline else None
    report(kind, args, *measure(kind, args, args.scale, full=True), baseline=baseline)


def measure(kind: str, args, size: str, full: bool) -> tuple:
    """(results, sizes, weight, weight gzip, statement time, RSS) of the pages on a community
    of ``size``; only the pages' figures unless ``full``."""
    args = type(args)(**{**vars(args), "scale": size})
    if not full:
        args.sqlite = args.postgres = None  # a baseline is always seeded afresh
    with seeded(kind, args) as (env, url):
        facts = scale.landmarks()
        replies = scale.SCALES[args.scale].long_topic_replies
        facts["replies"] = replies + 1
        facts.update(list_cursors(env))
        cursor = deep_cursor(env, scale.SCALES[args.scale].big_circle_topics * 3 // 4)
        with gunicorn("bench.hello:app", os.environ.copy()) as hello, gunicorn("wsgi:app", env) as site, \
                gunicorn("bench.forums:reference", env) as reference:
            cookies = {who: log_in(site, f"{who}@example.com") for who in ("member", "creator", "admin")}
            measured = pages(site, reference, hello, cookies, facts, cursor)
            sizes, results = {}, {name: [] for name, *_ in measured}
            for name, base, path, cookie in measured:
                status, body, _headers = request(base, path, cookie)
                assert status == 200, f"{name}: {status}"
                sizes[name] = len(body)
            workers = {base: _children(site_pid(base)) for base in (site, reference, hello)}
            for _name, base, path, cookie in measured:  # warm both workers' per-process caches first
                drive(base + path, 1, cookie)
            for _ in range(args.runs):
                for name, base, path, cookie in measured:
                    before = _cpu_ms(workers[base])
                    result = drive(base + path, args.seconds, cookie)
                    result["cpu"] = (_cpu_ms(workers[base]) - before) / max(result["rps"] * args.seconds, 1)
                    results[name].append(result)
            if not full:
                return results, sizes, 0, 0, (0.0, 0.0), []
            weight, weight_gzip = first_visit(site)
            statement = next(m for m in measured if m[0] == "statement, creator")
            statement_ms = server_time(site, statement[2], statement[3])
            mixed(measured, args.mixed)
            rss = worker_rss(site_pid(site))
    return results, sizes, weight, weight_gzip, statement_ms, rss


def site_pid(base: str) -> int:
    """The gunicorn master serving ``base`` (bench.run.gunicorn keeps its process)."""
    port = urllib.parse.urlsplit(base).port
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if f"127.0.0.1:{port}" in line and "gunicorn" in line:
            pid = int(line.split()[0])
            if _children(pid):
                return pid
    raise LookupError(base)


def report(kind, args, results, sizes, weight, weight_gzip, statement_ms, rss, baseline=None) -> None:
    rps = {name: statistics.median(r["rps"] for r in runs) for name, runs in results.items()}
    hello = rps["hello world"]
    print(f"\n{kind}, {args.scale} community: gunicorn -w 2 -k sync, wrk -t2 -c16, {args.seconds}s per page, "
          f"median of {args.runs} run(s)")
    cpu = {name: statistics.median(r["cpu"] for r in runs) for name, runs in results.items()}
    before = {name: statistics.median(r["cpu"] for r in runs) for name, runs in (baseline or {}).items()}
    print(f"{'page':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x hello':>9}{'CPU ms':>8}{'x hello':>9}{'KB':>8}"
          + (f"{'x ' + args.baseline:>9}" if baseline else ""))
    for name, runs in results.items():
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        flag = "  (errors!)" if any(r["errors"] for r in runs) else ""
        print(f"{name:<28}{rps[name]:>9.0f}{p50:>9.1f}{p99:>9.1f}{rps[name] / hello:>9.3f}{cpu[name]:>8.2f}"
              f"{cpu['hello world'] / max(cpu[name], 0.001):>9.3f}{sizes[name] / 1024:>8.1f}"
              + (f"{cpu[name] / max(before[name], 0.001):>9.2f}" if name in before else "") + flag)
    print("(CPU ms: the workers' CPU time per request, from /proc; its x hello does not move with the load "
          "other processes put on a shared machine, as req/s does"
          + (f"; x {args.baseline}: CPU time per request against the {args.baseline} community's, same run)"
             if baseline else ")"))
    print(f"topic page: {rps['topic first page, member'] / rps['reference topic page']:.2f}x the reference "
          f"({cpu['reference topic page'] / cpu['topic first page, member']:.2f}x by CPU); "
          f"circle list: {rps['circle list, member'] / rps['reference circle list']:.2f}x the reference "
          f"({cpu['reference circle list'] / cpu['circle list, member']:.2f}x by CPU)")
    print(f"first visit (home, HTML+CSS+JS as sent): {weight / 1024:.1f} KB brotli, {weight_gzip / 1024:.1f} KB gzip")
    print(f"statement page of the top creator, one request at a time: {statement_ms[0]:.1f} ms (median of 30), "
          f"{statement_ms[1]:.1f} ms of worker CPU per request")
    print(f"web workers' RSS after {args.mixed:,} mixed requests: {', '.join(f'{mb} MB' for mb in rss)}")


def main(args) -> None:
    for kind in args.databases.split(","):
        run_one(kind.strip(), args)
