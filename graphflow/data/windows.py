"""Fixed-size context windows around every token, for window-based NER classifiers.

A window of half-width ``w`` around token ``i`` holds the ids of tokens ``i-w .. i+w``; positions
before the sentence start are filled with the ``<s>`` id and positions after its end with the
``</s>`` id. With ``w = 2`` the window around "Paris" in "the museums in Paris are amazing to see"
is ``[museums, in, Paris, are, amazing]``. Windows never cross sentence boundaries.

``make_corpus_windows`` does this for a whole corpus at once: it lays all sentences out in one
flat padded array (each sentence surrounded by ``w`` pad ids on each side) and gathers every
window with a single fancy-indexing operation. The casing feature is windowed the same way, with
``CASING_PAD`` at padding positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.data.vocab import CASING_PAD, END_ID, START_ID, TagSet, Vocabulary, casing

__all__ = ["WindowedCorpus", "make_corpus_windows", "make_windows"]


def _check_window(window: int) -> None:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
        raise ValueError(f"window must be a non-negative int (half-width), got {window!r}")


def make_windows(word_ids: Sequence[int], window: int, start_id: int = START_ID,
                 end_id: int = END_ID) -> np.ndarray:
    """Windows of half-width ``window`` around each token of one sentence.

    Returns an ``int32`` array of shape ``(len(word_ids), 2 * window + 1)``; row ``i`` is
    ``word_ids[i - window : i + window + 1]`` padded with ``start_id`` on the left and ``end_id``
    on the right. An empty sentence gives shape ``(0, 2 * window + 1)``.
    """
    _check_window(window)
    ids = np.asarray(word_ids, dtype=np.int32).reshape(-1)
    padded = np.concatenate([
        np.full(window, start_id, dtype=np.int32), ids, np.full(window, end_id, dtype=np.int32)
    ])
    index = np.arange(len(ids))[:, None] + np.arange(2 * window + 1)[None, :]
    return padded[index]


@dataclass
class WindowedCorpus:
    """Windows for every token of a corpus, in corpus order.

    ``words`` and ``casings`` have shape ``(n_tokens, 2 * window + 1)`` (int32), ``tags`` shape
    ``(n_tokens,)`` (int32, or ``None`` when no tag set was given) and ``lengths`` the number of
    tokens of each sentence (so that flat predictions can be split back with ``split``).
    """

    words: np.ndarray
    casings: np.ndarray
    tags: np.ndarray | None
    lengths: np.ndarray
    window: int

    def __len__(self) -> int:
        return int(self.words.shape[0])

    def split(self, flat: np.ndarray | Sequence[Any]) -> list[np.ndarray]:
        """Split a per-token array (e.g. predicted tag ids) into per-sentence arrays."""
        flat = np.asarray(flat)
        if flat.shape[0] != len(self):
            raise ValueError(f"expected {len(self)} per-token values, got {flat.shape[0]}")
        return np.split(flat, np.cumsum(self.lengths)[:-1]) if len(self.lengths) else []


def make_corpus_windows(
    sentences: Sequence[Any],
    vocab: Vocabulary,
    window: int,
    tagset: TagSet | None = None,
) -> WindowedCorpus:
    """Word-id windows, casing windows and tag ids for all tokens of ``sentences``.

    ``sentences`` are ``Sentence`` objects (``.words``/``.tags``); with ``tagset=None`` tags are
    not needed and ``WindowedCorpus.tags`` is ``None``. Empty sentences contribute no rows.
    Raises ``ValueError`` for a tag that is not in ``tagset``.
    """
    _check_window(window)
    width = 2 * window + 1
    lengths = np.array([len(s.words) for s in sentences], dtype=np.int64)
    n_tokens = int(lengths.sum())
    # Flat layout: [pad*w, sent0, pad*w, pad*w, sent1, pad*w, ...]; block i starts at
    # offsets[i] and its first token is at offsets[i] + w.
    block = lengths + 2 * window
    offsets = np.cumsum(block) - block
    total = int(block.sum())
    flat_words = np.empty(total, dtype=np.int32)
    flat_case = np.full(total, CASING_PAD, dtype=np.int32)
    # Default every slot to </s>, then mark the left padding of each block with <s>.
    flat_words.fill(END_ID)
    left = (offsets[:, None] + np.arange(window)[None, :]).reshape(-1)
    flat_words[left] = START_ID
    # Token positions inside the flat layout.
    sent_of_token = np.repeat(np.arange(len(lengths)), lengths)
    first_token = np.cumsum(lengths) - lengths
    pos_in_sent = np.arange(n_tokens) - np.repeat(first_token, lengths)
    token_pos = offsets[sent_of_token] + window + pos_in_sent
    all_words = [w for s in sentences for w in s.words]
    # Normalise / case each distinct word once, then map tokens through dicts.
    word_id = {w: vocab.word_to_id(w) for w in set(all_words)}
    case_id = {w: casing(w) for w in word_id}
    flat_words[token_pos] = np.fromiter((word_id[w] for w in all_words), np.int32, n_tokens)
    flat_case[token_pos] = np.fromiter((case_id[w] for w in all_words), np.int32, n_tokens)
    gather = token_pos[:, None] + np.arange(width)[None, :] - window
    tags = None
    if tagset is not None:
        all_tags = [t for s in sentences for t in s.tags]
        tags = np.asarray(tagset.ids(all_tags), dtype=np.int32).reshape(-1)
    return WindowedCorpus(
        words=flat_words[gather].reshape(n_tokens, width),
        casings=flat_case[gather].reshape(n_tokens, width),
        tags=tags,
        lengths=lengths,
        window=window,
    )
