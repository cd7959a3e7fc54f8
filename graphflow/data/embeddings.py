"""Loading pretrained GloVe word vectors into a vocabulary-aligned embedding matrix.

File format: GloVe text, one vector per line, ``word v1 v2 ... vD`` separated by single spaces.
An optional word2vec-style header line ``<n_words> <dim>`` is recognised and skipped; blank lines
are ignored. Every line must have ``1 + D`` fields with the same ``D``; otherwise
``EmbeddingFormatError`` names the file and 1-based line. Values are parsed (and checked to be
numbers) only for lines whose word is used, so a huge file loads quickly.

Matching: our vocabulary holds *normalised* words (lower-case, digits -> ``0``, see
``graphflow.data.vocab.normalize_word``). Each GloVe word ``g`` is indexed under
``normalize_word(g)`` and a vocabulary entry receives the **average** of all GloVe vectors whose
normalised form equals it:

* for words without digits in an uncased file (GloVe 6B) this is exactly the lower-cased GloVe
  word's vector (``paris`` <- ``paris``); in a cased file the case variants are averaged;
* numbers: GloVe has "1996", "1995", ... but our entry is "0000"; it gets the mean vector of
  all GloVe words of that shape ("1996", "2001", ...), a smooth "4-digit number / year" vector.
  Likewise "0" is the mean of the ten single digits, "0.00" of all such decimals, and so on.

Special tokens (``<unk>``, ``<s>``, ``</s>``) and words not found get small random vectors
``N(0, init_scale^2)`` drawn from ``numpy.random.default_rng(seed)`` (the whole matrix is drawn
first, then found rows are overwritten, so results depend only on seed, vocabulary and file).
A GloVe line for a special token (e.g. ``<unk>``) is ignored.

``coverage`` is the fraction of non-special vocabulary entries that received a GloVe vector.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from graphflow.data.vocab import SPECIAL_TOKENS, Vocabulary, normalize_word

__all__ = [
    "EmbeddingFormatError",
    "GloveEmbeddings",
    "build_vocab_with_embeddings",
    "load_glove",
    "read_glove_words",
]

_MAX_QUOTE = 60


class EmbeddingFormatError(ValueError):
    """Malformed GloVe file; the message names the file and 1-based line number."""

    def __init__(self, path: str | os.PathLike[str], line_no: int, line: str, problem: str):
        self.path = str(path)
        self.line_no = line_no
        if line_no <= 0:  # a problem with the file as a whole
            super().__init__(f"{self.path}: {problem}")
            return
        quoted = line if len(line) <= _MAX_QUOTE else line[:_MAX_QUOTE] + "..."
        super().__init__(f"{self.path}:{line_no}: {problem} (line starts {quoted!r})")


class GloveEmbeddings(NamedTuple):
    """``matrix``: float32 ``(len(vocab), dim)``; ``coverage``: fraction found (see module)."""

    matrix: np.ndarray
    coverage: float


def _is_header(parts: list[str]) -> bool:
    return len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit()


def _iter_lines(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """Yield ``(line_no, line, fields)`` for each vector line (header and blanks skipped)."""
    with open(path, encoding="utf-8") as fh:
        first = True
        for line_no, raw in enumerate(fh, start=1):
            line = raw.rstrip()
            if not line:
                continue
            parts = line.split(" ")
            if first:
                first = False
                if _is_header(parts):
                    continue
            yield line_no, line, parts


def read_glove_words(path: str | os.PathLike[str], limit: int | None = None) -> list[str]:
    """The words of a GloVe file in file order (GloVe files are sorted by frequency)."""
    words: list[str] = []
    for _, _, parts in _iter_lines(Path(path)):
        if limit is not None and len(words) >= limit:
            break
        words.append(parts[0])
    return words


def load_glove(
    path: str | os.PathLike[str],
    vocab: Vocabulary,
    dim: int | None = None,
    seed: int = 0,
    init_scale: float = 0.1,
) -> GloveEmbeddings:
    """Embedding matrix for ``vocab`` from a GloVe text file (see the module docstring).

    ``dim`` (if given) must equal the file's dimension; otherwise it is taken from the first
    vector line. Returns ``GloveEmbeddings(matrix, coverage)``, which unpacks as a tuple.
    """
    path = Path(path)
    file_dim: int | None = None
    first_line_no = 0
    sums: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    n_special = len(SPECIAL_TOKENS)
    for line_no, line, parts in _iter_lines(path):
        n = len(parts) - 1
        if file_dim is None:
            if n < 1 or not parts[0]:
                raise EmbeddingFormatError(path, line_no, line,
                                           "expected 'word v1 ... vD' separated by single spaces")
            if dim is not None and n != dim:
                raise EmbeddingFormatError(path, line_no, line,
                                           f"vectors have dimension {n} but dim={dim} was asked")
            file_dim, first_line_no = n, line_no
        elif n != file_dim:
            raise EmbeddingFormatError(
                path, line_no, line,
                f"inconsistent dimension: expected a word and {file_dim} values "
                f"(as on line {first_line_no}), got {n} values",
            )
        if not parts[0]:
            raise EmbeddingFormatError(path, line_no, line, "empty word (line starts with space)")
        idx = vocab.lookup(normalize_word(parts[0]))
        if idx is None or idx < n_special:
            continue
        try:
            vec = np.array(parts[1:], dtype=np.float64)
        except ValueError:
            raise EmbeddingFormatError(path, line_no, line,
                                       "expected numeric vector values after the word") from None
        if idx in sums:
            sums[idx] += vec
            counts[idx] += 1
        else:
            sums[idx] = vec
            counts[idx] = 1
    if file_dim is None:
        raise EmbeddingFormatError(path, 0, "", "no vectors found in the file (empty?)")
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, init_scale, size=(len(vocab), file_dim)).astype(np.float32)
    for idx, total in sums.items():
        matrix[idx] = (total / counts[idx]).astype(np.float32)
    n_real = len(vocab) - n_special
    coverage = len(sums) / n_real if n_real > 0 else 0.0
    return GloveEmbeddings(matrix, coverage)


def build_vocab_with_embeddings(
    sentences: Iterable[Any],
    glove_path: str | os.PathLike[str],
    min_count: int = 1,
    max_glove_words: int | None = None,
    dim: int | None = None,
    seed: int = 0,
    init_scale: float = 0.1,
) -> tuple[Vocabulary, GloveEmbeddings]:
    """A vocabulary of training words *plus* GloVe words, with its embedding matrix.

    Ids: the 3 special tokens, then training words with count >= ``min_count`` (by frequency),
    then the normalised GloVe words not already present, in GloVe file order (most frequent
    first), optionally only the first ``max_glove_words`` lines of the file. This is the usual
    practice (e.g. CS224N's 100k-word list): dev/test words unseen in training but known to GloVe
    keep their pretrained vectors instead of collapsing to ``<unk>``. Coverage is computed over
    the whole resulting vocabulary.
    """
    extra = read_glove_words(glove_path, limit=max_glove_words)
    vocab = Vocabulary.build(sentences, min_count=min_count, extra_words=extra)
    return vocab, load_glove(glove_path, vocab, dim=dim, seed=seed, init_scale=init_scale)
