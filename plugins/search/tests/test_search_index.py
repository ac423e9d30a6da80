"""One writer, nothing lost, and an index that repairs itself (RELIABILITY.md F8)."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from kpay.cli import cli
from kpay.extensions import db
from plugins.search import indexer
from plugins.search.backend import Query
from plugins.search.tests.conftest import Searcher
from plugins.search.tokens import terms

GOLDEN = ("data", "机器", "plotting", "course")


def golden(app) -> dict[str, list[str]]:
    searcher = Searcher(app)
    return {q: sorted(searcher.titles(q)) for q in GOLDEN}


def all_keys(app) -> set[str]:
    """Every key in the index (what a search for each document's own title finds)."""
    with app.test_request_context():
        backend = indexer.backend()
        keys = set()
        for document in indexer.documents(None):
            if document.visibility == "gone":
                continue
            words = tuple(dict.fromkeys(terms(document.title)))
            found = backend.search(Query(words, ("public", "members")), 0, 1000)
            keys |= {hit.key for hit in found.hits}
        return keys


def break_index(app, backend: str, how: str) -> None:
    with app.app_context():
        if backend == "postgres":
            sql = {"missing": "DROP TABLE search_pg_documents", "stale": "UPDATE search_pg_state SET state = '{}'",
                   "corrupt": "DROP TABLE search_pg_state"}[how]
            db.session.execute(sa.text(sql))
            db.session.commit()
            return
        root = Path(app.instance_path) / "search"
        live = root / (root / "CURRENT").read_text()
        if how == "missing":
            (root / "CURRENT").unlink()
        elif how == "stale":
            (live / "state.json").write_text('{"schema": 0}')
        else:
            for toc in live.glob("_MAIN_*.toc"):
                toc.write_bytes(toc.read_bytes()[:10])
        app.extensions.pop("search.backend", None)  # a new process: no searcher cached


def test_a_new_topic_and_reply_are_searchable_at_once(app, community):
    author = Searcher(app, community.creator)
    topic_id = author.start_topic(community.public_circle, "Fresh pomegranate", "juicy")
    author.reply(topic_id, "A reply about 石榴汁 and pomegranate seeds")
    searcher = Searcher(app)
    assert searcher.titles("石榴汁") == ["Fresh pomegranate"]
    assert "#post-2" in searcher.page("seeds")


def test_a_broken_index_answers_from_the_database_and_is_rebuilt(app, community, backend):
    before = golden(app)
    for how in ("missing", "stale", "corrupt"):
        break_index(app, backend, how)
        html = Searcher(app).page("plotting")
        assert "being rebuilt" in html, how
        assert "Choosing a <mark>plotting</mark> library" in html
        # the rebuild ran as a job after the response: the index answers again, as before
        assert "being rebuilt" not in Searcher(app).page("plotting"), how
        assert golden(app) == before, how


def test_the_degraded_search_keeps_paid_words_hidden(app, community, backend):
    break_index(app, backend, "missing")
    html = Searcher(app).page("zanzibarquux")
    assert "Nothing found" in html and "secret is" not in html


def test_reindex_swaps_in_a_new_index_and_status_reports_it(app, community):
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output
    status = runner.invoke(cli, ["search", "status"])
    assert status.exit_code == 0, status.output
    assert "documents: " in status.output and "changes waiting" in status.output
    assert int(status.output.split("documents: ")[1].split()[0]) == 6  # 3 topics, a course, 2 lessons


def test_status_of_a_missing_index_says_how_to_fix_it(app, backend, community):
    break_index(app, backend, "missing")
    result = app.test_cli_runner().invoke(cli, ["search", "status"])
    assert result.exit_code == 1 and "kpay search reindex" in result.output


def test_posting_during_a_reindex_loses_no_update(app, community, make_user):
    """Four members post while the index is rebuilt: afterwards it equals a fresh rebuild."""
    posters = [Searcher(app, make_user(name=f"Poster {n}")) for n in range(4)]
    for poster in posters:
        poster.post(f"/forums/c/{community.public_circle}/join")
    errors: list[str] = []

    def storm(poster: Searcher, n: int) -> None:
        for i in range(5):
            try:
                poster.start_topic(community.public_circle, f"Storm {n} {i}", "during the rebuild")
            except AssertionError as error:
                errors.append(str(error))

    def rebuild() -> None:
        with app.test_request_context():
            indexer.rebuild()

    threads = [threading.Thread(target=storm, args=(poster, n)) for n, poster in enumerate(posters)]
    threads.append(threading.Thread(target=rebuild))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.test_request_context():
        indexer.sync()
    after_storm = all_keys(app)
    with app.test_request_context():
        indexer.rebuild()
    assert after_storm == all_keys(app)
    assert len(Searcher(app).titles("storm")) == 20
