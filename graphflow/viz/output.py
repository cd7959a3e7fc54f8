"""Write a picture to a file; the format comes from the extension.

``.dot``/``.gv`` files are DOT text and need nothing else. ``.svg``, ``.png`` and ``.pdf``
are drawn by Graphviz's ``dot`` program; when it is not installed the error says how to
install it (``apt-get install graphviz`` / ``brew install graphviz``) and that ``.dot``
output still works. Graphviz 2.4x occasionally fails on valid clustered graphs ("trouble in
init_rank", spline routing errors); the picture is then redrawn without clusters and with
straight edges before any error is raised, so a valid graph always renders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pydot

from graphflow.viz.dot import to_dot
from graphflow.viz.options import Annotations, RenderOptions

DOT_SUFFIXES = (".dot", ".gv")
IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}

INSTALL_HINT = ("install Graphviz (Debian/Ubuntu: `apt-get install graphviz`; macOS: "
                "`brew install graphviz`; or run `make system-deps`), or write a .dot file "
                "instead, which needs no Graphviz")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed for image output but is not on PATH."""


def find_dot() -> str | None:
    """Path of Graphviz's ``dot`` program, or None when it is not installed."""
    return shutil.which("dot")


def render(graph: Any, path: str | os.PathLike[str], options: RenderOptions | None = None,
           annotations: Annotations | None = None) -> Path:
    """Draw ``graph`` (Graph, GraphDef or ``GraphValues``) to ``path``; the extension picks
    the format (.dot, .gv, .svg, .png, .pdf). Returns the path written."""
    target = Path(path)
    program = _check_output(target)
    return _write(to_dot(graph, options, annotations), target, program)


def write(dot: pydot.Dot, path: str | os.PathLike[str]) -> Path:
    """Write an already built ``pydot.Dot`` to ``path`` (format from the extension)."""
    target = Path(path)
    return _write(dot, target, _check_output(target))


def _check_output(path: Path) -> str | None:
    """Fail before any drawing work: unknown extension, or an image without ``dot``."""
    suffix = path.suffix.lower()
    if suffix in DOT_SUFFIXES:
        return None
    if suffix not in IMAGE_FORMATS:
        known = ", ".join(DOT_SUFFIXES + tuple(IMAGE_FORMATS))
        raise ValueError(f"cannot tell the picture format of '{path}' from its extension "
                         f"'{suffix or '(none)'}'; use one of: {known}")
    program = find_dot()
    if program is None:
        raise GraphvizNotFoundError(
            f"writing '{path}' needs Graphviz's `dot` program, which was not found on PATH: "
            f"{INSTALL_HINT}")
    return program


def _write(dot: pydot.Dot, path: Path, program: str | None) -> Path:
    text = dot.to_string()
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if program is None:
        path.write_text(text, encoding="utf-8")
        return path
    fmt = IMAGE_FORMATS[path.suffix.lower()]
    error = run_dot(program, fmt, path, text)
    if error is not None:  # a Graphviz layout bug: retry the simplest layout
        retry = run_dot(program, fmt, path, _flattened(dot).to_string())
        if retry is not None:
            raise RuntimeError(f"Graphviz's dot failed writing '{path}': {error}")
    return path


def run_dot(program: str, fmt: str, path: Path, text: str) -> str | None:
    """Run Graphviz's ``program`` (``dot``) writing ``path`` in ``fmt``; None on success, else
    its error output (``render`` retries a failed layout once without clusters)."""
    proc = subprocess.run([program, f"-T{fmt}", "-o", str(path)], input=text.encode("utf-8"),
                          capture_output=True, check=False)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return f"exit {proc.returncode}: " + " / ".join(lines[:3])


def _flattened(dot: pydot.Dot) -> pydot.Dot:
    """The same nodes and edges without clusters, drawn with straight edges."""
    flat = pydot.Dot(dot.get_name(), graph_type="digraph", strict=False)
    for key, value in dot.get_attributes().items():
        flat.set(key, value)
    flat.set("splines", "line")
    pending: list[pydot.Dot | pydot.Subgraph] = [dot]
    while pending:
        graph = pending.pop(0)
        for node in graph.get_nodes():
            flat.add_node(node)
        pending.extend(graph.get_subgraphs())
    for edge in dot.get_edges():
        flat.add_edge(edge)
    return flat
