"""A reminder worker in a process of its own, for the kill test: ``python -m
plugins.lectures.tests.reminder_worker``, configured by ``KPAY_*`` variables, runs the reminder
sweep once for each line ``N`` it reads and prints ``done``. With ``N`` above 0 it stops inside the
N-th e-mail it writes (the reminder's claim, its notice and the e-mail written, nothing
committed), prints ``stalled`` and waits to be killed."""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa

from kpay.app import create_app
from kpay.extensions import db
from plugins.lectures import reminders


def say(word: str) -> None:
    """Tell the test, one line on stdout."""
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


def sweep(stall_at: int) -> None:
    written = []

    def stall(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO EMAIL_MESSAGES"):
            written.append(statement)
            if len(written) == stall_at:
                say("stalled")
                time.sleep(120)

    sa.event.listen(db.engine, "after_cursor_execute", stall)
    try:
        reminders.sweep()
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", stall)


def main() -> None:
    app = create_app()
    for line in sys.stdin:
        with app.app_context():
            sweep(int(line))
        say("done")


if __name__ == "__main__":
    main()
