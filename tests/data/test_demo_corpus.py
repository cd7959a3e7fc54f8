"""Tests for the bundled synthetic demo corpus and its generator script."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from graphflow.data.conll import to_iob2
from graphflow.data.demo_corpus import (
    LECTURE_SENTENCES,
    SPLITS,
    demo_corpus_dir,
    demo_corpus_path,
    load_demo_corpus,
)
from graphflow.data.metrics import extract_chunks

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "make_demo_corpus.py"


def test_committed_files_equal_fresh_regeneration(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out-dir", str(tmp_path)], check=True,
                   capture_output=True)
    for split in SPLITS:
        assert (tmp_path / f"{split}.txt").read_bytes() == demo_corpus_path(split).read_bytes(), (
            f"{split}.txt differs from a fresh run of scripts/make_demo_corpus.py")
    check = subprocess.run([sys.executable, str(SCRIPT), "--check"], check=False,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_demo_dir_location() -> None:
    assert demo_corpus_dir() == REPO_ROOT / "graphflow" / "data" / "demo"
    with pytest.raises(ValueError, match="unknown demo split 'valid'"):
        demo_corpus_path("valid")


@pytest.mark.parametrize(("split", "size"), [("train", 400), ("dev", 100), ("test", 100)])
def test_split_reads_and_has_all_types(split: str, size: int) -> None:
    sents = load_demo_corpus(split)
    assert len(sents) == size
    for s in sents:
        assert to_iob2(s.tags) == s.tags  # valid IOB2
        assert s.pos is not None and s.chunks is not None
    types = Counter(t for s in sents for t, _, _ in extract_chunks(s.tags))
    assert set(types) == {"PER", "ORG", "LOC", "MISC"}
    assert min(types.values()) >= 10
    multi = sum(1 for s in sents for _, a, b in extract_chunks(s.tags) if b - a > 1)
    assert multi >= 20


def test_lecture_sentences_present_with_tags() -> None:
    train = load_demo_corpus("train")
    found = [(s.words, s.tags) for s in train[:3]]
    assert found == [(s.words, s.tags) for s in LECTURE_SENTENCES]
    paris_hilton = train[0]
    assert extract_chunks(paris_hilton.tags) == [("PER", 3, 5)]
    quinn = train[1]
    assert [(t, " ".join(quinn.words[a:b])) for t, a, b in extract_chunks(quinn.tags)] == [
        ("PER", "Samuel Quinn"), ("LOC", "Hilton Hotel"), ("LOC", "Paris")]
    assert quinn.tags[quinn.words.index("April")] == "O"
    museums = train[2]
    assert museums.words[:4] == ["the", "museums", "in", "Paris"]
    assert museums.tags[3] == "B-LOC"


def test_ambiguous_words_take_several_types() -> None:
    train = load_demo_corpus("train")
    types_of: dict[str, set[str]] = {}
    for s in train:
        for typ, a, b in extract_chunks(s.tags):
            for w in s.words[a:b]:
                types_of.setdefault(w, set()).add(typ)
    for word in ("Paris", "Hilton", "Washington", "Jordan"):
        assert len(types_of[word]) >= 2, (word, types_of[word])
    assert {"PER", "LOC"} <= types_of["Paris"]


def test_no_sentence_shared_between_splits() -> None:
    seen = {split: {tuple(s.words) for s in load_demo_corpus(split)} for split in SPLITS}
    assert not seen["train"] & seen["dev"]
    assert not seen["train"] & seen["test"]
    assert not seen["dev"] & seen["test"]
