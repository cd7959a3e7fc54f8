"""The training split's entities as a gazetteer feature of the window NER model.

Collobert et al. (2011) and Ratinov & Roth (2009) give their taggers gazetteer features: is
this token part of a known entity name, and of which type? Here the list is the training
split's own entities (no external resource): every entity string of at most
``MAX_ENTITY_TOKENS`` tokens, the types it was tagged with, and how often the string occurs
in the training text at all (tagged or not).

Each token of a sentence gets one id (``Gazetteer.ids``): the longest listed string that
starts at a position is matched first (left to right, case kept, no overlaps); its tokens get
``1 + 4 * type + 2 * weak + inside`` where ``type`` is the string's most frequent type (in
``ENTITY_TYPES`` order; ties go to the earlier type), ``weak`` says the string was an entity at
fewer than half of its occurrences (``"May"``, ``"US"`` in a headline), and ``inside`` is 0
for the first token of the match and 1 for the others; unmatched tokens get ``NONE``. The ids
are fixed (no vocabulary): ``NUM_IDS`` of them with the window padding ``PAD``.

Training sentences see the gazetteer *without their own document* (``leave_out=True``):
otherwise every training entity would match itself and the model would learn to trust the
feature far more than it can on new text, where many entities are not in the list. When the
training split has a single document (a file without ``-DOCSTART-`` lines), each sentence
leaves out only itself. A saved gazetteer (``to_json``) keeps the totals only; it is what dev,
test and prediction see.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from graphflow.data import to_iob2

ENTITY_TYPES: tuple[str, ...] = ("PER", "ORG", "LOC", "MISC")
MAX_ENTITY_TOKENS = 6
NONE = 0
PAD = 1 + 4 * len(ENTITY_TYPES)
NUM_IDS = PAD + 1

Key = tuple[str, ...]
#: ``left_out`` of a sentence that leaves nothing out (no unit is this object).
KEEP_ALL: Hashable = object()


def entity_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) of the entities of one sentence's IOB2 tags."""
    out: list[tuple[int, int, str]] = []
    start: int | None = None
    kind = ""
    for i, tag in enumerate([*tags, "O"]):
        if tag == "O" or tag.startswith("B-") or tag[2:] != kind:
            if start is not None:
                out.append((start, i, kind))
            start, kind = (None, "") if tag == "O" else (i, tag[2:])
    return out


def _longest_by_first_token(types: dict[Key, Any]) -> dict[str, int]:
    """First token -> the length of the longest listed string starting with it."""
    longest: dict[str, int] = {}
    for key in types:
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return longest


def document_units(sentences: Sequence[Any]) -> list[Hashable]:
    """What a training sentence leaves out of the gazetteer: its document (``.doc``), or
    itself when the sentences hold fewer than two documents."""
    docs = [getattr(s, "doc", None) for s in sentences]
    if len(set(docs)) >= 2:
        return list(docs)
    return [("sentence", i) for i in range(len(sentences))]


