"""Offline evaluation: split the signals by time, fit every model on the past and score its
top ``k`` against what each member took afterwards (items they had not taken before)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

from plugins.recommendations.catalogue import Catalogue
from plugins.recommendations.rankers import Recommender, Tuning

#: The blends measured beside the three models: (also, content, popular) weights.
BLENDS = {
    "blend": None,  # the configured default (0.3, 0.3, 0.4 unless changed)
    "blend even": (0.45, 0.45, 0.1),
    "blend also-heavy": (0.7, 0.2, 0.1),
    "blend content-heavy": (0.2, 0.7, 0.1),
}


@dataclass(frozen=True)
class Score:
    model: str
    precision: float
    recall: float
    coverage: float
    novelty: float
    members: int


def evaluate(data: Catalogue, tuning: Tuning, k: int = 10, train_share: float = 0.8, sample: int = 2000,
             seed: int = 1) -> tuple[list[Score], dict]:
    """The scores of each model and blend, and what the split was (cutoff, sizes)."""
    signals = sorted(data.signals, key=lambda s: s.at)
    if len(signals) < 10:
        return [], {"signals": len(signals)}
    cutoff = signals[int(len(signals) * train_share)].at
    past = [s for s in signals if s.at < cutoff]
    model = Recommender(data.items, past, data.interests, cutoff, tuning)
    later: dict[int, set[str]] = defaultdict(set)
    for s in signals:
        if s.at >= cutoff and s.key in model.items and s.key not in model.history.get(s.user_id, {}):
            later[s.user_id].add(s.key)
    members = sorted(later)
    random.Random(seed).shuffle(members)
    members = members[:sample]
    trained = len(model.history) or 1
    scores = []
    for name in ("popular", "also", "content", *BLENDS):
        kind = "blend" if name.startswith("blend") else name
        hits_p = hits_r = novelty = 0.0
        shown = 0
        covered: set[str] = set()
        for uid in members:
            picks = model.recommend(kind, uid, k, weights=BLENDS.get(name))
            keys = {p.key for p in picks}
            covered |= keys
            hits = len(keys & later[uid])
            hits_p += hits / k
            hits_r += hits / len(later[uid])
            for key in keys:
                novelty += -math.log2((model.takers.get(key, 0) + 1) / (trained + 1))
            shown += len(keys)
        n = len(members) or 1
        scores.append(Score(name, hits_p / n, hits_r / n, len(covered) / (len(model.items) or 1),
                            novelty / (shown or 1), len(members)))
    split = {"signals": len(signals), "train": len(past), "cutoff": cutoff.isoformat(timespec="minutes"),
             "members": len(members), "items": len(model.items), "k": k}
    return scores, split


def table(scores: list[Score]) -> str:
    """The scores as a Markdown table."""
    lines = ["| model | precision@k | recall@k | coverage | novelty (bits) |", "| --- | --- | --- | --- | --- |"]
    for s in scores:
        lines.append(f"| {s.model} | {s.precision:.4f} | {s.recall:.4f} | {s.coverage:.3f} | {s.novelty:.2f} |")
    return "\n".join(lines)
