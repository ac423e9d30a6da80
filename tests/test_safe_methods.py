"""S4: opening any page (GET), as anyone, writes nothing to the database."""

import pytest
import sqlalchemy as sa
from flask import url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from kpay import config
from kpay.extensions import db
from kpay.commerce import orders
from kpay.models import Job, User
from kpay.models.commerce import Product
from tests.conftest import Auth

# Server-side session storage may be written by a GET; none exists yet.
SESSION_TABLES: set[str] = set()
WRITES = ("insert", "update", "delete", "replace")


class WriteRecorder:
    """Tables changed by ORM flushes, and DML statements sent by any other route."""

    def __init__(self):
        self.writes: list[str] = []

    def before_flush(self, session, flush_context, instances):
        for obj in [*session.new, *session.dirty, *session.deleted]:
            table = getattr(obj, "__tablename__", type(obj).__name__)
            if table not in SESSION_TABLES:
                self.writes.append(f"flush {table}")

    def before_cursor_execute(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().lower().startswith(WRITES):
            self.writes.append(statement.split("(")[0][:80])


@pytest.fixture
def recorder(app):
    rec = WriteRecorder()
    with app.app_context():
        engine = db.engine
    event.listen(Session, "before_flush", rec.before_flush)
    event.listen(engine, "before_cursor_execute", rec.before_cursor_execute)
    yield rec
    event.remove(Session, "before_flush", rec.before_flush)
    event.remove(engine, "before_cursor_execute", rec.before_cursor_execute)


@pytest.fixture
def app(make_app):
    """Every built-in plugin on, so their pages are opened too."""
    return make_app({"plugins": {"enabled": config.default_plugins()}})


def url_values(app, make_user) -> dict:
    """Real values for URL parameters by name; plugins add theirs here."""
    with app.app_context():
        job = Job(func="kpay.points:balance", args=[], kwargs={}, status="failed")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    member = make_user(name="Somebody")
    creator = make_user(role="creator")
    with app.test_request_context():
        product = Product(creator_id=creator.id, name="Course", price_minor=9900, currency="CNY")
        db.session.add(product)
        db.session.flush()
        order = orders.checkout(db.session.get(User, member.id), product, "sandbox", "safe-methods-nonce-0001")
        db.session.commit()
        ids = {"product_id": product.id, "order_id": order.id}
    return {"filename": "css/kpay.css", "job_id": job_id, "user_id": member.id, "kind": "course", "table": "members",
            **ids}


def get_urls(app, values) -> list[str]:
    """One URL per GET rule, its parameters filled from ``values`` (1 when unknown)."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods:
                urls.append(url_for(rule.endpoint, **{a: values.get(a, 1) for a in rule.arguments}))
    return sorted(urls)


@pytest.mark.parametrize("role", [None, "member", "owner"])
def test_opening_every_page_changes_nothing(app, client, make_user, recorder, role):
    urls = get_urls(app, url_values(app, make_user))
    if role:
        Auth(client).login(make_user(role=role).email)
    recorder.writes.clear()
    answered = {url: client.get(url).status_code for url in urls}
    assert answered["/"] == 200
    assert all(code < 500 for code in answered.values()), answered
    assert recorder.writes == []
    with app.app_context():
        assert db.session.scalar(sa.select(Job.status)) == "failed"


def test_recorder_notices_a_log_out(app, client, auth, make_user, recorder):
    """The recorder is not blind: logging out bumps the member's session version."""
    auth.login(make_user().email)
    recorder.writes.clear()
    auth.logout()
    assert recorder.writes
