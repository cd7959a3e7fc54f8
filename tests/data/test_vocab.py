"""Tests for graphflow.data.vocab: normalisation, casing, Vocabulary and TagSet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphflow.data.conll import Sentence
from graphflow.data.vocab import (
    CASING_LOWER,
    CASING_OTHER,
    CASING_PAD,
    CASING_TITLE,
    CASING_UPPER,
    END_ID,
    NUM_CASINGS,
    START_ID,
    UNK_ID,
    TagSet,
    Vocabulary,
    casing,
    casings,
    normalize_word,
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Paris", "paris"), ("EU", "eu"), ("1996", "0000"), ("3.5%", "0.0%"),
     ("880-2-506363", "000-0-000000"), ("F-16", "f-00"), ("\u0663\u0664", "00"), ("", "")],
)
def test_normalize_word(word: str, expected: str) -> None:
    assert normalize_word(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [("paris", CASING_LOWER), ("x1", CASING_LOWER), ("EU", CASING_UPPER),
     ("U.S.", CASING_UPPER), ("A", CASING_UPPER), ("Paris", CASING_TITLE),
     ("Mr.", CASING_TITLE), ("McDonald", CASING_OTHER), ("iPhone", CASING_OTHER),
     ("1996", CASING_OTHER), (",", CASING_OTHER), ("", CASING_OTHER)],
)
def test_casing(word: str, expected: int) -> None:
    assert casing(word) == expected


def test_casing_ids() -> None:
    assert (CASING_LOWER, CASING_UPPER, CASING_TITLE, CASING_OTHER, CASING_PAD) == (0, 1, 2, 3, 4)
    assert NUM_CASINGS == 5
    assert casings(["the", "EU", "Paris"]) == [0, 1, 2]


SENTS = [
    Sentence(["The", "cat", "saw", "the", "Dog", "in", "1996", "."], ["O"] * 8),
    Sentence(["the", "dog", "ran", "in", "2001", "."], ["O"] * 6),
]


def test_vocabulary_build_order_and_specials() -> None:
    v = Vocabulary.build(SENTS)
    # counts: the 3, dog 2, in 2, 0000 2, . 2, cat 1, saw 1, ran 1
    assert v.words == ["<unk>", "<s>", "</s>", "the", ".", "0000", "dog", "in",
                       "cat", "ran", "saw"]
    assert (v.word_to_id("<unk>"), v.word_to_id("<s>"), v.word_to_id("</s>")) == (0, 1, 2)
    assert (UNK_ID, START_ID, END_ID) == (0, 1, 2)
    assert len(v) == 11
    assert v.counts["the"] == 3 and v.counts["0000"] == 2


def test_vocabulary_lookup_normalises() -> None:
    v = Vocabulary.build(SENTS)
    assert v.word_to_id("THE") == v.word_to_id("the") == 3
    assert v.word_to_id("1789") == v.word_to_id("2001") == 5
    assert v.word_to_id("zebra") == UNK_ID
    assert v.ids(["Dog", "zebra", "."]) == [6, 0, 4]
    assert "DOG" in v and "zebra" not in v
    assert v.lookup("dog") == 6 and v.lookup("Dog") is None
    assert v.id_to_word(6) == "dog"


def test_min_count_and_max_size() -> None:
    v = Vocabulary.build(SENTS, min_count=2)
    assert v.words[3:] == ["the", ".", "0000", "dog", "in"]
    assert v.word_to_id("cat") == UNK_ID
    assert Vocabulary.build(SENTS, max_size=2).words[3:] == ["the", "."]
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.build(SENTS, min_count=0)


def test_extra_words_are_appended() -> None:
    v = Vocabulary.build([["a", "b"]], extra_words=["B", "Zebra", "7"])
    assert v.words == ["<unk>", "<s>", "</s>", "a", "b", "zebra", "0"]


def test_vocabulary_save_load(tmp_path: Path) -> None:
    v = Vocabulary.build(SENTS)
    path = tmp_path / "vocab.json"
    v.save(path)
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["words"][0] == "the"
    loaded = Vocabulary.load(path)
    assert loaded == v and loaded.words == v.words
    data["version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="version 99"):
        Vocabulary.load(path)
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="not a graphflow.data.Vocabulary file"):
        Vocabulary.load(path)


def test_tagset() -> None:
    ts = TagSet.build([Sentence(["a", "b", "c"], ["I-PER", "B-LOC", "B-PER"])])
    assert ts.tags == ["O", "B-LOC", "B-PER", "I-PER"]  # O always present and first
    assert len(ts) == 4
    assert ts.ids(["O", "I-PER"]) == [0, 3]
    assert ts.decode([2, 0]) == ["B-PER", "O"]
    assert "B-LOC" in ts and "B-ORG" not in ts
    with pytest.raises(ValueError, match="unknown tag 'B-ORG'"):
        ts.tag_to_id("B-ORG")
    assert TagSet.build([["PER", "O", "LOC"]]).tags == ["O", "LOC", "PER"]


def test_tagset_save_load(tmp_path: Path) -> None:
    ts = TagSet(["B-PER", "O", "I-PER"])
    path = tmp_path / "tags.json"
    ts.save(path)
    assert TagSet.load(path) == ts
    path.write_text(json.dumps({"format": "graphflow.data.TagSet", "version": 1,
                                "tags": ["B-PER", "O"]}))
    with pytest.raises(ValueError, match="'O' followed by the sorted"):
        TagSet.load(path)