class Gazetteer:
    """Entity strings -> per unit (document, or sentence): type counts and occurrences."""

    def __init__(self, types: dict[Key, dict[Hashable, list[int]]],
                 occurrences: dict[Key, dict[Hashable, int]]) -> None:
        self.types, self.occurrences = types, occurrences
        self._longest = _longest_by_first_token(types)
        self._tagged = {key: np.sum(list(per_unit.values()), axis=0)
                        for key, per_unit in types.items()}
        self._seen = {key: sum(per_unit.values()) for key, per_unit in occurrences.items()}

    @classmethod
    def build(cls, train: Sequence[Any]) -> Gazetteer:
        """From training sentences (``.words``, ``.tags`` in any scheme ``to_iob2`` reads,
        ``.doc``); entities of other types than ``ENTITY_TYPES`` are not listed."""
        units = document_units(train)
        types: dict[Key, dict[Hashable, list[int]]] = {}
        for s, unit in zip(train, units):
            for start, end, kind in entity_spans(to_iob2(s.tags)):
                if end - start <= MAX_ENTITY_TOKENS and kind in ENTITY_TYPES:
                    counts = types.setdefault(tuple(s.words[start:end]), {}).setdefault(
                        unit, [0] * len(ENTITY_TYPES))
                    counts[ENTITY_TYPES.index(kind)] += 1
        longest = _longest_by_first_token(types)
        occurrences: dict[Key, dict[Hashable, int]] = {}
        for s, unit in zip(train, units):
            for i, w in enumerate(s.words):
                for n in range(1, min(longest.get(w, 0), len(s.words) - i) + 1):
                    key = tuple(s.words[i:i + n])
                    if key in types:
                        per_unit = occurrences.setdefault(key, {})
                        per_unit[unit] = per_unit.get(unit, 0) + 1
        return cls(types, occurrences)

    def __len__(self) -> int:
        return len(self.types)

    def _match(self, key: Key, left_out: Hashable) -> tuple[int, bool] | None:
        """(type index, weak) of ``key`` without unit ``left_out``; None when not listed."""
        total = self._tagged.get(key)
        if total is None:
            return None
        counts = total - np.asarray(self.types[key].get(left_out, 0))
        tagged = int(counts.sum())
        if tagged == 0:
            return None
        seen = self._seen.get(key, 0) - self.occurrences.get(key, {}).get(left_out, 0)
        return int(np.argmax(counts)), 2 * tagged < seen

    def sentence_ids(self, words: Sequence[str], left_out: Hashable = KEEP_ALL) -> list[int]:
        """The gazetteer id of each token of one sentence (see the module docstring), the
        entries of unit ``left_out`` not counted."""
        ids = [NONE] * len(words)
        i = 0
        while i < len(words):
            hit = None
            for n in range(min(self._longest.get(words[i], 0), len(words) - i), 0, -1):
                match = self._match(tuple(words[i:i + n]), left_out)
                if match is not None:
                    hit = (n, *match)
                    break
            if hit is None:
                i += 1
                continue
            n, kind, weak = hit
            first = 1 + 4 * kind + 2 * weak
            ids[i:i + n] = [first] + [first + 1] * (n - 1)
            i += n
        return ids

    def ids(self, sentences: Sequence[Any], leave_out: bool = False) -> np.ndarray:
        """Per token of ``sentences`` (flat, corpus order) its id; ``leave_out``: each
        sentence sees the gazetteer without its own unit (``document_units``) — for the
        training split the gazetteer was built from."""
        units = document_units(sentences) if leave_out else [KEEP_ALL] * len(sentences)
        flat = [i for s, unit in zip(sentences, units) for i in self.sentence_ids(s.words, unit)]
        return np.asarray(flat, dtype=np.int32)

    def to_json(self) -> list[list[Any]]:
        """The totals, ``[[tokens, type counts, occurrences], ...]`` sorted by tokens."""
        out = []
        for key in sorted(self.types):
            out.append([list(key), [int(c) for c in self._tagged[key]],
                        int(self._seen.get(key, 0))])
        return out

    @classmethod
    def from_json(cls, rows: Sequence[Sequence[Any]]) -> Gazetteer:
        """The gazetteer of ``to_json`` (totals only: nothing to leave out)."""
        types: dict[Key, dict[Hashable, list[int]]] = {}
        occurrences: dict[Key, dict[Hashable, int]] = {}
        for i, row in enumerate(rows):
            if (len(row) != 3 or not row[0] or len(row[1]) != len(ENTITY_TYPES)
                    or not all(isinstance(w, str) for w in row[0])):
                raise ValueError(f"gazetteer entry {i} is malformed: {row!r} (expected "
                                 f"[tokens, {len(ENTITY_TYPES)} type counts, occurrences])")
            key = tuple(row[0])
            types[key] = {"total": [int(c) for c in row[1]]}
            occurrences[key] = {"total": int(row[2])}
        return cls(types, occurrences)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Gazetteer) and self.to_json() == other.to_json()
