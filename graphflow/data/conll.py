"""Reading and writing CoNLL-style NER files, and tag-scheme conversions.

Two on-disk formats are supported, one token per line and a blank line between sentences:

* ``"4col"`` -- the CoNLL-2003 form ``word POS chunk NER``, columns separated by whitespace
  (the shared-task files use single spaces). The NER column may use IOB1 or IOB2.
* ``"2col"`` -- the CS224N form ``word<TAB>TAG`` where TAG is a bare type (``PER``, ``ORG``,
  ``LOC``, ``MISC``) or ``O`` (the IO scheme). Prefixed tags (``B-PER``) are also accepted.

Format auto-detection (``read_conll(path)`` with ``fmt="auto"``) looks at the first non-blank,
non-``-DOCSTART-`` line of the file only. If that line contains a TAB, its fields are counted by
splitting on TAB, otherwise on whitespace: 4 fields mean ``"4col"``, 2 fields mean ``"2col"``,
anything else is a ``ConllFormatError``. Every later line must have the same layout, so a file
mixing both layouts is reported as malformed at the first offending line.

``-DOCSTART-`` lines (document separators, whatever their columns) end the current sentence
and start a new document: each sentence records its document's index in ``Sentence.doc``
(0, 1, 2, ... in file order; a file without ``-DOCSTART-`` lines is one document 0, and
sentences before the first ``-DOCSTART-`` form document 0). Document-level features (e.g.
``graphflow.models.ner_features``' document casing) use it. Empty sentences (e.g. the blank
line after ``-DOCSTART-``) are dropped.
Sentences keep their POS and chunk columns when read from a 4-column file so that
``write_conll(..., "4col")`` can round-trip them.

Tag helpers: a tag is ``"O"``, ``"<prefix>-<TYPE>"`` with prefix B, I, E or S (split at the
first ``-``), or a bare ``"<TYPE>"`` without prefix (IO scheme). ``to_iob2`` normalises any of
IOB1, IOB2, IO (bare or ``I-`` tags) and IOBES to IOB2.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "DOCSTART",
    "ConllFormatError",
    "Sentence",
    "detect_format",
    "io_to_iob2",
    "iob1_to_iob2",
    "read_conll",
    "split_tag",
    "to_io",
    "to_iob2",
    "write_conll",
]

DOCSTART = "-DOCSTART-"
ConllFormat = Literal["2col", "4col"]
_PREFIXES = frozenset("BIES")
_MAX_QUOTE = 80


class ConllFormatError(ValueError):
    """A CoNLL file could not be parsed. The message names the file, the 1-based line number,
    quotes the offending line (truncated) and says what was expected."""

    def __init__(self, path: str | os.PathLike[str], line_no: int, line: str, expected: str):
        self.path = str(path)
        self.line_no = line_no
        self.line = line
        quoted = line if len(line) <= _MAX_QUOTE else line[:_MAX_QUOTE] + "..."
        super().__init__(f"{self.path}:{line_no}: malformed line {quoted!r}: expected {expected}")


@dataclass
class Sentence:
    """One sentence: parallel lists of words and NER tags.

    ``pos`` and ``chunks`` are filled when read from a 4-column file (else ``None``).
    ``doc`` is the index of the sentence's document in its file (``read_conll``), ``None``
    when unknown; it is metadata and takes no part in ``==``.
    """

    words: list[str]
    tags: list[str]
    pos: list[str] | None = None
    chunks: list[str] | None = None
    doc: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n = len(self.words)
        for name in ("tags", "pos", "chunks"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"Sentence.{name} has {len(value)} items but words has {n}")

    def __len__(self) -> int:
        return len(self.words)


# --------------------------------------------------------------------------------------------
# Reading


def detect_format(line: str) -> ConllFormat | None:
    """Return the format implied by one non-blank line, or None if it fits neither."""
    n = len(line.split("\t")) if "\t" in line else len(line.split())
    if n == 4:
        return "4col"
    if n == 2:
        return "2col"
    return None


def _check_tag(tag: str, fmt: ConllFormat) -> str | None:
    """Return an 'expected ...' description if ``tag`` is not a valid NER tag, else None."""
    if tag == "O":
        return None
    prefix, sep, typ = tag.partition("-")
    if sep:
        if prefix in _PREFIXES and typ:
            return None
        return "an NER tag 'O' or '<B|I|E|S>-<TYPE>'"
    if fmt == "2col":
        return None  # bare IO type such as PER
    return "an NER tag 'O' or '<B|I|E|S>-<TYPE>' in the 4th column"


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_no = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        raw = data[start : end if end >= 0 else len(data)].decode("utf-8", "replace")
        raise ConllFormatError(path, line_no, raw, "UTF-8 text") from exc


def read_conll(
    path: str | os.PathLike[str], fmt: Literal["auto", "2col", "4col"] = "auto"
) -> list[Sentence]:
    """Read a CoNLL NER file into a list of sentences (see the module docstring for formats).

    Tags are returned exactly as in the file (no scheme conversion); use ``to_iob2`` to
    normalise. Each sentence's ``doc`` is its document's index (``-DOCSTART-`` lines separate
    documents). Raises ``ConllFormatError`` on the first malformed line.
    """
    path = Path(path)
    text = _decode(path)
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    pos: list[str] = []
    chunks: list[str] = []
    detected: ConllFormat | None = None if fmt == "auto" else fmt
    valid_tags: set[str] = set()  # cache of tags already checked by _check_tag
    doc, doc_has_sentences = 0, False
    if fmt not in ("auto", "2col", "4col"):
        raise ValueError(f"fmt must be 'auto', '2col' or '4col', got {fmt!r}")

    def flush() -> None:
        nonlocal words, tags, pos, chunks, doc_has_sentences
        if words:
            four = detected == "4col"
            sentences.append(
                Sentence(words, tags, pos if four else None, chunks if four else None, doc)
            )
            words, tags, pos, chunks = [], [], [], []
            doc_has_sentences = True

    for line_no, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            flush()
            continue
        if line.startswith(DOCSTART) and (len(line) == len(DOCSTART)
                                          or line[len(DOCSTART)].isspace()):
            flush()  # document separator, whatever its columns
            if doc_has_sentences:
                doc, doc_has_sentences = doc + 1, False
            continue
        if detected is None:
            detected = detect_format(line)
            if detected is None:
                raise ConllFormatError(
                    path, line_no, line,
                    "'word POS chunk NER' (4 space-separated columns) or 'word<TAB>TAG'",
                )
        if detected == "4col":
            fields = line.split()
            if len(fields) != 4:
                raise ConllFormatError(
                    path, line_no, line,
                    f"4 whitespace-separated columns 'word POS chunk NER', got {len(fields)}",
                )
            word, tag = fields[0], fields[3]
        else:
            fields = line.split("\t") if "\t" in line else line.split()
            if len(fields) != 2:
                raise ConllFormatError(
                    path, line_no, line, f"2 columns 'word<TAB>TAG', got {len(fields)}"
                )
            word, tag = fields[0].strip(), fields[1].strip()
            if not word:
                raise ConllFormatError(path, line_no, line, "a non-empty word before the TAB")
        if tag not in valid_tags:
            problem = _check_tag(tag, detected)
            if problem is not None:
                raise ConllFormatError(path, line_no, line, f"{problem}, got tag {tag!r}")
            valid_tags.add(tag)
        words.append(word)
        tags.append(tag)
        if detected == "4col":
            pos.append(fields[1])
            chunks.append(fields[2])
    flush()
    return sentences


# --------------------------------------------------------------------------------------------
# Writing


def write_conll(
    path: str | os.PathLike[str],
    sentences: Iterable[Sentence],
    tag_column_format: Literal["2col", "4col"] = "2col",
    docstart: bool = False,
) -> None:
    """Write sentences in the ``"2col"`` (``word<TAB>TAG``) or ``"4col"`` form.

    In 4-column output, sentences without POS/chunk columns get the placeholder ``-X-`` in both.
    ``docstart=True`` writes a ``-DOCSTART-`` line plus a blank line (as in the CoNLL-2003
    files) before the first sentence and before every sentence whose ``doc`` differs from the
    previous sentence's, so ``read_conll`` gives the documents back. Every sentence is
    followed by a blank line; files end with ``"\\n\\n"``.
    Words containing whitespace cannot be represented and raise ``ValueError``.
    """
    if tag_column_format not in ("2col", "4col"):
        raise ValueError(f"tag_column_format must be '2col' or '4col', got {tag_column_format!r}")
    four = tag_column_format == "4col"
    out: list[str] = []
    separator = f"{DOCSTART} -X- -X- O\n\n" if four else f"{DOCSTART}\tO\n\n"
    previous_doc: int | None = None
    for s_idx, sent in enumerate(sentences):
        if docstart and (s_idx == 0 or sent.doc != previous_doc):
            out.append(separator)
        previous_doc = sent.doc
        pos = sent.pos or ["-X-"] * len(sent.words)
        chunks = sent.chunks or ["-X-"] * len(sent.words)
        for i, (word, tag) in enumerate(zip(sent.words, sent.tags, strict=True)):
            if not word or any(ch.isspace() for ch in word):
                raise ValueError(f"sentence {s_idx}, token {i}: word {word!r} is empty or "
                                 "contains whitespace")
            out.append(f"{word} {pos[i]} {chunks[i]} {tag}\n" if four else f"{word}\t{tag}\n")
        out.append("\n")
    if docstart and not out:
        out.append(separator)
    Path(path).write_text("".join(out), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Tag schemes


def split_tag(tag: str) -> tuple[str, str]:
    """Split a tag into ``(prefix, type)``: ``"B-PER" -> ("B", "PER")``, ``"O" -> ("O", "")``.

    A bare type (IO scheme) is returned with prefix ``"I"``: ``"PER" -> ("I", "PER")``.
    Raises ``ValueError`` for an unknown prefix such as ``"X-PER"``.
    """
    if tag == "O":
        return "O", ""
    prefix, sep, typ = tag.partition("-")
    if not sep:
        return "I", tag
    if prefix not in _PREFIXES or not typ:
        raise ValueError(f"invalid tag {tag!r}: expected 'O', '<B|I|E|S>-<TYPE>' or a bare TYPE")
    return prefix, typ


def to_iob2(tags: Sequence[str]) -> list[str]:
    """Normalise IOB1, IOB2, IO (bare or ``I-`` types) or IOBES tags to IOB2.

    A token starts an entity (``B-``) if its prefix is B or S, or it continues nothing: the
    previous token is ``O`` or of another type, or the previous token was E/S (entity closed).
    """
    out: list[str] = []
    prev_prefix, prev_type = "O", ""
    for tag in tags:
        prefix, typ = split_tag(tag)
        if prefix == "O":
            out.append("O")
        elif prefix in ("B", "S") or prev_type != typ or prev_prefix in ("O", "E", "S"):
            out.append(f"B-{typ}")
        else:
            out.append(f"I-{typ}")
        prev_prefix, prev_type = prefix, typ
    return out


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """Convert IOB1 (``B-`` only between adjacent same-type entities) to IOB2."""
    for tag in tags:
        if tag != "O" and tag[:2] not in ("B-", "I-"):
            raise ValueError(f"not an IOB1 tag: {tag!r}")
    return to_iob2(tags)


def io_to_iob2(tags: Sequence[str]) -> list[str]:
    """Convert IO tags (bare types like ``PER`` or ``I-PER``) to IOB2.

    Each maximal run of one type becomes one entity, so adjacent same-type entities merge.
    """
    for tag in tags:
        if tag != "O" and split_tag(tag)[0] != "I":
            raise ValueError(f"not an IO tag: {tag!r}")
    return to_iob2(tags)


def to_io(tags: Sequence[str]) -> list[str]:
    """Strip prefixes (CS224N form): ``["B-PER", "I-PER", "O"] -> ["PER", "PER", "O"]``."""
    return [tag if tag == "O" else split_tag(tag)[1] for tag in tags]
