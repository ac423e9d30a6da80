"""CPU time of the referrals operator's page (``/referrals/admin``, 30 and 365 days) and of the
sweep that counts its figures, on a community seeded by ``bench/scale.py``::

    python bench/referrals.py --instance /tmp/large [--requests 20] [--repeat 3]

The page is asked through Flask's test client as ``admin@example.com`` (as ``bench/cpu.py``
does); the sweep runs ``--repeat`` times and its best CPU time is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.cpu import log_in, per_request  # noqa: E402 (needs ROOT on the path)


def main() -> None:
    from kpay.app import create_app
    from plugins.referrals import stats

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", required=True, help="an instance folder seeded by bench/scale.py")
    parser.add_argument("--database-url", help="default: the instance's kpay.db (SQLite)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    database_url = args.database_url or f"sqlite:///{Path(args.instance) / 'kpay.db'}"
    app = create_app({"instance_path": args.instance, "database_url": database_url, "redis_url": ""})
    rounds = []
    for _ in range(args.repeat):
        with app.app_context():
            started = time.process_time()
            stats.sweep()
            rounds.append((time.process_time() - started) * 1000)
    print(f"{'sweep':<28}{min(rounds):>8.2f}")
    client = app.test_client()
    log_in(client, "admin@example.com")
    for name, path in (("operator, 30 days", "/referrals/admin"), ("operator, 365 days", "/referrals/admin?days=365")):
        print(f"{name:<28}{per_request(client, path, args.requests, args.repeat):>8.2f}", flush=True)


if __name__ == "__main__":
    main()
