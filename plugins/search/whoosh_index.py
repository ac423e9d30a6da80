"""The embedded backend: a whoosh index in ``instance/search/``.

The folder holds ``CURRENT`` (the name of the live index folder), the index folders and
``write.lock``. Readers open the index without mmap (a mapped searcher costs +313 MB and
105 ms per process) and keep one searcher per thread, reopened when the index changed.
Writers take ``write.lock`` (an ``flock``: one writer across threads and processes on the
host); a rebuild fills a new folder unlocked and takes the lock only to swap ``CURRENT``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, UTC
from functools import lru_cache
from pathlib import Path

from whoosh import fields
from whoosh.analysis import Token, Tokenizer
from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index
from whoosh.system import pack_uint

from kpay.api import SearchDocument
from plugins.search.backend import (
    SCHEMA_VERSION, Found, Hit, IndexProblem, Query, Status, document_key,
)
from plugins.search.tokens import spelling_words, terms, tokens
from plugins.search.whoosh_build import build

#: Segment arrays and decoded postings, shared by every searcher of the process (made by
#: the first query: numpy, ~18 MB, is loaded only by processes that search).
_RANKER = None


def _ranker():
    """The process's ranker, and the module that ranks with it."""
    global _RANKER
    from plugins.search import whoosh_rank

    if _RANKER is None:
        _RANKER = whoosh_rank.Ranker()
    return _RANKER, whoosh_rank


