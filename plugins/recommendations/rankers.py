"""The recommendation models, fitted in memory on items and signals: popular now (time-decayed,
per kind), item-to-item co-occurrence with a significance floor, content match of a member's
interests and history against item features, and their blend with cold-start fallbacks.

Pure Python over plain data: the refresh job and ``kpay recs evaluate`` both use it.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from plugins.recommendations.types import Item, Signal

MODELS = ("popular", "also", "content", "blend")


@dataclass(frozen=True)
class Pick:
    """A recommended item with its score and why: ``reason`` is ``also``, ``similar`` or
    ``interest`` (for a member), ``tag``, ``creator``, ``circle``, ``series`` or ``like`` (beside an item), ``popular``
    or ``new``; ``because`` the item key or tag it came from, ``action`` what the member did."""

    key: str
    score: float
    reason: str
    because: str = ""
    action: str = ""


@dataclass(frozen=True)
class Tuning:
    """The models' knobs; ``weights`` are the blend's (also, content, popular)."""

    half_life_days: float = 14.0
    min_pair_members: int = 2
    neighbours: int = 30
    history_cap: int = 40
    feature_fanout: int = 150
    weights: tuple[float, float, float] = (0.3, 0.3, 0.4)  # measured: see README.md


def _top(scores: dict[str, float], n: int) -> list[tuple[str, float]]:
    return heapq.nlargest(n, scores.items(), key=lambda kv: (kv[1], kv[0]))


class Recommender:
    """The four models fitted on ``items`` and the ``signals`` before ``now``."""

    def __init__(self, items: Iterable[Item], signals: Iterable[Signal], interests: dict[int, list[str]],
                 now: datetime, tuning: Tuning = Tuning(), dismissed: dict[int, set[str]] | None = None,
                 forget: dict[int, datetime] | None = None):
        self.items = {item.key: item for item in items}
        self.tuning, self.interests, self.dismissed = tuning, interests, dismissed or {}
        forget = forget or {}
        self.forgotten: dict[int, set[str]] = defaultdict(set)  # hidden from them, learnt from by nobody
        # member -> item -> [strongest weight, its action, latest time]
        self.history: dict[int, dict[str, list]] = defaultdict(dict)
        self.popularity: dict[str, float] = defaultdict(float)
        decay = math.log(2) / (tuning.half_life_days * 86400)
        for s in signals:
            if s.key not in self.items or s.at > now:
                continue
            if s.user_id in forget and s.at < forget[s.user_id]:
                self.forgotten[s.user_id].add(s.key)
                continue
            self.popularity[s.key] += s.weight * math.exp(-decay * (now - s.at).total_seconds())
            seen = self.history[s.user_id].get(s.key)
            if seen is None:
                self.history[s.user_id][s.key] = [s.weight, s.action, s.at]
            else:
                if s.weight > seen[0]:
                    seen[0], seen[1] = s.weight, s.action
                seen[2] = max(seen[2], s.at)
        self.now = now
        self._fit_popular()
        self._fit_pairs()
        self._fit_features()

    # -- popular now --------------------------------------------------------------------------

    def _fit_popular(self) -> None:
        best: dict[str, float] = defaultdict(float)
        for key, score in self.popularity.items():
            kind = self.items[key].kind
            best[kind] = max(best[kind], score)
        # Scores relative to the kind's most popular item, so one kind's volume (replies are
        # many, purchases few) does not crowd out the others.
        self.popular_score = {k: s / best[self.items[k].kind] for k, s in self.popularity.items() if s > 0}
        self.popular_ranked = sorted(self.popular_score, key=lambda k: (-self.popular_score[k], k))
        self.takers = Counter(key for taken in self.history.values() for key in taken)

    def popular(self, exclude: set[str], n: int, kinds: tuple[str, ...] = ()) -> list[Pick]:
        """The most popular items now that are not in ``exclude``."""
        picks = []
        for key in self.popular_ranked:
            if key not in exclude and (not kinds or self.items[key].kind in kinds):
                picks.append(Pick(key, self.popular_score[key], "popular"))
                if len(picks) == n:
                    break
        return picks

    # -- co-occurrence ------------------------------------------------------------------------

    def _fit_pairs(self) -> None:
        together: Counter = Counter()
        for taken in self.history.values():
            recent = sorted(taken, key=lambda k: taken[k][2], reverse=True)[: self.tuning.history_cap]
            recent.sort()
            for i, a in enumerate(recent):
                for b in recent[i + 1:]:
                    together[a, b] += 1
        near: dict[str, dict[str, float]] = defaultdict(dict)
        floor = self.tuning.min_pair_members
        for (a, b), count in together.items():
            if count < floor:  # the significance floor: one member alone never makes a pair
                continue
            sim = count / math.sqrt(self.takers[a] * self.takers[b]) * count / (count + 2)
            near[a][b] = near[b][a] = sim
        self.neighbours = {key: dict(_top(sims, self.tuning.neighbours)) for key, sims in near.items()}

    def also(self, user_id: int | None, exclude: set[str], n: int, kinds: tuple[str, ...] = ()) -> list[Pick]:
        """Items often taken by members who took what this member took ("also took")."""
        scores: dict[str, float] = defaultdict(float)
        anchor: dict[str, tuple[float, str]] = {}
        for key, (weight, _, _) in self.history.get(user_id, {}).items():
            for other, sim in self.neighbours.get(key, {}).items():
                if other in exclude or (kinds and self.items[other].kind not in kinds):
                    continue
                part = weight * sim
                scores[other] += part
                if part > anchor.get(other, (0.0, ""))[0]:
                    anchor[other] = (part, key)
        history = self.history.get(user_id, {})
        return [Pick(k, s, "also", anchor[k][1], history[anchor[k][1]][1]) for k, s in _top(scores, n)]

    # -- content match ------------------------------------------------------------------------

    def _fit_features(self) -> None:
        self.features = {key: item.all_features() for key, item in self.items.items()}
        df = Counter(f for feats in self.features.values() for f in set(feats))
        total = len(self.items) or 1
        self.idf = {f: math.log((1 + total) / (1 + count)) + 1 for f, count in df.items()}
        index: dict[str, list[str]] = defaultdict(list)
        for key, feats in self.features.items():
            for f in set(feats):
                index[f].append(key)
        # Each feature points at its most popular (then newest) items only, so a feature shared
        # by thousands of topics costs a bounded amount per member.
        newest = {k: (self.items[k].created_at.timestamp() if self.items[k].created_at else 0.0) for k in self.items}
        self.by_feature = {
            f: heapq.nlargest(self.tuning.feature_fanout, keys, key=lambda k: (self.popularity.get(k, 0.0), newest[k]))
            for f, keys in index.items()
        }

    def profile(self, user_id: int | None) -> tuple[dict[str, float], dict[str, tuple[str, str]]]:
        """The member's taste as feature weights, and where each feature came from:
        ``("interest", tag)`` or ``("item", key)``. Dismissed items count against their features."""
        weights: dict[str, float] = defaultdict(float)
        source: dict[str, tuple[str, str]] = {}
        best: dict[str, float] = {}
        for key, (weight, _, _) in self.history.get(user_id, {}).items():
            for f in self.features.get(key, ()):
                weights[f] += weight
                if weight > best.get(f, 0.0):
                    best[f], source[f] = weight, ("item", key)
        for tag in self.interests.get(user_id, []) if user_id is not None else []:
            f = f"tag:{tag.strip().lower()}"
            weights[f] += 2.0
            best[f], source[f] = 99.0, ("interest", tag)
        for key in self.dismissed.get(user_id, ()) if user_id is not None else ():
            for f in self.features.get(key, ()):
                weights[f] -= 1.0
        # Square roots, so a feature met on many small signals (a creator of ten topics) does
        # not drown one met on a strong signal (a tag of a finished course).
        return {f: math.sqrt(w) for f, w in weights.items() if w > 0}, source

    def _match(self, weights: dict[str, float], exclude: set[str], n: int, kinds: tuple[str, ...]):
        """(key, score, the feature that counted most) for the items sharing the most weight."""
        strongest = _top(weights, 20)
        scores: dict[str, float] = defaultdict(float)
        lead: dict[str, tuple[float, str]] = {}
        for f, w in strongest:
            part = w * self.idf.get(f, 1.0)
            for key in self.by_feature.get(f, ()):
                if key in exclude or (kinds and self.items[key].kind not in kinds):
                    continue
                scores[key] += part
                if part > lead.get(key, (0.0, ""))[0]:
                    lead[key] = (part, f)
        for key in scores:
            scores[key] /= math.sqrt(len(self.features[key]) or 1)
        return [(k, s, lead[k][1]) for k, s in _top(scores, n)]

    def content(self, user_id: int | None, exclude: set[str], n: int, kinds: tuple[str, ...] = ()) -> list[Pick]:
        """Items whose features match the member's interests and history."""
        weights, source = self.profile(user_id)
        history = self.history.get(user_id, {})
        picks = []
        for key, score, feature in self._match(weights, exclude, n, kinds):
            origin, ref = source[feature]
            if origin == "interest":
                picks.append(Pick(key, score, "interest", ref))
            else:
                picks.append(Pick(key, score, "similar", ref, history[ref][1]))
        return picks

    # -- the blend ----------------------------------------------------------------------------

    def taken(self, user_id: int | None) -> set[str]:
        """What the member must not be shown: what they took, and what they dismissed."""
        if user_id is None:
            return set()
        return (set(self.history.get(user_id, ())) | set(self.dismissed.get(user_id, ()))
                | self.forgotten.get(user_id, set()))

    def recommend(self, model: str, user_id: int | None, n: int, kinds: tuple[str, ...] = (),
                  weights: tuple[float, float, float] | None = None) -> list[Pick]:
        """The top ``n`` of ``model`` (one of ``MODELS``) for a member (None: a visitor)."""
        exclude = self.taken(user_id)
        if model == "popular":
            return self.popular(exclude, n, kinds)
        if model == "also":
            return self.also(user_id, exclude, n, kinds)
        if model == "content":
            return self.content(user_id, exclude, n, kinds)
        return self.blend(user_id, exclude, n, kinds, weights or self.tuning.weights)

    def blend(self, user_id, exclude: set[str], n: int, kinds: tuple[str, ...],
              weights: tuple[float, float, float]) -> list[Pick]:
        """The weighted sum of the models' scores, each scaled to its best; a member with no
        history gets content from their interests and popular items, a visitor popular items,
        and an item nobody has taken yet can come in through the content match."""
        pool = 4 * n
        if user_id not in self.history:  # a new member: their interests take co-occurrence's share
            weights = (0.0, weights[0] + weights[1], weights[2])
        lists = (self.also(user_id, exclude, pool, kinds), self.content(user_id, exclude, pool, kinds),
                 self.popular(exclude, pool, kinds))
        total: dict[str, float] = defaultdict(float)
        lead: dict[str, tuple[float, Pick]] = {}
        for weight, picks in zip(weights, lists, strict=True):
            best = max((p.score for p in picks), default=0.0) or 1.0
            for p in picks:
                part = weight * p.score / best
                total[p.key] += part
                if part > lead.get(p.key, (-1.0, p))[0]:
                    lead[p.key] = (part, p)
        return [Pick(k, s, lead[k][1].reason, lead[k][1].because, lead[k][1].action) for k, s in _top(total, n)]

    def related(self, key: str, n: int) -> list[Pick]:
        """Items of the same kind to show beside ``key``: taken together, sharing features, or
        popular; never the item itself."""
        kind = self.items[key].kind
        exclude = {key}
        scores: dict[str, float] = defaultdict(float)
        lead: dict[str, tuple[float, Pick]] = {}

        def add(pick: Pick, part: float) -> None:
            scores[pick.key] += part
            if part > lead.get(pick.key, (-1.0, pick))[0]:
                lead[pick.key] = (part, pick)

        near = {k: s for k, s in self.neighbours.get(key, {}).items() if self.items[k].kind == kind}
        best = max(near.values(), default=1.0)
        for other, sim in near.items():
            add(Pick(other, sim, "also", key), 0.6 * sim / best)
        own = {f: self.idf.get(f, 1.0) for f in self.features.get(key, ())}
        matched = self._match(own, exclude, 4 * n, (kind,))
        best = max((s for _, s, _ in matched), default=1.0)
        for other, score, feature in matched:
            reason, _, value = feature.partition(":")
            reason = reason if reason in ("tag", "creator", "circle", "series") else "like"
            add(Pick(other, score, reason, value if reason == "tag" else ""), 0.3 * score / best)
        for pick in self.popular(exclude, n, (kind,)):
            add(pick, 0.1 * pick.score)
        # Of equals (the weeks of a series), the sooner first.
        sooner = {k: -self.items[k].starts_at.timestamp() if self.items[k].starts_at else 0.0 for k in scores}
        best = heapq.nlargest(n, scores.items(), key=lambda kv: (kv[1], sooner[kv[0]], kv[0]))
        return [Pick(k, s, lead[k][1].reason, lead[k][1].because) for k, s in best]
