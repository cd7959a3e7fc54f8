"""Plain-text tables for the debugging reports (``graphflow inspect``, ``gradcheck``)."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: int = 2,
                 right: Sequence[int] | None = None) -> str:
    """Columns padded to their widest cell; numeric-looking columns are right-aligned
    (or those in ``right``); the header is underlined."""
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    if right is None:
        right = [i for i in range(1, len(header))
                 if rows and all(_numeric(row[i]) for row in rows)]
    pad = " " * indent

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths))]
        return (pad + "  ".join(parts)).rstrip()

    out = [line(header), pad + "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def _numeric(cell: str) -> bool:
    text = cell.rstrip("%")
    if text in ("-", "nan", "inf"):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True
