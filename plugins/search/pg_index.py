"""The PostgreSQL backend: the same terms in a ``tsvector`` with a GIN index, for sites whose
web hosts cannot share a folder.

The index is a derived table, ``search_pg_documents``, that ``kpay search reindex`` builds
(as ``search_pg_documents_new``) and swaps in by renaming inside one transaction; its state
(schema version, watermark, last update) is the row of ``search_pg_state``. Terms are given
to PostgreSQL as ready lexemes (``array_to_tsvector``, a quoted ``tsquery``), so its own
parser never splits them differently from whoosh.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, UTC

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from kpay.api import SearchDocument, db
from plugins.search.backend import (
    SCHEMA_VERSION, Found, Hit, IndexProblem, Query, Status, count_cap, document_key,
)
from plugins.search.tokens import spelling_words, terms

TABLE = "search_pg_documents"
STATE = "search_pg_state"
LOCK = 0x5EA12C4  # the advisory lock of the one writer
BATCH = 1000
COLUMNS = "key, kind, visibility, title, body, url, place, place_title, author_id, author, updated_at"
COLUMN_NAMES = COLUMNS.split(", ")

CREATE = """
CREATE TABLE {table} (
    key text PRIMARY KEY, kind text NOT NULL, visibility text NOT NULL, title text NOT NULL,
    body text NOT NULL, url text NOT NULL, place text NOT NULL, place_title text NOT NULL,
    author_id integer, author text NOT NULL, updated_at timestamptz,
    title_terms tsvector NOT NULL, all_terms tsvector NOT NULL, spell tsvector NOT NULL
)"""
UPSERT = f"""
INSERT INTO {{table}} ({COLUMNS}, title_terms, all_terms, spell)
VALUES (:key, :kind, :visibility, :title, :body, :url, :place, :place_title, :author_id, :author, :updated_at,
        array_to_tsvector(CAST(:title_terms AS text[])), array_to_tsvector(CAST(:all_terms AS text[])),
        array_to_tsvector(CAST(:spell AS text[])))
ON CONFLICT (key) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ")[1:])},
    title_terms = excluded.title_terms, all_terms = excluded.all_terms, spell = excluded.spell"""


class PostgresBackend:
    """The index as a table in the site's PostgreSQL database."""

    name = "postgres"

    def check(self) -> None:
        # The search statement reads the state with the page (see ``_search``): no statement here.
        if db.engine.dialect.name != "postgresql":
            raise IndexProblem("the postgres backend needs a PostgreSQL database")

    def verify(self) -> None:
        """``check`` with a statement of its own, for writers and ``status``."""
        self.check()
        try:
            row = db.session.execute(sa.text(f"SELECT state, to_regclass('{TABLE}') IS NOT NULL FROM {STATE}")).first()
        except DBAPIError:
            db.session.rollback()
            raise IndexProblem("missing: no index has been built yet") from None
        if row is not None and not row[1]:
            raise IndexProblem(f"missing: the table {TABLE} is gone")
        _check_state(row[0] if row else None)

    def _where(self, query: Query, readable: tuple[str, ...] | None) -> tuple[str, dict]:
        params: dict = {"q": " & ".join(f"'{t}'" for t in query.terms), "readable": list(readable or ())}
        match = "all_terms @@ CAST(:q AS tsquery)"
        if readable is not None:
            match = f"(title_terms @@ CAST(:q AS tsquery) OR (visibility = ANY(:readable) AND {match}))"
        clauses = [match]
        if query.kinds:
            clauses.append("kind = ANY(:kinds)")
            params["kinds"] = list(query.kinds)
        if query.place:
            clauses.append("place = :place")
            params["place"] = query.place
        if query.author_id is not None:
            clauses.append("author_id = :author_id")
            params["author_id"] = query.author_id
        if query.since:
            clauses.append("updated_at >= :since")
            params["since"] = query.since
        if query.until:
            clauses.append("updated_at < :until")
            params["until"] = query.until
        return " AND ".join(clauses), params

    def search(self, query: Query, offset: int, limit: int) -> Found:
        with _answering():
            return self._search(query, offset, limit)

    def _search(self, query: Query, offset: int, limit: int) -> Found:
        """One statement: the index's state and the counts (one match past the cap) joined to
        the page's rows."""
        where, params = self._where(query, query.readable)
        rank = ("2 * ts_rank(title_terms, CAST(:q AS tsquery)) + CASE WHEN visibility = ANY(:readable) "
                "THEN ts_rank(all_terms, CAST(:q AS tsquery)) ELSE 0 END")
        rows = db.session.execute(sa.text(
            f"SELECT counted.state, counted.kinds, page.* FROM (SELECT (SELECT state FROM {STATE}) AS state, "
            "json_object_agg(kind, n) AS kinds FROM ("
            f"SELECT kind, count(*) AS n FROM (SELECT kind FROM {TABLE} WHERE {where} LIMIT :cap) AS matched "
            "GROUP BY kind) AS per_kind) AS counted LEFT JOIN ("
            f"SELECT {COLUMNS} FROM {TABLE} WHERE {where} ORDER BY {rank} DESC, updated_at DESC, key "
            "LIMIT :limit OFFSET :offset) AS page ON true"),
            {**params, "limit": limit, "offset": offset, "cap": count_cap() + 1}).mappings().all()
        _check_state(rows[0]["state"])
        kinds = rows[0]["kinds"] or {}
        if isinstance(kinds, str):
            kinds = json.loads(kinds)
        hits = [Hit(**{c: row[c] for c in COLUMN_NAMES}) for row in rows if row["key"] is not None]
        return Found.counted(sum(kinds.values()), hits, kinds)

    def locked_places(self, query: Query) -> set[str]:
        where, params = self._where(query, None)
        with _answering():
            return set(db.session.scalars(sa.text(
                f"SELECT DISTINCT visibility FROM {TABLE} WHERE {where} AND NOT visibility = ANY(:readable)"),
                {**params, "readable": list(query.readable)}))

    def title_words(self) -> list[str]:
        return list(db.session.scalars(sa.text(f"SELECT word FROM ts_stat('SELECT spell FROM {TABLE}')")))

    def status(self) -> Status:
        self.verify()
        state = json.loads(db.session.scalar(sa.text(f"SELECT state FROM {STATE}")))
        count = db.session.scalar(sa.text(f"SELECT count(*) FROM {TABLE}"))
        size = db.session.scalar(sa.text(f"SELECT pg_total_relation_size('{TABLE}')"))
        return Status(self.name, count, size, _when(state.get("updated")), f"table {TABLE}",
                      _when(state.get("watermark")))

    @contextmanager
    def writing(self):
        self.verify()
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": LOCK})
        state = json.loads(db.session.scalar(sa.text(f"SELECT state FROM {STATE}")))
        writer = _Writer(TABLE, state)
        try:
            yield writer, _when(state.get("watermark"))
        except BaseException:
            db.session.rollback()
            raise
        writer.save()
        db.session.commit()

    def set_watermark(self, writer, when: datetime) -> None:
        writer.state["watermark"] = when.isoformat()

    def rebuild(self, documents: Iterator[SearchDocument], watermark: datetime,
                progress: Callable[[int], None]) -> int:
        new = f"{TABLE}_new"
        db.session.execute(sa.text(f"DROP TABLE IF EXISTS {new}"))
        db.session.execute(sa.text(CREATE.format(table=new)))
        db.session.commit()
        count = _Writer(new, {}).apply(documents, progress, commit_each=True)
        for column in ("title_terms", "all_terms"):
            db.session.execute(sa.text(f"CREATE INDEX ix_{new}_{column} ON {new} USING gin ({column})"))
        db.session.execute(sa.text(f"CREATE INDEX ix_{new}_place ON {new} (place)"))
        db.session.commit()
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": LOCK})
        db.session.execute(sa.text(f"DROP TABLE IF EXISTS {TABLE}"))
        db.session.execute(sa.text(f"ALTER TABLE {new} RENAME TO {TABLE}"))
        for suffix in ("title_terms", "all_terms", "place"):
            db.session.execute(sa.text(f"ALTER INDEX ix_{new}_{suffix} RENAME TO ix_{TABLE}_{suffix}"))
        db.session.execute(sa.text(f"ALTER INDEX {new}_pkey RENAME TO {TABLE}_pkey"))
        db.session.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {STATE} (state text NOT NULL)"))
        db.session.execute(sa.text(f"DELETE FROM {STATE}"))
        state = {"schema": SCHEMA_VERSION, "watermark": watermark.isoformat(),
                 "updated": datetime.now(UTC).isoformat()}
        db.session.execute(sa.text(f"INSERT INTO {STATE} (state) VALUES (:state)"), {"state": json.dumps(state)})
        db.session.commit()
        return count


