"""Never a leak: paid bodies are searchable only by members for whom can_access holds, and
what is hidden, deleted or edited changes in the results at once."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.commerce import entitlements
from kpay.extensions import db
from kpay.models.commerce import Product
from plugins.search.tests.conftest import CIRCLE_WORD, PAID_CHINESE, PAID_WORD, Searcher, as_creator, search_documents
from tests.commerce_helpers import buy_paid, refund


def results(html: str, query: str = "") -> str:
    """The results part of a search page, without the echo of the query itself."""
    part = html.split('id="search-results"')[1].split("</section>")[0]
    return part.replace(f"“{query}”", "") if query else part


def assert_no_canary(html: str) -> None:
    for word in (PAID_WORD, PAID_CHINESE, CIRCLE_WORD, "secret is"):
        assert word not in html


def test_visitor_finds_nothing_by_paid_words_and_sees_no_count(app, community):
    visitor = Searcher(app)
    for word in (PAID_WORD, PAID_CHINESE, CIRCLE_WORD):
        html = visitor.page(word)
        assert "Nothing found" in html and "search-hit" not in html
        assert_no_canary(results(html, word))


def test_visitor_sees_a_paid_lesson_title_locked_with_a_buy_button_and_no_snippet(app, community):
    html = Searcher(app).page("advanced grouping")
    assert "Advanced grouping" in html
    assert "This is paid content" in html
    assert "Unlock" in html
    assert_no_canary(html)
    assert "<mark>" not in html.split("Advanced grouping")[1].split("</li>")[0]


def test_member_without_the_product_is_a_visitor_to_paid_words(app, community, make_user):
    member = Searcher(app, make_user(name="Mo"))
    for word in (PAID_WORD, PAID_CHINESE, CIRCLE_WORD):
        assert member.titles(word) == []
    html = member.page("members only plans")
    assert "Members only plans" in html and "This is paid content" in html
    assert_no_canary(html)


def test_buyer_finds_paid_words_with_highlights_until_a_refund(app, community, make_user):
    buyer = make_user(name="Bea")
    order_id = buy_paid(app, buyer, community.product_id)
    reader = Searcher(app, buyer)
    html = reader.page(PAID_WORD)
    assert reader.titles(PAID_WORD) == ["Advanced grouping"]
    assert f"<mark>{PAID_WORD}</mark>" in html
    assert f"<mark>{PAID_CHINESE}</mark>" in reader.page(PAID_CHINESE)
    refund(app, order_id, community.price_minor)
    assert reader.titles(PAID_WORD) == []
    assert_no_canary(reader.page("advanced grouping"))


def test_circle_member_finds_the_paid_circle_topic(app, community, make_user):
    holder = make_user(name="Hal")
    with app.app_context():
        entitlements.grant(holder.id, db.session.get(Product, community.circle_product), "test:circle")
        db.session.commit()
    assert Searcher(app, holder).titles(CIRCLE_WORD) == ["Members only plans"]


def test_the_creator_finds_their_own_paid_lesson_unlocked(app, community):
    author = as_creator(app, community)
    assert author.titles(PAID_WORD) == ["Advanced grouping"]
    html = author.page("advanced grouping")
    assert "This is paid content" not in results(html) and f"<mark>{PAID_WORD}</mark>" in author.page(PAID_WORD)
    assert author.titles(CIRCLE_WORD) == ["Members only plans"]  # their own paid circle too


def test_a_hidden_topic_is_gone_from_the_results_right_after_hiding(app, community):
    """The moderator hides the post: the very next search no longer finds it (no minutely sync)."""
    author = as_creator(app, community)
    topic_id = author.start_topic(community.public_circle, "Ephemeral kumquat", "soon gone kumquat")
    assert Searcher(app).titles("kumquat") == ["Ephemeral kumquat"]
    post_id = author.post_ids(topic_id)[0]
    response = author.post(f"/forums/p/{post_id}/moderate", form_page=f"/forums/t/{topic_id}", action="hide")
    assert response.status_code == 302
    assert Searcher(app).titles("kumquat") == []


def test_a_deleted_reply_and_an_edited_post_change_in_the_results_at_once(app, community):
    author = as_creator(app, community)
    topic_id = author.start_topic(community.public_circle, "Persimmon season", "ripe persimmon")
    author.reply(topic_id, "A word about 柿子饼 recipes")
    searcher = Searcher(app)
    assert searcher.titles("柿子饼") == ["Persimmon season"]
    opening, reply = author.post_ids(topic_id)
    author.post(f"/forums/p/{reply}/delete", form_page=f"/forums/t/{topic_id}")
    assert searcher.titles("柿子饼") == []
    author.post(f"/forums/p/{opening}/edit", form_page=f"/forums/p/{opening}/edit", title="Quince season",
                body="ripe quince")
    assert searcher.titles("quince") == ["Quince season"]
    assert searcher.titles("persimmon") == []


def test_a_lesson_deleted_in_the_studio_leaves_the_results_at_once(app, community):
    author = as_creator(app, community)
    visitor = Searcher(app)
    assert visitor.titles("advanced grouping") == ["Advanced grouping"]  # locked, by its title
    assert author.titles(PAID_WORD) == ["Advanced grouping"]
    url = f"/courses/studio/lessons/{community.paid_lesson_id}/delete"
    assert author.post(url, form_page=url).status_code == 302  # the studio's own confirmation form
    assert visitor.titles("advanced grouping") == [] and author.titles(PAID_WORD) == []
    assert "Welcome to the course" in author.titles("notebooks")  # the course's other lessons stay


def statements(app, searcher: Searcher, q: str) -> int:
    """The statements of the results part (as typing asks for it) once caches are warm."""
    url, headers = f"/search/?q={q}", {"HX-Request": "true"}
    searcher.client.get(url, headers=headers)
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    record = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert searcher.client.get(url, headers=headers).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_a_results_page_checks_one_paid_place_or_many_in_the_same_statements(app, community, make_user, backend):
    """Every paid course and the paid circle get a page with one word: the access checks of a
    page showing them all cost what one place's cost, and the page stays within five statements
    (with the PostgreSQL index's own: one for the page, one for the locked places)."""
    with app.test_request_context("/"):
        courses = sorted({d.visibility for d in search_documents() if d.visibility.startswith("course:")})
    author = as_creator(app, community)
    for n, key in enumerate(courses):  # "walnut" in one course, "pecan" in them all
        author.add_lesson(int(key.split(":")[1]), "Nut notes", "pecan notes" + (" and walnut" if n == 0 else ""))
    author.start_topic(community.paid_circle, "Nut plans", "walnut and pecan plans for members")
    assert len(courses) > 2 and len(author.titles("pecan")) == len(courses) + 1  # all theirs, all unlocked
    for searcher in (author, Searcher(app, make_user(name="Wal"))):
        few, many = statements(app, searcher, "walnut"), statements(app, searcher, "pecan")
        assert few == many and many <= 5
