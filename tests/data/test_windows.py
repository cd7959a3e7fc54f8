"""Tests for graphflow.data.windows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphflow.data.conll import Sentence
from graphflow.data.vocab import CASING_PAD, END_ID, START_ID, TagSet, Vocabulary
from graphflow.data.windows import make_corpus_windows, make_windows

S, E = 1, 2


def test_lecture_example_window_around_paris() -> None:
    words = ["the", "museums", "in", "Paris", "are", "amazing", "to", "see"]
    vocab = Vocabulary.build([words])
    windows = make_windows(vocab.ids(words), 2, START_ID, END_ID)
    assert windows.shape == (8, 5) and windows.dtype == np.int32
    assert [vocab.id_to_word(i) for i in windows[3]] == ["museums", "in", "paris", "are",
                                                         "amazing"]


def test_padding_at_sentence_start_and_end() -> None:
    w = make_windows([10, 11, 12, 13], 2, S, E)
    np.testing.assert_array_equal(w, [[S, S, 10, 11, 12],
                                      [S, 10, 11, 12, 13],
                                      [10, 11, 12, 13, E],
                                      [11, 12, 13, E, E]])


def test_sentence_shorter_than_window() -> None:
    np.testing.assert_array_equal(make_windows([7], 2, S, E), [[S, S, 7, E, E]])
    np.testing.assert_array_equal(make_windows([7, 8], 3, S, E),
                                  [[S, S, S, 7, 8, E, E], [S, S, 7, 8, E, E, E]])


def test_empty_sentence_and_window_zero() -> None:
    empty = make_windows([], 2, S, E)
    assert empty.shape == (0, 5) and empty.dtype == np.int32
    np.testing.assert_array_equal(make_windows([4, 5], 0, S, E), [[4], [5]])
    with pytest.raises(ValueError, match="non-negative int"):
        make_windows([1], -1, S, E)


def _naive(ids: list[int], w: int) -> list[list[int]]:
    padded = [S] * w + ids + [E] * w
    return [padded[i : i + 2 * w + 1] for i in range(len(ids))]


@given(st.lists(st.integers(3, 50), max_size=12), st.integers(0, 4))
def test_make_windows_matches_naive(ids: list[int], w: int) -> None:
    assert make_windows(ids, w, S, E).tolist() == _naive(ids, w)


def _corpus() -> list[Sentence]:
    return [
        Sentence(["Anna", "visited", "Paris", "."], ["B-PER", "O", "B-LOC", "O"]),
        Sentence([], []),
        Sentence(["EU"], ["B-ORG"]),
        Sentence(["the", "Paris", "Hilton"], ["O", "B-PER", "I-PER"]),
    ]


def test_corpus_windows_match_per_sentence_windows() -> None:
    sents = _corpus()
    vocab, tags = Vocabulary.build(sents), TagSet.build(sents)
    data = make_corpus_windows(sents, vocab, 1, tags)
    assert data.words.shape == (8, 3) and data.casings.shape == (8, 3) and len(data) == 8
    assert data.words.dtype == np.int32 and data.casings.dtype == np.int32
    expected = np.concatenate([make_windows(vocab.ids(s.words), 1) for s in sents])
    np.testing.assert_array_equal(data.words, expected)
    # "EU" alone: <s> EU </s>; casing pad / upper / pad
    np.testing.assert_array_equal(data.words[4], [START_ID, vocab.word_to_id("EU"), END_ID])
    np.testing.assert_array_equal(data.casings[4], [CASING_PAD, 1, CASING_PAD])
    np.testing.assert_array_equal(data.casings[0], [CASING_PAD, 2, 0])  # <s> Anna visited
    assert data.tags is not None
    assert tags.decode(data.tags) == [t for s in sents for t in s.tags]
    assert data.lengths.tolist() == [4, 0, 1, 3]


def test_split_restores_sentences() -> None:
    sents = _corpus()
    data = make_corpus_windows(sents, Vocabulary.build(sents), 2)
    assert data.tags is None
    parts = data.split(np.arange(8))
    assert [p.tolist() for p in parts] == [[0, 1, 2, 3], [], [4], [5, 6, 7]]
    with pytest.raises(ValueError, match="expected 8 per-token values, got 3"):
        data.split([1, 2, 3])


def test_corpus_windows_empty_and_unknown_tag() -> None:
    vocab = Vocabulary.build([["a"]])
    empty = make_corpus_windows([], vocab, 2, TagSet(["O"]))
    assert empty.words.shape == (0, 5) and empty.split([]) == []
    with pytest.raises(ValueError, match="unknown tag 'B-PER'"):
        make_corpus_windows([Sentence(["a"], ["B-PER"])], vocab, 1, TagSet(["O"]))


@given(st.lists(st.lists(st.sampled_from(["a", "B", "cc", "D1"]), max_size=6), max_size=6),
       st.integers(0, 3))
def test_corpus_windows_property(word_lists: list[list[str]], w: int) -> None:
    sents = [Sentence(ws, ["O"] * len(ws)) for ws in word_lists]
    vocab = Vocabulary.build(sents)
    data = make_corpus_windows(sents, vocab, w)
    rows = [r for s in sents for r in _naive(vocab.ids(s.words), w)]
    assert data.words.tolist() == rows
    assert data.words.shape == (sum(map(len, word_lists)), 2 * w + 1)
