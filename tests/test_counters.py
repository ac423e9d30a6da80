"""F16: no shared number is read into Python, changed and written back; counters change in
SQL (``kpay.transactions.add_to``) or are counted from rows."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models.commerce import Coupon

ROOT = Path(__file__).resolve().parents[1]
AUGMENTED = re.compile(r"\b(\w+)\.(\w+)\s*[-+]=")


def number_columns(app) -> set[str]:
    """Names of the integer columns of every model the app (all plugins on) maps."""
    with app.app_context():
        return {
            column.name for table in db.metadata.tables.values() for column in table.columns
            if isinstance(column.type, sa.Integer) and not column.primary_key
        }


def test_no_model_number_is_changed_in_python(make_app):
    from kpay.config import default_plugins

    columns = number_columns(make_app({"plugins": {"enabled": default_plugins()}}, create_tables=False))
    found = []
    for path in sorted([*ROOT.glob("kpay/**/*.py"), *ROOT.glob("plugins/**/*.py")]):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in AUGMENTED.finditer(line):
                if match.group(2) in columns:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "change these in SQL with kpay.transactions.add_to:\n" + "\n".join(found)


def test_add_to_changes_the_row_and_the_loaded_object(app):
    with app.app_context():
        from kpay.accounts import create_user
        from kpay.transactions import add_to

        creator = create_user("c@example.com", "C", "correct horse battery", role="creator")
        db.session.flush()
        coupon = Coupon(code="TEN", creator_id=creator.id, kind="percent", value=10)
        db.session.add(coupon)
        db.session.commit()
        db.session.execute(sa.update(Coupon).values(used=5))  # another writer, unseen by ``coupon``
        add_to(coupon, used=2)
        assert coupon.used == 7
        db.session.commit()
        assert db.session.scalar(sa.select(Coupon.used)) == 7
