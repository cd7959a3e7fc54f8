"""Tokenizer, constrained IOB decoding and entity extraction for the NER showcase."""

from __future__ import annotations

import itertools

import numpy as np

from graphflow.models.ner_decode import allowed_transitions, entities, tokenize, viterbi_iob

TAGS = ["O", "B-LOC", "B-PER", "I-LOC", "I-PER"]


def test_tokenize_splits_punctuation_and_keeps_abbreviations():
    assert tokenize("Last night, Paris Hilton wowed in a sequin gown.") == [
        "Last", "night", ",", "Paris", "Hilton", "wowed", "in", "a", "sequin", "gown", "."]
    assert tokenize("The U.S. team beat O'Neill's side 3-1.") == [
        "The", "U.S.", "team", "beat", "O'Neill's", "side", "3-1", "."]
    assert tokenize("") == []


def test_allowed_transitions_forbid_i_after_other_types():
    start, trans = allowed_transitions(TAGS)
    assert start.tolist() == [True, True, True, False, False]
    assert trans[TAGS.index("B-LOC"), TAGS.index("I-LOC")]
    assert trans[TAGS.index("I-LOC"), TAGS.index("I-LOC")]
    assert not trans[TAGS.index("O"), TAGS.index("I-LOC")]
    assert not trans[TAGS.index("B-PER"), TAGS.index("I-LOC")]


def _legal(seq):
    start, trans = allowed_transitions(TAGS)
    return start[seq[0]] and all(trans[a, b] for a, b in itertools.pairwise(seq))


def test_viterbi_equals_brute_force_best_legal_sequence():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 5))
        probs = rng.dirichlet(np.ones(len(TAGS)), size=n)
        best, best_score = None, -np.inf
        for seq in itertools.product(range(len(TAGS)), repeat=n):
            if _legal(seq):
                score = float(np.sum(np.log(probs[np.arange(n), seq])))
                if score > best_score:
                    best, best_score = seq, score
        assert tuple(viterbi_iob(probs, TAGS)) == best


def test_viterbi_repairs_an_illegal_greedy_sequence():
    # Greedy would give I-PER I-PER (illegal start); the decode must start with B-PER.
    probs = np.array([[0.05, 0.05, 0.4, 0.05, 0.45], [0.05, 0.05, 0.05, 0.05, 0.8]])
    assert [TAGS[i] for i in viterbi_iob(probs, TAGS)] == ["B-PER", "I-PER"]


def test_entities_from_tags():
    words = ["Samuel", "Quinn", "was", "arrested", "in", "the", "Hilton", "Hotel"]
    tags = ["B-PER", "I-PER", "O", "O", "O", "O", "B-LOC", "I-LOC"]
    found = entities(words, tags)
    assert [(e.text, e.type, e.start, e.end) for e in found] == [
        ("Samuel Quinn", "PER", 0, 2), ("Hilton Hotel", "LOC", 6, 8)]
