"""Turning per-token class probabilities into tag sequences and entities.

* ``viterbi_iob``: the most probable tag sequence that is legal IOB2 (an ``I-X`` only after
  ``B-X`` or ``I-X``): the window classifier scores tokens independently, and this decode
  only forbids impossible transitions — it learns nothing.
* ``tokenize``: a small regex tokenizer for raw sentences ("Hilton," -> "Hilton", ",").
* ``decode_all``: per-sentence tag sequences from a model's per-token probabilities
  (Viterbi, argmax, or the binary task's threshold, as the model's config says).
* ``entities``: (text, type, start, end) spans from a tag sequence, via conlleval's chunks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graphflow.data.conll import split_tag, to_iob2
from graphflow.data.metrics import extract_chunks

if TYPE_CHECKING:
    from graphflow.models.window_ner import WindowNERConfig

_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|\w+(?:[-'’]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Split raw text into CoNLL-style tokens: words (with inner hyphens/apostrophes,
    abbreviations like "U.S.") and single punctuation marks."""
    return _TOKEN.findall(text)


def allowed_transitions(tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(start_ok[k], trans_ok[j, k]): which tags may start a sentence / follow tag j."""
    parsed = [split_tag(t) for t in tags]
    n = len(tags)
    start = np.array([p != "I" for p, _ in parsed])
    trans = np.ones((n, n), dtype=bool)
    for j, (pj, tj) in enumerate(parsed):
        for k, (pk, tk) in enumerate(parsed):
            if pk == "I" and not (pj in ("B", "I") and tj == tk):
                trans[j, k] = False
    return start, trans


def viterbi_iob(probs: np.ndarray, tags: Sequence[str]) -> np.ndarray:
    """Most probable legal IOB2 sequence for one sentence; ``probs`` is (length, n_tags)."""
    start_ok, trans_ok = allowed_transitions(tags)
    with np.errstate(divide="ignore"):
        logp = np.log(np.clip(probs, 1e-12, 1.0))
        trans = np.where(trans_ok, 0.0, -np.inf)
    n = probs.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    score = np.where(start_ok, logp[0], -np.inf)
    back = np.zeros((n, probs.shape[1]), dtype=np.int64)
    for i in range(1, n):
        total = score[:, None] + trans  # previous j -> current k
        back[i] = np.argmax(total, axis=0)
        score = total[back[i], np.arange(probs.shape[1])] + logp[i]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


@dataclass(frozen=True)
class Entity:
    """One predicted entity: its words, type and token span [start, end)."""

    text: str
    type: str
    start: int
    end: int


def entities(words: Sequence[str], tags: Sequence[str]) -> list[Entity]:
    """Entities in a tagged sentence (IOB1/IOB2/IO tags, conlleval's chunk rules)."""
    return [Entity(" ".join(words[s:e]), t, s, e) for t, s, e in extract_chunks(list(tags))]


def decode_all(probs: np.ndarray, split: Callable[[np.ndarray], list[np.ndarray]],
               tags: Sequence[str], config: WindowNERConfig) -> list[list[str]]:
    """Per-sentence IOB2 tag sequences from per-token probabilities."""
    if config.binary_class is not None:
        cls = config.binary_class
        return [to_iob2([cls if p > 0.5 else "O" for p in sent]) for sent in split(probs)]
    out = []
    for sent in split(probs):
        if config.scheme == "iob" and config.decode == "viterbi":
            ids = viterbi_iob(sent, tags)
        else:
            ids = np.argmax(sent, axis=1) if len(sent) else np.zeros(0, np.int64)
        out.append(to_iob2([tags[i] for i in ids]))
    return out
