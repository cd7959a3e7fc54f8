"""Tests for graphflow.data.embeddings on tiny GloVe files (plus one real-data check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphflow.data.conll import Sentence
from graphflow.data.embeddings import (
    EmbeddingFormatError,
    build_vocab_with_embeddings,
    load_glove,
    read_glove_words,
)
from graphflow.data.vocab import Vocabulary

TINY = """the 1 0 0
paris 0 1 0
1996 2 2 2
2001 4 0 2
7 1 1 1
<unk> 9 9 9
zebra 5 5 5
"""


@pytest.fixture()
def tiny_glove(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.glove.txt"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture()
def vocab() -> Vocabulary:
    # normalised entries: the paris 0000 0 unseenword
    return Vocabulary.build([Sentence(["The", "Paris", "1998", "5", "unseenword"], ["O"] * 5)])


def test_load_glove_matching_and_number_averaging(tiny_glove: Path, vocab: Vocabulary) -> None:
    matrix, coverage = load_glove(tiny_glove, vocab)
    assert matrix.shape == (len(vocab), 3) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[vocab.word_to_id("The")], [1, 0, 0])
    np.testing.assert_array_equal(matrix[vocab.word_to_id("PARIS")], [0, 1, 0])
    # "1998" -> "0000": mean of GloVe "1996" and "2001"
    np.testing.assert_array_equal(matrix[vocab.word_to_id("1998")], [3, 1, 2])
    np.testing.assert_array_equal(matrix[vocab.word_to_id("5")], [1, 1, 1])  # from "7"
    # 4 of the 5 non-special words found
    assert coverage == pytest.approx(4 / 5)
    unseen = matrix[vocab.word_to_id("unseenword")]
    assert 0 < np.abs(unseen).max() < 1.0  # small random init, N(0, 0.1^2)
    assert not np.allclose(matrix[0], [9, 9, 9])  # GloVe's <unk> line is not used


def test_random_rows_are_seeded(tiny_glove: Path, vocab: Vocabulary) -> None:
    a, _ = load_glove(tiny_glove, vocab, seed=3)
    b, _ = load_glove(tiny_glove, vocab, seed=3)
    c, _ = load_glove(tiny_glove, vocab, seed=4)
    np.testing.assert_array_equal(a, b)
    unk = vocab.word_to_id("unseenword")
    assert not np.allclose(a[unk], c[unk])
    np.testing.assert_array_equal(a[vocab.word_to_id("the")], c[vocab.word_to_id("the")])


def test_header_line_and_blank_lines(tmp_path: Path, vocab: Vocabulary) -> None:
    path = tmp_path / "w2v.txt"
    path.write_text("2 3\nthe 1 2 3\n\nparis 4 5 6\n")
    matrix, coverage = load_glove(path, vocab, dim=3)
    np.testing.assert_array_equal(matrix[vocab.word_to_id("the")], [1, 2, 3])
    assert coverage == pytest.approx(2 / 5)
    assert read_glove_words(path) == ["the", "paris"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("the 1 0 0\nparis 0 1\n",
         (r"bad.txt:2: inconsistent dimension: expected a word and 3 values \(as on line 1\), "
          r"got 2")),
        ("the 1 0 0\nparis 0 x 0\n", r"bad.txt:2: expected numeric vector values"),
        ("the\n", r"bad.txt:1: expected 'word v1 ... vD'"),
        ("the 1 0 0\n 1 0 0\n", r"bad.txt:2: .*"),
        ("", r"bad.txt: no vectors found"),
    ],
)
def test_malformed_glove(tmp_path: Path, vocab: Vocabulary, text: str, match: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(EmbeddingFormatError, match=match):
        load_glove(path, vocab)


def test_dim_mismatch(tiny_glove: Path, vocab: Vocabulary) -> None:
    with pytest.raises(EmbeddingFormatError, match=r":1: vectors have dimension 3 but dim=50"):
        load_glove(tiny_glove, vocab, dim=50)


def test_build_vocab_with_embeddings(tiny_glove: Path) -> None:
    train = [Sentence(["zebra", "zebra", "Oslo"], ["O", "O", "B-LOC"])]
    vocab, (matrix, coverage) = build_vocab_with_embeddings(train, tiny_glove)
    # training words by frequency, then GloVe words in file order (normalised, deduplicated)
    # GloVe's "<unk>" (a special token) and "zebra" (already a training word) add nothing
    assert vocab.words == ["<unk>", "<s>", "</s>", "zebra", "oslo", "the", "paris", "0000", "0"]
    assert matrix.shape == (9, 3)
    assert coverage == pytest.approx(5 / 6)  # all but "oslo"
    np.testing.assert_array_equal(matrix[vocab.word_to_id("2020")], [3, 1, 2])
    small, _ = build_vocab_with_embeddings(train, tiny_glove, max_glove_words=2)
    assert small.words[3:] == ["zebra", "oslo", "the", "paris"]


def test_real_glove_coverage_on_conll_train(glove_50d: Path, conll_train: list) -> None:
    vocab = Vocabulary.build(conll_train)
    matrix, coverage = load_glove(glove_50d, vocab, dim=50)
    assert matrix.shape == (len(vocab), 50)
    assert coverage > 0.9
    the = matrix[vocab.word_to_id("the")]
    np.testing.assert_allclose(the[:3], [0.418, 0.24968, -0.41242], rtol=1e-6)
