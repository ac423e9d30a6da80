"""The models on small hand-made data: what a member with a history, a member with interests
only, a visitor and a new item get, and the floor that keeps one member from making a pair."""

from datetime import UTC, datetime, timedelta

from kpay.api import Resource
from plugins.recommendations.catalogue import Catalogue
from plugins.recommendations.evaluate import evaluate, table
from plugins.recommendations.rankers import Recommender, Tuning
from plugins.recommendations.types import Item, Signal

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def course(n, tags=(), **values):
    return Item(kind="course", id=n, title=f"Course {n}", url=f"/courses/{n}", tags=tuple(tags),
                resource=Resource("course", n, free=True), **values)


def took(uid, n, days_ago=1, action="enrolled", weight=2.0):
    return Signal(uid, f"course:{n}", action, NOW - timedelta(days=days_ago), weight)


def test_one_member_alone_cannot_make_a_pair():
    model = Recommender([course(1), course(2), course(3)], [took(1, 1), took(1, 2), took(2, 1)], {}, NOW)
    assert "course:2" not in model.neighbours.get("course:1", {})
    assert model.also(2, {"course:1"}, 5) == []


def test_members_who_took_this_also_took_that():
    signals = [took(u, 1) for u in (1, 2, 3)] + [took(u, 2) for u in (1, 2)] + [took(4, 1), took(4, 3)]
    model = Recommender([course(1), course(2), course(3)], signals, {}, NOW)
    picks = model.recommend("also", 3, 5)
    assert [p.key for p in picks] == ["course:2"]
    assert (picks[0].reason, picks[0].because, picks[0].action) == ("also", "course:1", "enrolled")


def test_popular_now_decays_old_signals():
    signals = [took(u, 1, days_ago=200) for u in range(1, 6)] + [took(u, 2, days_ago=1) for u in range(1, 3)]
    model = Recommender([course(1), course(2)], signals, {}, NOW, Tuning(half_life_days=14))
    assert [p.key for p in model.recommend("popular", None, 2)] == ["course:2", "course:1"]


def test_interests_alone_match_a_new_item_nobody_took():
    model = Recommender([course(1, ["data"]), course(2, ["writing"]), course(3)], [took(1, 3)], {9: ["Data"]}, NOW)
    picks = model.recommend("blend", 9, 3)
    assert picks[0].key == "course:1" and (picks[0].reason, picks[0].because) == ("interest", "Data")


def test_finished_course_explains_a_similar_one():
    items = [course(1, ["data"]), course(2, ["data", "charts"]), course(3, ["writing"])]
    model = Recommender(items, [took(1, 1, action="completed", weight=3.0)], {}, NOW)
    first = model.recommend("blend", 1, 3)[0]
    assert (first.key, first.reason, first.because, first.action) == ("course:2", "similar", "course:1", "completed")


def test_taken_and_dismissed_items_are_never_recommended():
    signals = [took(u, n) for u in (1, 2, 3) for n in (1, 2, 3)]
    model = Recommender([course(1), course(2), course(3)], signals + [took(4, 1)], {}, NOW,
                        dismissed={4: {"course:2"}})
    for name in ("popular", "also", "content", "blend"):
        assert [p.key for p in model.recommend(name, 4, 5)] in ([], ["course:3"]), name


def test_a_visitor_gets_popular_items():
    model = Recommender([course(1), course(2)], [took(1, 2), took(2, 2), took(3, 1)], {}, NOW)
    assert [p.key for p in model.recommend("blend", None, 2)] == ["course:2", "course:1"]


def test_evaluation_scores_each_model_on_what_members_took_later():
    # Members 1-20 take course 1 then 2; member 21-30 take course 3 then 4: "also" learns both.
    signals = [took(u, 1, days_ago=30) for u in range(1, 21)] + [took(u, 2, days_ago=20) for u in range(1, 16)]
    signals += [took(u, 3, days_ago=30) for u in range(21, 31)] + [took(u, 4, days_ago=25) for u in range(21, 31)]
    signals += [took(u, 2, days_ago=1) for u in range(16, 21)]
    items = [course(n) for n in range(1, 6)]
    scores, split = evaluate(Catalogue(items, signals, {}, {}), Tuning(), k=1, train_share=0.93)
    by_name = {s.model: s for s in scores}
    assert split["members"] == 5
    assert by_name["also"].precision == 1.0 and by_name["also"].recall == 1.0
    assert by_name["popular"].precision == 1.0  # course 2 is the most taken they lack
    assert "| blend |" in table(scores)
