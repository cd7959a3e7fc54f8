"""Tests for graphflow.data.conll: reading, writing, malformed input and tag schemes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphflow.data.conll import (
    ConllFormatError,
    Sentence,
    detect_format,
    io_to_iob2,
    iob1_to_iob2,
    read_conll,
    split_tag,
    to_io,
    to_iob2,
    write_conll,
)

FOUR_COL = """-DOCSTART- -X- -X- O

Anna NNP B-NP B-PER
Smith NNP I-NP I-PER
visited VBD B-VP O
New NNP B-NP B-LOC
York NNP I-NP I-LOC
. . O O

Kestrel NNP B-NP B-ORG
rose VBD B-VP O

-DOCSTART- -X- -X- O

German JJ B-NP B-MISC
"""

TWO_COL = "-DOCSTART-\tO\n\nAnna\tPER\nSmith\tPER\nvisited\tO\nOslo\tLOC\n\n\nIt\tO\nrained\tO\n"


def _write(tmp_path: Path, text: str, name: str = "data.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_four_column(tmp_path: Path) -> None:
    sents = read_conll(_write(tmp_path, FOUR_COL))
    assert [s.words for s in sents] == [
        ["Anna", "Smith", "visited", "New", "York", "."], ["Kestrel", "rose"], ["German"]]
    assert sents[0].tags == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"]
    assert sents[0].pos == ["NNP", "NNP", "VBD", "NNP", "NNP", "."]
    assert sents[1].chunks == ["B-NP", "B-VP"]
    assert sents[2].tags == ["B-MISC"]  # last sentence without trailing blank line


def test_read_two_column(tmp_path: Path) -> None:
    sents = read_conll(_write(tmp_path, TWO_COL))
    assert [s.words for s in sents] == [["Anna", "Smith", "visited", "Oslo"], ["It", "rained"]]
    assert sents[0].tags == ["PER", "PER", "O", "LOC"]
    assert sents[0].pos is None and sents[0].chunks is None


def test_crlf_and_space_separated_two_column(tmp_path: Path) -> None:
    sents = read_conll(_write(tmp_path, "a O\r\nParis LOC\r\n\r\nb O\r\n"))
    assert [(s.words, s.tags) for s in sents] == [(["a", "Paris"], ["O", "LOC"]), (["b"], ["O"])]


def test_detect_format() -> None:
    assert detect_format("EU NNP B-NP B-ORG") == "4col"
    assert detect_format("EU\tORG") == "2col"
    assert detect_format("EU\tNNP\tB-NP\tB-ORG") == "4col"
    assert detect_format("EU ORG") == "2col"
    assert detect_format("EU NNP B-ORG") is None


def test_forced_format_mismatch(tmp_path: Path) -> None:
    with pytest.raises(ConllFormatError, match=r"data.txt:3: .*4 whitespace-separated"):
        read_conll(_write(tmp_path, TWO_COL), fmt="4col")


@pytest.mark.parametrize(
    ("text", "line_no", "expected"),
    [
        ("EU NNP B-NP B-ORG\nrejects VBZ B-VP\n", 2, "4 whitespace-separated columns"),
        ("EU NNP B-NP B-ORG\n\nfoo\tO\n", 3, "4 whitespace-separated columns"),
        ("EU\tORG\nrejects\tO\textra\n", 2, "2 columns"),
        ("EU\tORG\n \tO\n", 2, "non-empty word"),
        ("EU NNP B-NP ORG\n", 1, "NER tag"),
        ("EU NNP B-NP X-ORG\n", 1, "NER tag"),
        ("EU\tB-\n", 1, "NER tag"),
        ("just-one-field\n", 1, "'word POS chunk NER'"),
    ],
)
def test_malformed_lines(tmp_path: Path, text: str, line_no: int, expected: str) -> None:
    path = _write(tmp_path, text, "broken_file.conll")
    with pytest.raises(ConllFormatError) as info:
        read_conll(path)
    message = str(info.value)
    assert str(path) in message and f"broken_file.conll:{line_no}:" in message
    assert expected in message
    assert info.value.line_no == line_no
    assert isinstance(info.value, ValueError)


def test_malformed_line_is_quoted_and_truncated(tmp_path: Path) -> None:
    long_line = "word " * 40
    with pytest.raises(ConllFormatError) as info:
        read_conll(_write(tmp_path, f"a O\n{long_line}\n"))
    message = str(info.value)
    assert "'word word" in message and "...'" in message
    assert long_line.strip() not in message


def test_non_utf8_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"a\tO\nb\tO\n\nCaf\xe9\tLOC\n")
    with pytest.raises(ConllFormatError, match=r"latin1.txt:4: .*UTF-8"):
        read_conll(path)


def test_empty_file(tmp_path: Path) -> None:
    assert read_conll(_write(tmp_path, "")) == []
    assert read_conll(_write(tmp_path, "\n\n-DOCSTART- -X- -X- O\n\n")) == []


@pytest.mark.parametrize("fmt", ["2col", "4col"])
def test_write_read_round_trip(tmp_path: Path, fmt: str) -> None:
    sents = [Sentence(["Anna", "met", "Bo", "."], ["B-PER", "O", "B-PER", "O"]),
             Sentence(["Oslo"], ["B-LOC"])]
    path = tmp_path / f"out.{fmt}"
    write_conll(path, sents, tag_column_format=fmt, docstart=True)
    back = read_conll(path)
    assert [(s.words, s.tags) for s in back] == [(s.words, s.tags) for s in sents]
    text = path.read_text()
    assert text.endswith("B-LOC\n\n")
    if fmt == "4col":
        assert text.startswith("-DOCSTART- -X- -X- O\n\nAnna -X- -X- B-PER\n")
    else:
        assert text.startswith("-DOCSTART-\tO\n\nAnna\tB-PER\n")


def test_four_column_round_trip_is_byte_identical(tmp_path: Path) -> None:
    src = _write(tmp_path, FOUR_COL.replace("\n\n-DOCSTART- -X- -X- O\n", "") + "\n", "a.txt")
    out = tmp_path / "b.txt"
    write_conll(out, read_conll(src), tag_column_format="4col", docstart=True)
    assert out.read_text() == src.read_text()


def test_documents_numbered_by_docstart(tmp_path: Path) -> None:
    assert [s.doc for s in read_conll(_write(tmp_path, FOUR_COL))] == [0, 0, 1]
    assert [s.doc for s in read_conll(_write(tmp_path, TWO_COL))] == [0, 0]
    # no -DOCSTART- at all: one document; sentences before the first one: document 0
    assert [s.doc for s in read_conll(_write(tmp_path, "a O\n\nb O\n"))] == [0, 0]
    text = "a O\n\n-DOCSTART-\tO\n\n-DOCSTART-\tO\n\nb O\n\nc O\n"
    assert [s.doc for s in read_conll(_write(tmp_path, text))] == [0, 1, 1]
    # doc is metadata: equality ignores it
    assert Sentence(["a"], ["O"], doc=3) == Sentence(["a"], ["O"])


def test_two_document_round_trip_is_byte_identical(tmp_path: Path) -> None:
    src = _write(tmp_path, FOUR_COL + "\n", "a.txt")
    out = tmp_path / "b.txt"
    write_conll(out, read_conll(src), tag_column_format="4col", docstart=True)
    assert out.read_text() == src.read_text()
    assert [s.doc for s in read_conll(out)] == [0, 0, 1]


def test_write_docstart_without_sentences(tmp_path: Path) -> None:
    write_conll(tmp_path / "x", [], tag_column_format="4col", docstart=True)
    assert (tmp_path / "x").read_text() == "-DOCSTART- -X- -X- O\n\n"


def test_write_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sentence 0, token 1"):
        write_conll(tmp_path / "x", [Sentence(["New", "New York"], ["B-LOC", "I-LOC"])])
    with pytest.raises(ValueError, match="tag_column_format"):
        write_conll(tmp_path / "x", [], tag_column_format="3col")  # type: ignore[arg-type]


def test_sentence_length_check() -> None:
    with pytest.raises(ValueError, match="tags has 1 items but words has 2"):
        Sentence(["a", "b"], ["O"])
    assert len(Sentence(["a", "b"], ["O", "O"])) == 2


# ---------------------------------------------------------------------------------------------
# Tag schemes


def test_split_tag() -> None:
    assert split_tag("B-PER") == ("B", "PER")
    assert split_tag("I-geo-loc") == ("I", "geo-loc")
    assert split_tag("O") == ("O", "")
    assert split_tag("MISC") == ("I", "MISC")
    with pytest.raises(ValueError, match="invalid tag 'X-PER'"):
        split_tag("X-PER")


def test_iob1_to_iob2() -> None:
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG", "O", "I-MISC"]
    assert iob1_to_iob2(iob1) == [
        "B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "I-ORG", "O", "B-MISC"]
    with pytest.raises(ValueError, match="not an IOB1 tag: 'PER'"):
        iob1_to_iob2(["PER"])


def test_io_to_iob2() -> None:
    assert io_to_iob2(["PER", "PER", "O", "LOC", "ORG", "ORG", "I-PER"]) == [
        "B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG", "B-PER"]
    with pytest.raises(ValueError, match="not an IO tag: 'B-PER'"):
        io_to_iob2(["B-PER"])


def test_to_iob2_handles_iobes_and_is_idempotent_on_iob2() -> None:
    assert to_iob2(["S-PER", "S-PER", "B-LOC", "E-LOC", "I-LOC", "O"]) == [
        "B-PER", "B-PER", "B-LOC", "I-LOC", "B-LOC", "O"]
    iob2 = ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]
    assert to_iob2(iob2) == iob2


def test_to_io() -> None:
    assert to_io(["B-PER", "I-PER", "O", "B-LOC", "LOC"]) == ["PER", "PER", "O", "LOC", "LOC"]


_chunk_lists = st.lists(
    st.tuples(st.sampled_from(["PER", "LOC", "ORG"]), st.integers(1, 3), st.integers(0, 2)),
    max_size=8,
)


def _iob2_from_chunks(chunks: list[tuple[str, int, int]]) -> list[str]:
    """IOB2 tags for consecutive chunks (type, length) each followed by ``gap`` O tags."""
    tags: list[str] = []
    for typ, length, gap in chunks:
        tags += [f"B-{typ}"] + [f"I-{typ}"] * (length - 1) + ["O"] * gap
    return tags


def _iob2_to_iob1(tags: list[str]) -> list[str]:
    """Reference IOB2 -> IOB1 (B- only when the previous token has the same type)."""
    out = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-") and not (i > 0 and tags[i - 1] != "O"
                                         and tags[i - 1][2:] == tag[2:]):
            tag = "I-" + tag[2:]
        out.append(tag)
    return out


@given(_chunk_lists)
def test_iob1_round_trip_property(chunks: list[tuple[str, int, int]]) -> None:
    iob2 = _iob2_from_chunks(chunks)
    iob1 = _iob2_to_iob1(iob2)
    assert iob1_to_iob2(iob1) == iob2
    assert to_iob2(iob1) == iob2
    assert to_iob2(iob2) == iob2
