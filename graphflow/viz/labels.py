"""Text of a picture: DOT identifiers, escaped labels, shape and value formatting.

Every label is a Graphviz HTML-like label (``<...>``), built from escaped text, so node names
with quotes, colons, backslashes, braces, angle brackets or non-ASCII characters are drawn
literally: ``html_text`` escapes ``& < > " '`` and writes non-ASCII characters as numeric
character references, keeping the DOT text plain ASCII. Plain string attributes (tooltips)
go through ``quoted``, which escapes backslashes and quotes for Graphviz's escString.
DOT identifiers are derived from names but restricted to ``[A-Za-z0-9_]`` (``IdMaker``), so
pydot never mistakes a colon in a name for a port.
"""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np

from graphflow.framework.tensor import TensorSpec

_NOT_ID = re.compile(r"[^A-Za-z0-9_]")


class IdMaker:
    """Deterministic, collision-free DOT identifiers (``prefix`` + sanitized name)."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._ids: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, name: str) -> str:
        found = self._ids.get(name)
        if found is not None:
            return found
        base = self._prefix + _NOT_ID.sub("_", name)
        candidate, k = base, 1
        while candidate in self._used:
            k += 1
            candidate = f"{base}__{k}"
        self._ids[name] = candidate
        self._used.add(candidate)
        return candidate


def html_text(text: str) -> str:
    """``text`` escaped for an HTML-like label (ASCII only; newlines become ``<br/>``)."""
    escaped = html.escape(text, quote=True).encode("ascii", "xmlcharrefreplace").decode("ascii")
    return escaped.replace("\n", "<br/>")


def html_label(*parts: str) -> str:
    """Wrap already-escaped HTML fragments (joined by line breaks) as a DOT HTML label."""
    body = "<br/>".join(p for p in parts if p) or " "
    return f"<{body}>"


def font(text: str, color: str | None = None, size: int | None = None, bold: bool = False,
         italic: bool = False) -> str:
    """Escape ``text`` and wrap it in ``<font>`` / ``<b>`` / ``<i>`` tags."""
    out = html_text(text)
    if bold:
        out = f"<b>{out}</b>"
    if italic:
        out = f"<i>{out}</i>"
    attrs = []
    if color:
        attrs.append(f'color="{color}"')
    if size:
        attrs.append(f'point-size="{size}"')
    return f"<font {' '.join(attrs)}>{out}</font>" if attrs else out


def quoted(text: str) -> str:
    """A double-quoted DOT string for plain attributes such as ``tooltip``."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{body}"'


def shape_text(spec: TensorSpec | None, show_dtype: bool = True) -> str:
    """``(3, 4)``, ``()``, ``(?, 10) int32``; ``""`` when nothing is known statically."""
    if spec is None:
        return ""
    dims = spec.shape.dims
    if dims is None:
        text = "?"
    else:
        inner = ", ".join("?" if d is None else str(d) for d in dims)
        text = f"({inner}{',' if len(dims) == 1 else ''})"
    if show_dtype and spec.dtype.name != "float32":
        text += f" {spec.dtype.name}"
    return text


def format_value(value: Any, max_elements: int = 6, precision: int = 4) -> str:
    """Small arrays print their values (``3``, ``[1, 2.5]``); larger ones a summary
    (``(100, 50) mean=0.012 norm=3.41``), with a count of NaN/Inf entries when there are any."""
    if hasattr(value, "to_dense"):  # IndexedSlicesValue: draw the dense gradient
        value = value.to_dense()
    a = np.asarray(value)
    if a.dtype.kind in "OSUV":
        return str(a.tolist()) if a.size <= max_elements else f"{_shape(a)} {a.dtype}"
    if a.size <= max_elements:
        if a.ndim == 0:
            return _number(a.item(), precision)
        return np.array2string(a, separator=", ", max_line_width=60,
                               formatter={"all": lambda v: _number(v, precision)})
    parts = [_shape(a)]
    if a.dtype.kind == "b":
        parts.append(f"true={int(a.sum())}")
        return " ".join(parts)
    finite = np.isfinite(a) if a.dtype.kind in "fc" else np.ones(a.shape, dtype=bool)
    bad = int(a.size - finite.sum())
    values = a[finite].astype(np.float64)
    if values.size:
        parts.append(f"mean={_number(values.mean(), 3)}")
        parts.append(f"norm={_number(float(np.linalg.norm(values)), 3)}")
    if bad:
        nans = int(np.isnan(a).sum())
        parts.append(f"NaN={nans}" if nans == bad else f"NaN/Inf={bad}")
    return " ".join(parts)


def _shape(a: np.ndarray) -> str:
    return "(" + ", ".join(str(d) for d in a.shape) + ("," if a.ndim == 1 else "") + ")"


def _number(v: Any, precision: int) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    text = f"{float(v):.{precision}g}"
    return "0" if text == "-0" else text
