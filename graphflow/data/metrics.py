"""Entity-level NER evaluation, a faithful port of the CoNLL ``conlleval`` perl script.

Chunks are found with conlleval's ``startOfChunk``/``endOfChunk`` rules, which handle IOB1,
IOB2 and IO tags alike (conlleval has no rule for IOBES ``S-`` tags: convert IOBES with
``graphflow.data.conll.to_iob2`` first). A tag is split at its first ``-`` into prefix and type,
as conlleval's regex ``^([^-]*)-(.*)$`` does.

Bare IO types (a tag other than ``O`` without ``-``, e.g. CS224N's ``PER``) are read as
``I-<TYPE>``, so every maximal run of one type is a single chunk (the CS224N convention) and the
result equals conlleval on the same tags written as ``I-<TYPE>``. This deliberately differs from
both conlleval modes for bare tags: plain conlleval finds no chunk at all in them (empty type),
and ``conlleval -r`` prepends ``B-``, making every token its own chunk.

A guessed chunk is correct only if it starts and ends at the same tokens as a gold chunk and has
the same type. Precision/recall/F1 are fractions in [0, 1] (conlleval prints percentages);
precision is 0 when nothing was guessed and recall is 0 when there is no gold chunk, and F1 is 0
when precision + recall is 0, so empty or all-``O`` input never divides by zero.

Each sentence is followed by a boundary that closes open chunks, like the blank line in
conlleval's input. Unlike running conlleval on a file, ``-DOCSTART-`` tokens are never counted
(they are not part of the sentences), so token accuracy can differ from conlleval on raw files in
the last digits; chunk counts and P/R/F1 are identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["PRF", "EntityScores", "evaluate", "extract_chunks", "format_report"]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with the counts they come from.

    ``n_gold`` is conlleval's *foundCorrect* (chunks in the gold tags), ``n_pred`` its
    *foundGuessed* and ``n_correct`` its *correctChunk*.
    """

    precision: float
    recall: float
    f1: float
    n_gold: int
    n_pred: int
    n_correct: int

    @classmethod
    def from_counts(cls, n_gold: int, n_pred: int, n_correct: int) -> PRF:
        precision = n_correct / n_pred if n_pred > 0 else 0.0
        recall = n_correct / n_gold if n_gold > 0 else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        return cls(precision, recall, f1, n_gold, n_pred, n_correct)


@dataclass(frozen=True)
class EntityScores:
    """Result of ``evaluate``: per-type and overall scores plus token accuracy."""

    per_type: dict[str, PRF]
    overall: PRF
    accuracy: float
    n_tokens: int
    n_correct_tokens: int
    n_sentences: int

    @property
    def f1(self) -> float:
        return self.overall.f1


def _split(tag: str) -> tuple[str, str]:
    """conlleval's tag split; bare IO types become ``I-<TYPE>`` (see module docstring)."""
    if tag == "O":
        return "O", ""
    prefix, sep, typ = tag.partition("-")
    if not sep:
        return "I", tag
    return prefix, typ


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, typ: str) -> bool:
    """Port of conlleval's ``endOfChunk``: did a chunk end just before this token?"""
    if prev_tag in ("B", "I") and tag in ("B", "O"):
        return True
    if prev_tag == "E" and tag in ("E", "I", "O"):
        return True
    if prev_tag != "O" and prev_tag != "." and prev_type != typ:
        return True
    # conlleval 1998-12-22: chunks tagged [ or ] have length 1
    return prev_tag in ("]", "[")


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, typ: str) -> bool:
    """Port of conlleval's ``startOfChunk``: does a chunk start at this token?"""
    if tag == "B" and prev_tag in ("B", "I", "O"):
        return True
    if prev_tag == "O" and tag in ("I", "E"):
        return True
    if prev_tag == "E" and tag in ("E", "I"):
        return True
    if tag != "O" and tag != "." and prev_type != typ:
        return True
    return tag in ("[", "]")


