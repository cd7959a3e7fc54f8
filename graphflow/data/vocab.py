"""Word vocabulary, casing feature and tag set for window-based NER.

Word normalisation (``normalize_word``): lower-case, then replace every digit (any Unicode
decimal digit, ``str.isdigit`` / regex ``\\d``) with ``0``. Lower-casing matches the uncased GloVe
6B vectors and moves capitalisation into the separate casing feature (as in CS224N and Collobert
et al.); mapping digits to ``0`` keeps the *shape* of numbers ("1996" -> "0000", "3.5" -> "0.0")
so that years, scores and prices share a few well-trained entries instead of thousands of rare
ones.

Special tokens have fixed ids: ``<unk>`` = 0, ``<s>`` = 1 (left sentence padding of windows),
``</s>`` = 2 (right padding). Real words follow from id 3 on, ordered by decreasing training
frequency, ties broken alphabetically, so a build is deterministic.

Casing ids (``casing``), ``NUM_CASINGS`` = 5 in total:

* 0 ``CASING_LOWER``  -- has a cased letter and all cased letters are lower (``paris``, ``x1``)
* 1 ``CASING_UPPER``  -- has a cased letter and all cased letters are upper (``EU``, ``U.S.``)
* 2 ``CASING_TITLE``  -- first character upper, no other upper-case letter (``Paris``, ``Mr.``)
* 3 ``CASING_OTHER``  -- anything else: mixed case (``McDonald``, ``iPhone``), digits or
  punctuation only (``1996``, ``,``)
* 4 ``CASING_PAD``    -- the casing of the ``<s>``/``</s>`` padding positions of a window

``TagSet`` maps tags to ids with ``O`` always at id 0, the other tags sorted alphabetically.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "CASING_LOWER",
    "CASING_NAMES",
    "CASING_OTHER",
    "CASING_PAD",
    "CASING_TITLE",
    "CASING_UPPER",
    "END",
    "END_ID",
    "NUM_CASINGS",
    "START",
    "START_ID",
    "UNK",
    "UNK_ID",
    "TagSet",
    "Vocabulary",
    "casing",
    "casings",
    "normalize_word",
]

UNK, START, END = "<unk>", "<s>", "</s>"
UNK_ID, START_ID, END_ID = 0, 1, 2
SPECIAL_TOKENS: tuple[str, ...] = (UNK, START, END)

CASING_LOWER, CASING_UPPER, CASING_TITLE, CASING_OTHER, CASING_PAD = range(5)
NUM_CASINGS = 5
CASING_NAMES: tuple[str, ...] = ("lower", "upper", "title", "other", "pad")

_VOCAB_FORMAT = "graphflow.data.Vocabulary"
_TAGSET_FORMAT = "graphflow.data.TagSet"
_FORMAT_VERSION = 1
_DIGIT = re.compile(r"\d")


def normalize_word(word: str) -> str:
    """Lower-case ``word`` and replace every digit with ``0`` (see module docstring)."""
    return _DIGIT.sub("0", word.lower())


def casing(word: str) -> int:
    """Casing id of a raw (un-normalised) word: 0 lower, 1 upper, 2 title, 3 other."""
    if word.islower():
        return CASING_LOWER
    if word.isupper():
        return CASING_UPPER
    if word[:1].isupper() and not any(ch.isupper() for ch in word[1:]):
        return CASING_TITLE
    return CASING_OTHER


def casings(words: Iterable[str]) -> list[int]:
    """``casing`` of each word."""
    return [casing(w) for w in words]


def _read_json(path: str | os.PathLike[str], expected_format: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("format") != expected_format:
        raise ValueError(f"{path}: not a {expected_format} file (missing or wrong 'format')")
    if data.get("version") != _FORMAT_VERSION:
        raise ValueError(
            f"{path}: unsupported {expected_format} version {data.get('version')!r} "
            f"(this code reads version {_FORMAT_VERSION})"
        )
    return data


def _write_json(path: str | os.PathLike[str], data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


class Vocabulary:
    """Mapping between normalised words and integer ids; unknown words map to ``UNK_ID``."""

    def __init__(self, words: Iterable[str]):
        """Create from normalised non-special words in id order (ids start at 3).

        Duplicates and special tokens in ``words`` are ignored.
        """
        self._words: list[str] = list(SPECIAL_TOKENS)
        #: training frequency of each training word (filled by ``build``; not saved)
        self.counts: dict[str, int] = {}
        self._index: dict[str, int] = {w: i for i, w in enumerate(self._words)}
        for w in words:
            if w not in self._index:
                self._index[w] = len(self._words)
                self._words.append(w)

    @classmethod
    def build(
        cls,
        sentences: Iterable[Any],
        min_count: int = 1,
        max_size: int | None = None,
        extra_words: Iterable[str] = (),
    ) -> Vocabulary:
        """Build from training sentences (``Sentence`` objects or lists of raw words).

        Words whose normalised form occurs fewer than ``min_count`` times are left out (they map
        to ``<unk>``); ``max_size`` caps the number of training words (specials not counted).
        ``extra_words`` (normalised here too) are appended after the training words in the given
        order, regardless of ``min_count`` and ``max_size`` -- e.g. words of a pretrained
        embedding file (see ``graphflow.data.embeddings.build_vocab_with_embeddings``).
        """
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        raw_counts: Counter[str] = Counter()
        for sent in sentences:
            raw_counts.update(getattr(sent, "words", sent))
        counts: Counter[str] = Counter()
        for w, c in raw_counts.items():  # normalise each distinct raw word once
            counts[normalize_word(w)] += c
        ranked = sorted((w for w, c in counts.items() if c >= min_count),
                        key=lambda w: (-counts[w], w))
        if max_size is not None:
            ranked = ranked[:max_size]
        vocab = cls([*ranked, *(normalize_word(w) for w in extra_words)])
        vocab.counts = {w: counts[w] for w in ranked}
        return vocab

    @property
    def words(self) -> list[str]:
        """All entries in id order (a copy), specials first."""
        return list(self._words)

    def word_to_id(self, word: str) -> int:
        """Id of the normalised form of a raw word, ``UNK_ID`` if unknown."""
        return self._index.get(normalize_word(word), UNK_ID)

    def lookup(self, normalized: str) -> int | None:
        """Id of an already normalised word, or ``None`` if it has no id (no ``<unk>``)."""
        return self._index.get(normalized)

    def ids(self, words: Iterable[str]) -> list[int]:
        """``word_to_id`` of each word."""
        index = self._index
        return [index.get(normalize_word(w), UNK_ID) for w in words]

    def id_to_word(self, idx: int) -> str:
        return self._words[idx]

    def __contains__(self, word: object) -> bool:
        """True if the *normalised* form of ``word`` has its own id."""
        return isinstance(word, str) and normalize_word(word) in self._index

    def __len__(self) -> int:
        return len(self._words)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._words == other.words

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} entries incl. {len(SPECIAL_TOKENS)} special)"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save as JSON: ``{"format", "version", "normalization", "special", "words"}``."""
        _write_json(path, {
            "format": _VOCAB_FORMAT,
            "version": _FORMAT_VERSION,
            "normalization": "lower-case, every digit -> 0",
            "special": list(SPECIAL_TOKENS),
            "words": self._words[len(SPECIAL_TOKENS):],
        })

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocabulary:
        data = _read_json(path, _VOCAB_FORMAT)
        if data.get("special") != list(SPECIAL_TOKENS):
            raise ValueError(f"{path}: special tokens {data.get('special')!r} differ from "
                             f"{list(SPECIAL_TOKENS)!r}")
        return cls(data["words"])


