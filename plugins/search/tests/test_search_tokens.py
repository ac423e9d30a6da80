"""The analyzer: Chinese two-character words by bigrams, stemmed English, width folding."""

from __future__ import annotations

import random

from plugins.search.tokens import terms


def test_chinese_two_character_words_are_found_wherever_they_are():
    """Recall against a brute-force scan over random Chinese text (the bench measures more)."""
    rng = random.Random(7)
    chars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"
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
