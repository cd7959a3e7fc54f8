"""Turning per-token class probabilities into tag sequences and entities.

* ``viterbi_iob``: the most probable tag sequence that is legal IOB2 (an ``I-X`` only after
  ``B-X`` or ``I-X``): the window classifier scores tokens independently, and this decode
  only forbids impossible transitions — it learns nothing.
* ``CrfDecoder``: for a CRF model, the highest-scoring tag sequence under its emission scores
  and learned transition matrix, by graphflow's ``CrfDecode`` op (Viterbi) in a small graph
  of its own (the exported ``model.pb`` holds only TensorFlow ops: emission scores and the
  transition matrix); with ``decode="viterbi"`` illegal IOB2 transitions and starts are
  forbidden too.
* ``tokenize``: a small regex tokenizer for raw sentences ("Hilton," -> "Hilton", ",").
* ``decode_all``: per-sentence tag sequences from a model's per-token outputs
  (probabilities; emission scores + transitions for a CRF): Viterbi, argmax, or the binary
  task's threshold, as the model's config says.
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
from graphflow.framework import dtypes
from graphflow.framework.graph import Graph
from graphflow.ops.array_ops import placeholder
from graphflow.ops.crf_ops import crf_decode
from graphflow.runtime.session import Session

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


#: Added to the score of an illegal IOB2 transition/start when decoding with constraints.
FORBIDDEN = -1e4


class CrfDecoder:
    """Viterbi decoding of a CRF's emission scores with its transition matrix (``CrfDecode``
    in a graph of its own). ``constrained`` also forbids illegal IOB2 sequences (an ``I-X``
    not after ``B-X``/``I-X``, or at a sentence start)."""

    def __init__(self, transitions: np.ndarray, tags: Sequence[str], constrained: bool = True,
                 chunk: int = 512) -> None:
        trans = np.asarray(transitions, np.float32)
        k = len(tags)
        if trans.shape != (k, k):
            raise ValueError(f"transitions must be ({k}, {k}) for {k} tags, got {trans.shape}")
        self.start_penalty = np.zeros(k, np.float32)
        if constrained:
            start_ok, trans_ok = allowed_transitions(tags)
            trans = trans + np.where(trans_ok, 0.0, FORBIDDEN).astype(np.float32)
            self.start_penalty = np.where(start_ok, 0.0, FORBIDDEN).astype(np.float32)
        self.chunk, self.num_tags = chunk, k
        self.graph = Graph()
        with self.graph.as_default():
            self.potentials = placeholder(dtypes.float32, [None, None, k], name="potentials")
            self.lengths = placeholder(dtypes.int32, [None], name="sequence_lengths")
            self.path, _ = crf_decode(self.potentials, trans, self.lengths)
        self.session = Session(graph=self.graph)

    def decode(self, sentences: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Tag ids of each sentence from its (length, tags) emission scores; sentences are
        decoded in chunks of similar length (little padding)."""
        out: list[np.ndarray] = [np.zeros(0, np.int64)] * len(sentences)
        lengths = np.array([len(s) for s in sentences], dtype=np.int64)
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), self.chunk):
            rows = order[start:start + self.chunk]
            steps = int(lengths[rows].max()) if len(rows) else 0
            if steps == 0:
                continue
            batch = np.zeros((len(rows), steps, self.num_tags), np.float32)
            for i, r in enumerate(rows):
                batch[i, :lengths[r]] = sentences[r]
            batch[:, 0] += self.start_penalty
            path = self.session.run(self.path, {self.potentials: batch,
                                                self.lengths: lengths[rows].astype(np.int32)})
            for i, r in enumerate(rows):
                out[r] = path[i, :lengths[r]].astype(np.int64)
        return out


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
               tags: Sequence[str], config: WindowNERConfig,
               transitions: np.ndarray | None = None) -> list[list[str]]:
    """Per-sentence IOB2 tag sequences from per-token probabilities, or for a CRF model
    (``config.crf``) from its emission scores and ``transitions``."""
    if config.crf:
        if transitions is None:
            raise ValueError("a CRF model decodes with its transition matrix: pass "
                             "transitions= (the model's transition_params)")
        decoder = CrfDecoder(transitions, tags, constrained=config.decode == "viterbi")
        return [to_iob2([tags[i] for i in ids]) for ids in decoder.decode(split(probs))]
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