class KPayTokenizer(Tokenizer):
    """Whoosh's view of ``plugins.search.tokens``: the same terms with their positions."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (term, start, end) in enumerate(tokens(value)):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class KPayText(fields.TEXT):
    """A text field whose postings are counted straight from ``tokens.terms`` (the same
    postings as whoosh's analyzer path, which makes and reads a ``Token`` per word)."""

    def __init__(self, **kwargs):
        super().__init__(analyzer=KPayTokenizer(), phrase=False, **kwargs)

    def index(self, value, **kwargs):
        # (term, frequency, weight, frequency packed): whoosh's Frequency format, field boost 1.
        # Equal terms share one bytes object, small frequencies one weight and value: a
        # rebuild holds a segment's postings in memory.
        return ((_encoded(term), n, *(_FREQUENCIES[n] if n < 64 else (float(n), pack_uint(n))))
                for term, n in Counter(terms(value)).items())


_encoded = lru_cache(maxsize=1 << 18)(str.encode)
_FREQUENCIES = [(float(n), pack_uint(n)) for n in range(64)]


def schema() -> fields.Schema:
    return fields.Schema(
        key=fields.ID(stored=True, unique=True), kind=fields.ID(stored=True, sortable=True),  # a column: cheap counts
        visibility=fields.ID(stored=True),
        title=KPayText(stored=True), body=KPayText(stored=True),
        url=fields.STORED(), place=fields.ID(stored=True), place_title=fields.STORED(),
        author_id=fields.ID(stored=True), author=fields.STORED(), updated=fields.DATETIME(stored=True, sortable=True),
        spell=fields.KEYWORD(lowercase=True),
    )


class WhooshBackend:
    """The whoosh index under ``root`` (instance/search)."""

    name = "whoosh"

    def __init__(self, root: Path):
        self.root = Path(root)
        self._local = threading.local()

    # Reading

    def _live(self) -> Path:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            raise IndexProblem("missing: no index has been built yet") from None
        return self.root / name

    def _state(self, folder: Path) -> dict:
        try:
            return json.loads((folder / "state.json").read_text())
        except (FileNotFoundError, ValueError):
            raise IndexProblem(f"corrupt: {folder.name} has no readable state.json") from None

    def _open(self, folder: Path) -> Index:
        if self._state(folder).get("schema") != SCHEMA_VERSION:
            raise IndexProblem(f"stale: {folder.name} was built for another schema version")
        try:
            return FileStorage(str(folder), supports_mmap=False).open_index()
        except Exception as error:  # whoosh raises many kinds (EmptyIndexError, struct.error, OSError...)
            raise IndexProblem(f"corrupt: {folder.name}: {error.__class__.__name__}: {error}") from None

    def _searcher(self):
        """This thread's searcher on the live index, reopened after a swap or a commit."""
        folder = self._live()
        cached = getattr(self._local, "cached", None)
        if cached is None or cached[0] != folder:
            if cached is not None:
                cached[1].close()
            index = self._open(folder)
            self._local.cached = cached = (folder, index.searcher())
        searcher = cached[1]
        try:
            if not searcher.up_to_date():
                # Not searcher.refresh(): it reuses unchanged segments' readers and so keeps
                # showing documents a commit only deleted. Opening anew costs 0.6 ms without mmap.
                searcher.close()
                searcher = self._open(folder).searcher()
                self._local.cached = (folder, searcher)
        except IndexProblem:
            self._local.cached = None
            raise
        except Exception as error:
            self._local.cached = None
            raise IndexProblem(f"corrupt: {folder.name}: {error}") from None
        return searcher

    def check(self) -> None:
        try:
            self._searcher().doc_count()
        except IndexProblem:
            raise
        except Exception as error:
            self._local.cached = None
            raise IndexProblem(f"corrupt: {error.__class__.__name__}: {error}") from None

    def search(self, query: Query, offset: int, limit: int) -> Found:
        searcher = self._searcher()
        try:
            ranker, whoosh_rank = _ranker()
            ranked = whoosh_rank.rank(ranker, searcher, query, offset + limit)
            hits = [_hit(searcher.stored_fields(docnum)) for docnum in ranked.docnums[offset:]]
        except Exception as error:
            self._local.cached = None
            raise IndexProblem(f"corrupt: {error.__class__.__name__}: {error}") from None
        return Found.counted(ranked.count, hits, ranked.kinds)

    def locked_places(self, query: Query) -> set[str]:
        ranker, whoosh_rank = _ranker()
        return whoosh_rank.locked_places(ranker, self._searcher(), query)

    def title_words(self) -> list[str]:
        return [term.decode() for term in self._searcher().lexicon("spell")]

    def status(self) -> Status:
        folder = self._live()
        state = self._state(folder)
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        return Status(self.name, self._searcher().doc_count(), size, _when(state.get("updated")), str(folder),
                      _when(state.get("watermark")))

    # Writing

    @contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "write.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def writing(self):
        with self._locked():
            folder = self._live()
            state = self._state(folder)
            index = self._open(folder)
            writer = _Writer(index.writer(timeout=30.0), folder, state)
            try:
                yield writer, _when(state.get("watermark"))
            except BaseException:
                writer.writer.cancel()
                raise
            writer.commit()

    def set_watermark(self, writer, when: datetime) -> None:
        writer.state["watermark"] = when.isoformat()

    def rebuild(self, documents: Iterator[SearchDocument], watermark: datetime,
                progress: Callable[[int], None]) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        folder = self.root / f"index-{time.time_ns()}-{os.getpid()}"
        folder.mkdir()
        try:
            index = FileStorage(str(folder), supports_mmap=False).create_index(schema())
            count = build(index, (_fields(d) for d in documents if d.visibility != "gone"), progress)
            _encoded.cache_clear()  # a worker or web process keeps running after the rebuild
            _replace(folder / "state.json", json.dumps({
                "schema": SCHEMA_VERSION, "watermark": watermark.isoformat(), "updated": datetime.now(UTC).isoformat()}))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._locked():
            try:
                old: Path | None = self._live()
            except IndexProblem:
                old = None
            _replace(self.root / "CURRENT", folder.name)
        for other in self.root.glob("index-*"):
            if other != folder and other.is_dir() and (old is None or other == old or other.name < folder.name):
                shutil.rmtree(other, ignore_errors=True)
        return count


class _Writer:
    """A whoosh writer and the state it commits with."""

    def __init__(self, writer, folder: Path, state: dict):
        self.writer, self.folder, self.state = writer, folder, state

    def apply(self, documents: Iterable[SearchDocument]) -> int:
        """Add, replace or (``gone``) delete each of ``documents``; how many there were."""
        count = 0
        for document in documents:
            if document.visibility == "gone":
                self.writer.delete_by_term("key", document_key(document))
            else:
                self.writer.update_document(**_fields(document))
            count += 1
        return count

    def commit(self) -> None:
        self.writer.commit()
        self.state["updated"] = datetime.now(UTC).isoformat()
        _replace(self.folder / "state.json", json.dumps(self.state))


def _fields(document: SearchDocument) -> dict:
    """``document`` as whoosh fields."""
    return dict(
        key=document_key(document), kind=document.kind, visibility=document.visibility, title=document.title,
        body=document.body, url=document.url, place=document.place, place_title=document.place_title,
        author_id=str(document.author_id or ""), author=document.author, spell=" ".join(spelling_words(document.title)),
        updated=(document.updated_at or datetime.now(UTC)).replace(tzinfo=None),
    )


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a crash leaves the old or the new file, whole)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(text)
    os.replace(temporary, path)


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _hit(stored: dict) -> Hit:
    updated = stored.get("updated")
    return Hit(
        key=stored["key"], kind=stored["kind"], title=stored["title"], body=stored.get("body", ""),
        url=stored["url"], visibility=stored["visibility"], place=stored.get("place", ""),
        place_title=stored.get("place_title", ""), author=stored.get("author", ""),
        author_id=int(stored["author_id"]) if stored.get("author_id") else None,
        updated_at=updated.replace(tzinfo=UTC) if updated else None,
    )