class TagSet:
    """Mapping between tags and ids: ``O`` is id 0, the other tags follow sorted."""

    def __init__(self, tags: Iterable[str]):
        others = sorted(set(tags) - {"O"})
        self._tags: list[str] = ["O", *others]
        self._index: dict[str, int] = {t: i for i, t in enumerate(self._tags)}

    @classmethod
    def build(cls, sentences: Iterable[Any]) -> TagSet:
        """From ``Sentence`` objects or plain tag sequences (``O`` is always included)."""
        tags: set[str] = set()
        for sent in sentences:
            tags.update(getattr(sent, "tags", sent))
        return cls(tags)

    @property
    def tags(self) -> list[str]:
        return list(self._tags)

    def tag_to_id(self, tag: str) -> int:
        try:
            return self._index[tag]
        except KeyError:
            raise ValueError(f"unknown tag {tag!r}; this TagSet has {self._tags}") from None

    def id_to_tag(self, idx: int) -> str:
        return self._tags[idx]

    def ids(self, tags: Iterable[str]) -> list[int]:
        return [self.tag_to_id(t) for t in tags]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tags for a sequence of ids (e.g. ``argmax`` predictions)."""
        return [self._tags[int(i)] for i in ids]

    def __len__(self) -> int:
        return len(self._tags)

    def __contains__(self, tag: object) -> bool:
        return tag in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TagSet) and self._tags == other.tags

    def __repr__(self) -> str:
        return f"TagSet({self._tags})"

    def save(self, path: str | os.PathLike[str]) -> None:
        _write_json(path, {"format": _TAGSET_FORMAT, "version": _FORMAT_VERSION,
                           "tags": self._tags})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TagSet:
        data = _read_json(path, _TAGSET_FORMAT)
        tags = data["tags"]
        if not tags or tags[0] != "O" or tags[1:] != sorted(set(tags[1:]) - {"O"}):
            raise ValueError(f"{path}: tags must be 'O' followed by the sorted other tags")
        return cls(tags)