class _Writer:
    """Upserts and deletes on one table, and the state saved with them."""

    def __init__(self, table: str, state: dict):
        self.table, self.state = table, state

    def apply(self, documents: Iterable[SearchDocument], progress: Callable[[int], None] | None = None,
              commit_each: bool = False) -> int:
        count, rows, gone = 0, [], []
        for document in documents:
            count += 1
            if document.visibility == "gone":
                gone.append(document_key(document))
            else:
                rows.append(_row(document))
            if len(rows) + len(gone) >= BATCH:
                self._flush(rows, gone, progress, commit_each)
                rows, gone = [], []
        self._flush(rows, gone, progress, commit_each)
        return count

    def _flush(self, rows: list[dict], gone: list[str], progress, commit_each: bool) -> None:
        if rows:
            db.session.execute(sa.text(UPSERT.format(table=self.table)), rows)
        if gone:
            db.session.execute(sa.text(f"DELETE FROM {self.table} WHERE key = ANY(:keys)"), {"keys": gone})
        if commit_each:
            db.session.commit()
        if progress:
            progress(len(rows) + len(gone))

    def save(self) -> None:
        self.state["updated"] = datetime.now(UTC).isoformat()
        db.session.execute(sa.text(f"UPDATE {STATE} SET state = :state"), {"state": json.dumps(self.state)})


def _row(document: SearchDocument) -> dict:
    title_terms = sorted(set(terms(document.title)))
    return {
        "key": document_key(document), "kind": document.kind, "visibility": document.visibility,
        "title": document.title, "body": document.body, "url": document.url, "place": document.place,
        "place_title": document.place_title, "author_id": document.author_id, "author": document.author,
        "updated_at": document.updated_at, "title_terms": title_terms,
        "all_terms": sorted(set(title_terms) | set(terms(document.body))),
        "spell": sorted(set(spelling_words(document.title))),
    }


def _check_state(state: str | None) -> None:
    if state is None or json.loads(state).get("schema") != SCHEMA_VERSION:
        raise IndexProblem("stale: the index was built for another schema version")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@contextmanager
def _answering():
    """A database error while searching (the table dropped, say) as an ``IndexProblem``."""
    try:
        yield
    except DBAPIError as error:
        db.session.rollback()
        # The database's first line (which table is gone) tells problems apart: each gets its rebuild.
        raise IndexProblem(f"corrupt: {error.__class__.__name__}: {str(error.orig).splitlines()[0]}") from None
