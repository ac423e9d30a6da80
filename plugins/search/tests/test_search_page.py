"""What a member notices on the search page: both languages, highlights, groups, filters,
paging, "did you mean", the htmx part, and bad input that never fails."""

from __future__ import annotations

from kpay.extensions import db
from kpay.models import ActivityEvent
from plugins.search.tests.conftest import Searcher, as_creator


def test_english_words_find_stemmed_forms_with_highlights(app, community):
    searcher = Searcher(app)
    assert searcher.titles("plot") == ["Choosing a plotting library"]
    assert "<mark>plotting</mark> charts" in searcher.page("plot")


def test_chinese_two_character_words_and_mixed_queries(app, community):
    searcher = Searcher(app)
    assert "学习路线" in searcher.titles("机器")
    assert set(searcher.titles("机器学习")) == {"学习路线", "Welcome to the course"}
    assert searcher.titles("机器 notebooks") == ["Welcome to the course"]
    assert "<mark>机器学习</mark>" in searcher.page("机器学习")


def test_full_width_letters_find_half_width_words(app, community):
    assert "数据分析入门 · Data Analysis Basics" in Searcher(app).titles("ＡＮＡＬＹＳＩＳ")


def test_results_are_grouped_by_kind_with_place_and_author(app, community):
    html = Searcher(app).page("机器")
    assert "<h2 class=\"search-kind\">Lessons" in html and "<h2 class=\"search-kind\">Topics" in html
    assert ">数据分析入门 · Data Analysis Basics</a>" in html and ">陈老师 Teacher Chen</a>" in html
    assert f"place=circle:{community.public_circle}\"" in html  # the circle's name narrows the search to it


def test_filters_by_kind_place_and_author(app, community, make_user):
    searcher = Searcher(app)
    assert set(searcher.titles("data", kind="course")) == {"数据分析入门 · Data Analysis Basics",
                                                            "数据可视化 · Data Visualisation"}
    assert searcher.titles("机器", place=f"course:{community.course_id}") == ["Welcome to the course"]
    assert searcher.titles("机器", author=community.creator_id + 1000) == []
    assert searcher.titles("plotting", period="week") == ["Choosing a plotting library"]


def test_an_empty_query_shows_only_the_filters(app, community):
    html = Searcher(app).page("")
    assert "Type a few words" in html and "search-hit" not in html


def test_did_you_mean_offers_a_word_of_the_titles(app, community):
    html = Searcher(app).page("plottinh")
    assert "Did you mean" in html and ">plotting<" in html


def test_htmx_request_gets_only_the_results(app, community):
    response = Searcher(app).client.get("/search/?q=plotting", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="search-results"') and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_the_layout_has_a_search_box(app, community):
    html = Searcher(app).client.get("/").get_data(as_text=True)
    assert 'class="site-search"' in html and 'action="/search/"' in html


def test_pages_beyond_the_end_give_the_last_page_and_absurd_ones_404(app, community):
    author = as_creator(app, community)
    for n in range(22):
        author.start_topic(community.public_circle, f"Walrus number {n}", "walrus talk")
    searcher = Searcher(app)
    assert len(searcher.titles("walrus")) == 20
    assert "22 results" in searcher.page("walrus") and '<span class="badge">22</span>' in searcher.page("walrus")
    assert "Page 2 of 2" in searcher.page("walrus", page=9)
    assert len(searcher.titles("walrus", page=2)) == 2
    assert searcher.client.get("/search/?q=walrus&page=999999999").status_code == 404
    assert len(searcher.titles("walrus", page=-3)) == 20

    # Counting stops past the cap: the page says "more than", shows no count per kind and
    # pages no further than the counted results.
    app.config["KPAY"]["plugins"]["search"]["count_cap"] = 20
    html = searcher.page("walrus")
    assert "More than 20 results" in html and "22 results" not in html and 'class="badge"' not in html
    assert len(searcher.titles("walrus")) == 20 and 'rel="next"' not in html
    assert searcher.titles("walrus", page=2) == searcher.titles("walrus")
    assert "1 result" in searcher.page("walrus number 7")  # under the cap: exact


HOSTILE = ['title:(unbalanced "quote', "AND OR NOT", "x" * 10_000, "null\x00byte", "the of and", "?!.,;:()[]{}",
           "*", "~2^3", "'\"", "一", "𠀀𠀁", "<script>alert(1)</script>", "%00", "\u202e\u200b"]


def test_hostile_queries_give_a_friendly_answer(app, community):
    searcher = Searcher(app)
    for query in HOSTILE:
        response = searcher.client.get("/search/", query_string={"q": query})
        assert response.status_code == 200, query
        assert "<script>alert" not in response.get_data(as_text=True)


def test_the_search_query_event_never_holds_the_words(app, community, make_user):
    Searcher(app, make_user(name="Pri")).page("private words")
    with app.app_context():
        event = db.session.query(ActivityEvent).filter_by(name="search.query").one()
        assert "private" not in str(event.data)
        assert event.data["results"] == 0


def test_the_words_are_kept_only_when_the_member_allows_it(app, community, make_user):
    member = Searcher(app, make_user(name="Pia"))
    assert "keep these words" in member.page("")
    member.page("plotting tips", share="1")
    assert "keep these words" not in Searcher(app).page("")  # a visitor is never asked, nor recorded
    with app.app_context():
        events = db.session.query(ActivityEvent).filter_by(name="search.query").all()
        assert [event.data.get("query") for event in events] == ["plotting tips"]
