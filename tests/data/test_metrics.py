"""Tests for graphflow.data.metrics (conlleval port). Expected numbers are worked out by hand
in the comments next to each case."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphflow.data.metrics import PRF, evaluate, extract_chunks, format_report


def test_basic_per_type_counts() -> None:
    # gold: PER(0,2) LOC(3,4); pred: PER(0,2) ORG(3,4) -> 1 of 2 correct.
    s = evaluate([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
    assert s.overall == PRF(0.5, 0.5, 0.5, n_gold=2, n_pred=2, n_correct=1)
    assert s.per_type["PER"] == PRF(1.0, 1.0, 1.0, 1, 1, 1)
    assert s.per_type["LOC"] == PRF(0.0, 0.0, 0.0, 1, 0, 0)  # never guessed: precision 0
    assert s.per_type["ORG"] == PRF(0.0, 0.0, 0.0, 0, 1, 0)  # no gold: recall 0
    assert list(s.per_type) == ["LOC", "ORG", "PER"]  # sorted like conlleval
    assert s.accuracy == pytest.approx(3 / 4)
    assert (s.n_tokens, s.n_correct_tokens, s.n_sentences) == (4, 3, 1)


def test_i_after_o_starts_a_chunk() -> None:
    # IOB1-style "I-PER I-PER" after O is one chunk with the same boundaries as "B-PER I-PER".
    assert extract_chunks(["O", "I-PER", "I-PER", "O"]) == [("PER", 1, 3)]
    s = evaluate([["O", "I-PER", "I-PER", "O"]], [["O", "B-PER", "I-PER", "O"]])
    assert (s.overall.n_gold, s.overall.n_pred, s.overall.n_correct) == (1, 1, 1)
    assert s.overall.f1 == 1.0
    # token accuracy compares prefix and type, so I-PER vs B-PER at index 1 is wrong: 3/4
    assert s.accuracy == pytest.approx(0.75)


def test_b_after_i_of_same_type_starts_new_chunk() -> None:
    # gold: PER(0,2) PER(2,3); pred "B I I": one chunk PER(0,3) -> matches neither.
    assert extract_chunks(["B-PER", "I-PER", "B-PER"]) == [("PER", 0, 2), ("PER", 2, 3)]
    s = evaluate([["B-PER", "I-PER", "B-PER"]], [["B-PER", "I-PER", "I-PER"]])
    assert (s.overall.n_gold, s.overall.n_pred, s.overall.n_correct) == (2, 1, 0)
    assert (s.overall.precision, s.overall.recall, s.overall.f1) == (0.0, 0.0, 0.0)
    assert s.accuracy == pytest.approx(2 / 3)


def test_i_of_other_type_starts_new_chunk() -> None:
    # "I-PER I-LOC": type change ends PER and starts LOC -> 2 chunks.
    assert extract_chunks(["I-PER", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 2)]
    s = evaluate([["I-PER", "I-LOC"]], [["I-PER", "I-PER"]])
    # pred is one PER(0,2) chunk: neither gold chunk matches
    assert (s.overall.n_gold, s.overall.n_pred, s.overall.n_correct) == (2, 1, 0)
    assert s.per_type["PER"] == PRF(0.0, 0.0, 0.0, 1, 1, 0)


@pytest.mark.parametrize(
    "pred",
    [
        ["B-ORG", "I-ORG", "O"],      # ends too early
        ["O", "B-ORG", "I-ORG"],      # starts too late
        ["B-ORG", "B-ORG", "I-ORG"],  # split in two
        ["B-LOC", "I-LOC", "I-LOC"],  # right boundaries, wrong type
    ],
)
def test_chunk_correct_only_if_boundaries_and_type_match(pred: list[str]) -> None:
    s = evaluate([["B-ORG", "I-ORG", "I-ORG", "O"]], [pred + ["O"]])
    assert s.overall.n_correct == 0
    assert s.overall.n_gold == 1
    assert s.overall.f1 == 0.0


def test_correct_chunk_followed_by_longer_prediction_is_wrong() -> None:
    # gold PER(0,1) then O; pred PER(0,2): same start and type, different end.
    s = evaluate([["B-PER", "O"]], [["B-PER", "I-PER"]])
    assert s.overall.n_correct == 0


def test_empty_predictions_give_precision_zero() -> None:
    # 2 gold chunks, nothing guessed: precision 0 (not 0/0), recall 0/2, F1 0.
    s = evaluate([["B-PER", "O", "B-LOC"]], [["O", "O", "O"]])
    assert s.overall == PRF(0.0, 0.0, 0.0, n_gold=2, n_pred=0, n_correct=0)
    assert s.accuracy == pytest.approx(1 / 3)


def test_all_o_gives_zero_f1_without_crash() -> None:
    s = evaluate([["O", "O"], ["O"]], [["O", "O"], ["O"]])
    assert s.overall == PRF(0.0, 0.0, 0.0, 0, 0, 0)
    assert s.per_type == {}
    assert s.accuracy == 1.0
    report = format_report(s)
    assert report.splitlines()[-1] == (
        "F1 0.0000  (precision 0.00, recall 0.00, 0 gold entities)")


def test_empty_corpus() -> None:
    s = evaluate([], [])
    assert (s.overall.f1, s.accuracy, s.n_tokens) == (0.0, 0.0, 0)


def test_mixed_counts_two_sentences() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-MISC", "I-MISC"]]
    pred = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "B-ORG", "O", "O"]]
    # gold 4 chunks; guessed PER, LOC, ORG(1,0..1), ORG(1,1..2) = 4; correct PER, LOC, ORG = 3
    s = evaluate(gold, pred)
    assert (s.overall.n_gold, s.overall.n_pred, s.overall.n_correct) == (4, 4, 3)
    assert s.overall.f1 == pytest.approx(0.75)
    assert s.per_type["ORG"].precision == pytest.approx(0.5)
    assert s.per_type["MISC"] == PRF(0.0, 0.0, 0.0, 1, 0, 0)
    # P = 2/3, R = 2/4 -> F1 = 2 * (2/3) * (1/2) / (2/3 + 1/2) = 4/7
    s2 = evaluate(gold, [["B-PER", "I-PER", "O", "B-LOC"], ["O", "O", "B-MISC", "O"]])
    assert (s2.overall.n_pred, s2.overall.n_correct) == (3, 2)
    assert s2.overall.f1 == pytest.approx(4 / 7)


def test_sentence_boundary_closes_chunks() -> None:
    # "B-PER" | "I-PER": the boundary ends the first chunk, so I-PER starts a second one.
    s = evaluate([["B-PER"], ["I-PER"]], [["B-PER"], ["B-PER"]])
    assert (s.overall.n_gold, s.overall.n_pred, s.overall.n_correct) == (2, 2, 2)


def test_io_tags_runs_are_chunks() -> None:
    assert extract_chunks(["PER", "PER", "O", "LOC", "ORG", "ORG"]) == [
        ("PER", 0, 2), ("LOC", 3, 4), ("ORG", 4, 6)]
    # IO prediction vs IOB2 gold: chunks equal, tokens B-PER vs (I-)PER differ -> acc 1/2
    s = evaluate([["B-PER", "I-PER"]], [["PER", "PER"]])
    assert s.overall.f1 == 1.0
    assert s.accuracy == pytest.approx(0.5)
    # IO cannot separate adjacent same-type entities: 2 gold chunks, 1 guessed, 0 correct
    s = evaluate([["B-PER", "B-PER"]], [["PER", "PER"]])
    assert (s.overall.n_gold, s.overall.n_pred, s.overall.n_correct) == (2, 1, 0)


def test_types_with_hyphens() -> None:
    assert extract_chunks(["B-geo-loc", "I-geo-loc"]) == [("geo-loc", 0, 2)]


def test_mismatched_lengths_name_sentence() -> None:
    with pytest.raises(ValueError, match="sentence 1: gold has 2 tags but prediction has 1"):
        evaluate([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="2 gold sentences but 1 predicted"):
        evaluate([["O"], ["O"]], [["O"]])


def test_format_report_table() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-MISC", "I-MISC"]]
    pred = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "B-ORG", "O", "O"]]
    lines = format_report(evaluate(gold, pred)).splitlines()
    assert lines[0].split() == ["type", "precision", "recall", "f1", "gold", "pred", "correct"]
    assert [ln.split()[0] for ln in lines[1:5]] == ["LOC", "MISC", "ORG", "PER"]
    assert lines[3].split() == ["ORG", "0.5000", "1.0000", "0.6667", "1", "2", "1"]
    assert lines[6].split() == ["ALL", "0.7500", "0.7500", "0.7500", "4", "4", "3"]
    assert lines[-2] == "tokens 8, accuracy 0.6250"  # 4/4 + 1/4 tokens right
    assert lines[-1] == "F1 0.7500  (precision 0.75, recall 0.75, 4 gold entities)"


_TAG = st.sampled_from(["O", "O", "B-A", "I-A", "B-B", "I-B", "A", "B"])


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(_TAG, min_size=0, max_size=10), max_size=5), st.data())
def test_counts_equal_chunk_set_intersection(gold: list[list[str]], data: st.DataObject) -> None:
    """For B/I/O/bare tags, conlleval's streaming 'correct' logic equals exact chunk matching."""
    pred = [data.draw(st.lists(_TAG, min_size=len(g), max_size=len(g))) for g in gold]
    s = evaluate(gold, pred)
    gold_chunks = [set(extract_chunks(g)) for g in gold]
    pred_chunks = [set(extract_chunks(p)) for p in pred]
    assert s.overall.n_gold == sum(map(len, gold_chunks))
    assert s.overall.n_pred == sum(map(len, pred_chunks))
    pairs = zip(gold_chunks, pred_chunks, strict=True)
    assert s.overall.n_correct == sum(len(g & p) for g, p in pairs)
    same = evaluate(gold, gold)
    assert same.overall.n_correct == same.overall.n_gold
