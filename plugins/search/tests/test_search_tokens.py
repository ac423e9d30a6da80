"""The analyzer: Chinese two-character words by bigrams, stemmed English, width folding."""

from __future__ import annotations

import random

from plugins.search.tokens import terms


def test_chinese_two_character_words_are_found_wherever_they_are():
    """Recall against a brute-force scan over random Chinese text (the bench measures more)."""
    rng = random.Random(7)
    chars = [chr(code) for code in range(0x4E00, 0x4E00 + 300)]  # few characters: many repeated pairs
    docs = ["".join(rng.choice(chars) for _ in range(rng.randint(5, 40))) for _ in range(400)]
    indexed = [set(terms(doc)) for doc in docs]
    found = missed = 0
    for word in {doc[i:i + 2] for doc in docs[:50] for i in range(0, len(doc) - 1, 7)}:
        truth = {n for n, doc in enumerate(docs) if word in doc}
        hits = {n for n, doc_terms in enumerate(indexed) if set(terms(word)) <= doc_terms}
        assert truth <= hits
        found += len(truth)
        missed += len(truth - hits)
    assert found > 100 and missed == 0


def test_english_is_stemmed_and_stop_words_dropped():
    assert terms("The plotting of charts") == ["plot", "chart"]


def test_full_width_and_mixed_text():
    assert terms("ＰＹＴＨＯＮ３学习") == ["python3", "学习"]
    assert terms("用Python做机器学习") == ["用", "python", "做机", "机器", "器学", "学习"]
