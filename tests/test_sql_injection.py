"""S30: SQL text is never built from formatted strings; values go in as bound parameters."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# kpay/testing makes and empties throw-away test databases: DDL on names it generates and
# quotes (CREATE DATABASE, TRUNCATE), which no bound parameter can carry.
# plugins/search/pg_index.py names its own constant tables and indexes and joins constant
# WHERE fragments; every searched word and filter is a bound parameter (its tests search for
# quotes and SQL). It is listed here until it is written with SQLAlchemy Core.
CONSTANT_NAMES = {ROOT / "plugins" / "search" / "pg_index.py"}
SOURCES = sorted(p for folder in ("kpay", "plugins") for p in (ROOT / folder).rglob("*.py")
                 if ROOT / "kpay" / "testing" not in p.parents and p not in CONSTANT_NAMES)
SQL_CALLS = {"text", "execute", "executemany", "executescript", "exec_driver_sql"}


def built_string(node: ast.AST) -> bool:
    """True for an f-string with fields, ``%``/``+`` on strings, or ``str.format``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Mod, ast.Add))
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def formatted_sql_calls(source: str) -> list[int]:
    """Line numbers where a formatted string is passed to a SQL-running call."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name in SQL_CALLS and built_string(node.args[0]):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    "snippet",
    ['sa.text(f"SELECT * FROM t WHERE id = {x}")', 'db.session.execute("DELETE FROM t WHERE id = %s" % x)',
     'conn.exec_driver_sql("DROP TABLE {}".format(name))', 'cursor.execute("PRAGMA x=" + value)'],
)
def test_check_catches_formatted_sql(snippet):
    assert formatted_sql_calls(snippet) == [1]


def test_check_lets_bound_parameters_through():
    assert formatted_sql_calls('sa.text("SELECT * FROM t WHERE id = :id").bindparams(id=x)') == []


def test_no_code_formats_sql_strings():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in SOURCES
        for line in formatted_sql_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
