"""CPU time per request of KPay's pages in one process, which a loaded machine hardly moves.

Serves nothing: each page is asked through Flask's test client ``--requests`` times in a row,
``--repeat`` times, and the best round's ``time.process_time`` per request is printed, beside
a bare hello world and the hand-written reference (``bench/forums.py``) measured the same way.
Run it on a community seeded by ``bench/scale.py`` (the same pages as ``bench/large.py``)::

    python bench/scale.py --scale large --database-url sqlite:////tmp/large/kpay.db --instance /tmp/large
    python bench/cpu.py --instance /tmp/large [--pages topic,circle] [--profile "topic first page"]

``--profile NAME`` runs that page under cProfile instead and prints where its time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import forums, hello, large, scale  # noqa: E402 (needs ROOT on the path)


def log_in(client, email: str) -> None:
    """Log ``email`` in through the real form."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": scale.DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"{email} could not log in"


def clients(instance: str, database_url: str) -> tuple[dict, object, object]:
    """(KPay test clients by who is logged in, the reference's client, hello world's client)."""
    from kpay.app import create_app

    app = create_app({"instance_path": instance, "database_url": database_url, "redis_url": ""})
    who = {"": app.test_client()}
    for name in ("member", "creator", "admin"):
        who[name] = app.test_client()
        log_in(who[name], f"{name}@example.com")
    return who, forums.reference_app(database_url).test_client(), hello.app.test_client()


def per_request(client, path: str, requests: int, repeat: int) -> float:
    """The best of ``repeat`` rounds of ``requests`` GETs of ``path``: CPU milliseconds each."""
    for _ in range(3):  # compile templates, fill per-process caches
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
    rounds = []
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(requests):
            client.get(path)
        rounds.append((time.process_time() - started) * 1000 / requests)
    return min(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", required=True, help="an instance folder seeded by bench/scale.py")
    parser.add_argument("--database-url", help="default: the instance's kpay.db (SQLite)")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", default="", help="comma-separated parts of page names (default: all)")
    parser.add_argument("--profile", help="profile the page of this name instead")
    args = parser.parse_args()
    database_url = args.database_url or f"sqlite:///{Path(args.instance) / 'kpay.db'}"
    who, reference, hello_client = clients(args.instance, database_url)
    facts = scale.landmarks()
    env = {"KPAY_DATABASE_URL": database_url}
    facts["replies"] = _count(database_url, "SELECT post_count FROM forums_topics WHERE id = :id", facts["long_topic_id"])
    facts.update(large.list_cursors(env))
    topics = _count(database_url, "SELECT count(*) FROM forums_topics WHERE circle_id = :id", facts["big_circle_id"])
    cursor = large.deep_cursor(env, topics * 3 // 4)
    cookies = {"member": "member", "creator": "creator", "admin": "admin"}
    measured = large.pages("site", "reference", "hello", cookies, facts, cursor)
    by_base = {"site": None, "reference": reference, "hello": hello_client}
    wanted = [part.strip() for part in args.pages.split(",") if part.strip()]
    if args.profile:
        name, base, path, cookie = next(m for m in measured if m[0].startswith(args.profile))
        client = by_base[base] or who[cookie]
        per_request(client, path, 1, 1)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(90)
        stats.sort_stats("tottime").print_stats(40)
        return
    print(f"{'page':<28}{'CPU ms':>8}")
    for name, base, path, cookie in measured:
        if wanted and not any(part in name for part in wanted) and base == "site":
            continue
        client = by_base[base] or who[cookie]
        print(f"{name:<28}{per_request(client, path, args.requests, args.repeat):>8.2f}", flush=True)


def _count(database_url: str, sql: str, row_id: int) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), {"id": row_id}).scalar()


if __name__ == "__main__":
    main()
