"""Checks against the real CoNLL-2003 / CS224N files (skipped when they are absent).

Expected numbers are the verified counts in shared/data/README.md. No data from those files is
stored in the repository.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from graphflow.data.conll import Sentence, iob1_to_iob2, read_conll, to_io
from graphflow.data.metrics import evaluate, format_report


def _entity_counts(sents: list[Sentence]) -> Counter[str]:
    return Counter(t[2:] for s in sents for t in s.tags if t.startswith("B-"))


def test_conll2003_train_counts(conll_train: list[Sentence]) -> None:
    train = conll_train
    assert len(train) == 14_041
    assert sum(len(s) for s in train) == 203_621
    assert _entity_counts(train) == {"LOC": 7_140, "MISC": 3_438, "ORG": 6_321, "PER": 6_600}
    tag_counts = Counter(t for s in train for t in s.tags)
    assert tag_counts["O"] == 169_578 and tag_counts["I-PER"] == 4_528


def test_conll2003_dev_and_test_counts(conll2003_dir: Path, conll_dev: list[Sentence]) -> None:
    dev = conll_dev
    assert (len(dev), sum(map(len, dev))) == (3_250, 51_362)
    assert sum(_entity_counts(dev).values()) == 5_942
    test = read_conll(conll2003_dir / "test.txt")
    assert (len(test), sum(map(len, test))) == (3_453, 46_435)
    assert _entity_counts(test) == {"LOC": 1_668, "MISC": 702, "ORG": 1_661, "PER": 1_617}


def test_conll2003_dev_gold_vs_gold(conll_dev: list[Sentence]) -> None:
    dev = conll_dev
    scores = evaluate([s.tags for s in dev], [s.tags for s in dev])
    assert scores.overall.f1 == 1.0 and scores.accuracy == 1.0
    assert scores.overall.n_gold == 5_942
    assert {t: p.n_gold for t, p in scores.per_type.items()} == {
        "LOC": 1_837, "MISC": 922, "ORG": 1_341, "PER": 1_842}
    assert format_report(scores).splitlines()[-1].startswith("F1 1.0000")


def test_iob1_round_trip_on_train(conll_train: list[Sentence]) -> None:
    # IOB2 -> IOB1 (I- unless directly after an entity of the same type) -> IOB2
    for sent in conll_train[:3000]:
        iob1 = [("B-" if t.startswith("B-") and i > 0 and sent.tags[i - 1][2:] == t[2:]
                 else "I-") + t[2:] if t != "O" else "O" for i, t in enumerate(sent.tags)]
        assert iob1_to_iob2(iob1) == sent.tags


def test_cs224n_dev_gold_vs_gold(cs224n_dir: Path) -> None:
    dev = read_conll(cs224n_dir / "dev.conll")
    assert (len(dev), sum(map(len, dev))) == (3_250, 51_362)
    scores = evaluate([s.tags for s in dev], [s.tags for s in dev])
    assert scores.overall.f1 == 1.0
    assert scores.overall.n_gold == 5_938  # IO entities, README table
    assert format_report(scores).splitlines()[-1] == (
        "F1 1.0000  (precision 1.00, recall 1.00, 5938 gold entities)")


def test_cs224n_matches_conll_with_prefixes_stripped(cs224n_dir: Path,
                                                     conll_train: list[Sentence]) -> None:
    io_train = read_conll(cs224n_dir / "train.conll")
    assert [s.words for s in io_train] == [s.words for s in conll_train]
    assert [s.tags for s in io_train] == [to_io(s.tags) for s in conll_train]
    # Scoring IO tags against IOB2 gold: adjacent same-type entities merge (23,499 -> 23,429).
    scores = evaluate([s.tags for s in conll_train], [s.tags for s in io_train])
    assert scores.overall.n_gold == 23_499 and scores.overall.n_pred == 23_429