def extract_chunks(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Chunks as ``(type, start, end)`` with ``end`` exclusive, using conlleval's rules.

    >>> extract_chunks(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])
    [('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5)]
    """
    chunks: list[tuple[str, int, int]] = []
    prev_tag, prev_type = "O", ""
    start = -1
    for i, tag in enumerate([*tags, "O"]):  # trailing "O" is the sentence boundary
        cur, typ = _split(tag)
        if start >= 0 and _end_of_chunk(prev_tag, cur, prev_type, typ):
            chunks.append((prev_type, start, i))
            start = -1
        if i < len(tags) and _start_of_chunk(prev_tag, cur, prev_type, typ):
            start = i
        prev_tag, prev_type = cur, typ
    return chunks


def evaluate(
    gold_tag_seqs: Sequence[Sequence[str]], pred_tag_seqs: Sequence[Sequence[str]]
) -> EntityScores:
    """Score predicted tag sequences against gold ones, sentence by sentence, like conlleval.

    Raises ``ValueError`` if the numbers of sentences differ or a sentence's gold and predicted
    sequences have different lengths (the message names the 0-based sentence index).
    """
    if len(gold_tag_seqs) != len(pred_tag_seqs):
        raise ValueError(
            f"got {len(gold_tag_seqs)} gold sentences but {len(pred_tag_seqs)} predicted ones"
        )
    found_correct: dict[str, int] = {}
    found_guessed: dict[str, int] = {}
    correct_chunk: dict[str, int] = {}
    n_tokens = n_correct_tokens = 0
    split_cache: dict[str, tuple[str, str]] = {}

    def parse(tag: str) -> tuple[str, str]:
        parsed = split_cache.get(tag)
        if parsed is None:
            parsed = split_cache[tag] = _split(tag)
        return parsed

    for s_idx, (gold, pred) in enumerate(zip(gold_tag_seqs, pred_tag_seqs, strict=True)):
        if len(gold) != len(pred):
            raise ValueError(
                f"sentence {s_idx}: gold has {len(gold)} tags but prediction has {len(pred)}"
            )
        n_tokens += len(gold)
        last_c, last_ct, last_g, last_gt = "O", "", "O", ""
        in_correct = False
        # The extra ("O", "O") step is conlleval's sentence boundary; it is not a token.
        for pos in range(len(gold) + 1):
            is_token = pos < len(gold)
            c, ct = parse(gold[pos]) if is_token else ("O", "")
            g, gt = parse(pred[pos]) if is_token else ("O", "")
            end_c = _end_of_chunk(last_c, c, last_ct, ct)
            end_g = _end_of_chunk(last_g, g, last_gt, gt)
            if in_correct:
                if end_c and end_g and last_gt == last_ct:
                    in_correct = False
                    correct_chunk[last_ct] = correct_chunk.get(last_ct, 0) + 1
                elif end_c != end_g or gt != ct:
                    in_correct = False
            start_c = _start_of_chunk(last_c, c, last_ct, ct)
            start_g = _start_of_chunk(last_g, g, last_gt, gt)
            if start_c and start_g and gt == ct:
                in_correct = True
            if start_c:
                found_correct[ct] = found_correct.get(ct, 0) + 1
            if start_g:
                found_guessed[gt] = found_guessed.get(gt, 0) + 1
            if is_token and c == g and ct == gt:
                n_correct_tokens += 1
            last_c, last_ct, last_g, last_gt = c, ct, g, gt
        if in_correct:  # cannot happen after the boundary step; kept for parity with conlleval
            correct_chunk[last_ct] = correct_chunk.get(last_ct, 0) + 1

    per_type = {
        typ: PRF.from_counts(
            found_correct.get(typ, 0), found_guessed.get(typ, 0), correct_chunk.get(typ, 0)
        )
        for typ in sorted(set(found_correct) | set(found_guessed))
    }
    overall = PRF.from_counts(
        sum(found_correct.values()), sum(found_guessed.values()), sum(correct_chunk.values())
    )
    accuracy = n_correct_tokens / n_tokens if n_tokens else 0.0
    return EntityScores(per_type, overall, accuracy, n_tokens, n_correct_tokens,
                        len(gold_tag_seqs))


def format_report(scores: EntityScores) -> str:
    """A readable per-type table followed by a final line starting with ``F1``.

    Example (gold against itself on the CoNLL-2003 dev set, first rows elided)::

        type  precision  recall      f1    gold    pred  correct
        LOC      1.0000  1.0000  1.0000    1837    1837     1837
        ...
        --------------------------------------------------------
        ALL      1.0000  1.0000  1.0000    5942    5942     5942
        tokens 51362, accuracy 1.0000
        F1 1.0000  (precision 1.00, recall 1.00, 5942 gold entities)
    """
    rows = [*scores.per_type.items(), ("ALL", scores.overall)]
    width = max([4, *(len(name) for name, _ in rows)])
    lines = [f"{'type':<{width}}  precision  recall      f1    gold    pred  correct"]
    for name, prf in rows:
        if name == "ALL":
            lines.append("-" * len(lines[0]))
        lines.append(
            f"{name:<{width}}  {prf.precision:9.4f}  {prf.recall:6.4f}  {prf.f1:6.4f}"
            f"  {prf.n_gold:6d}  {prf.n_pred:6d}  {prf.n_correct:7d}"
        )
    lines.append(f"tokens {scores.n_tokens}, accuracy {scores.accuracy:.4f}")
    o = scores.overall
    lines.append(
        f"F1 {o.f1:.4f}  (precision {o.precision:.2f}, recall {o.recall:.2f}, "
        f"{o.n_gold} gold entities)"
    )
    return "\n".join(lines)
