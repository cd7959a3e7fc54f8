"""Writing pictures: formats by extension, the missing-Graphviz error, valid SVG/PNG output,
and labels that survive Graphviz (quotes, colons, backslashes, unicode, brackets)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import graphflow as gf
from graphflow.proto import graph_pb2
from graphflow.viz import output as render_module
from tests.viz.helpers import lecture_graph, scoped_model

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Image tests need Graphviz's `dot`; CI installs it, so there they must run, not skip.
needs_dot = pytest.mark.skipif(gf.viz.find_dot() is None and not os.environ.get("CI"),
                               reason="Graphviz's dot is not installed (apt-get install "
                                      "graphviz / brew install graphviz)")


def _svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_dot_files_need_no_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    assert gf.viz.find_dot() is None
    g, _ = lecture_graph()
    path = gf.viz.render(g, tmp_path / "g.dot")
    text = path.read_text(encoding="utf-8")
    assert text == gf.viz.to_dot(g).to_string()
    assert gf.viz.render(g, tmp_path / "g.gv").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_images_without_graphviz_say_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    monkeypatch.setattr(render_module, "find_dot", lambda: None)
    g, _ = lecture_graph()
    with pytest.raises(gf.viz.GraphvizNotFoundError) as info:
        gf.viz.render(g, tmp_path / f"g{suffix}")
    message = str(info.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert ".dot" in message and f"g{suffix}" in message
    assert not (tmp_path / f"g{suffix}").exists()


def test_unknown_extension_is_rejected(tmp_path: Path) -> None:
    g, _ = lecture_graph()
    with pytest.raises(ValueError, match=r"'.jpg'.*\.svg"):
        gf.viz.render(g, tmp_path / "g.jpg")


@needs_dot
def test_svg_and_png_are_valid_files(tmp_path: Path) -> None:
    g, _ = scoped_model()
    svg = gf.viz.render(g, tmp_path / "sub" / "model.svg")
    texts = _svg_texts(svg)
    assert "MatMul" in texts and "layer1" in texts and "gradients" in texts
    png = gf.viz.render(g, tmp_path / "model.png")
    assert png.read_bytes().startswith(PNG_SIGNATURE)


@needs_dot
def test_write_renders_a_prebuilt_dot(tmp_path: Path) -> None:
    dot = gf.viz.to_dot(lecture_graph()[0])
    assert "Maximum" in _svg_texts(gf.viz.write(dot, tmp_path / "x.svg"))


@needs_dot
def test_awkward_names_survive_graphviz(tmp_path: Path) -> None:
    g, _ = lecture_graph()
    gd = g.as_graph_def()
    rename = {"x": 'sc"ope/in:put\\1 {ü} <b>&amp;', "y": "y", "z": "z",
              "a": 'sc"ope/名前 [a]|b:0', "b": "b>c", "f": "f"}
    for node in gd.node:
        node.name = rename[node.name]
        for i, text in enumerate(node.input):
            node.input[i] = rename[text]
    texts = _svg_texts(gf.viz.render(gd, tmp_path / "names.svg"))
    for expected in ('sc"ope', 'in:put\\1 {ü} <b>&amp;', "名前 [a]|b:0", "b>c", "AddV2"):
        assert expected in texts, expected
    assert gf.viz.render(gd, tmp_path / "names.png").read_bytes().startswith(PNG_SIGNATURE)


@needs_dot
def test_empty_graph_and_unknown_ops_render(tmp_path: Path) -> None:
    assert _svg_texts(gf.viz.render(graph_pb2.GraphDef(), tmp_path / "empty.svg")) == []
    gd = lecture_graph()[0].as_graph_def()
    gd.node.add(name="custom", op="NotAnOp").input.append("f")
    assert "NotAnOp (unknown op)" in _svg_texts(gf.viz.render(gd, tmp_path / "u.svg"))


@needs_dot
def test_values_view_svg_shows_forward_values_and_gradients(tmp_path: Path) -> None:
    g, t = lecture_graph()
    values = gf.viz.compute_values(g, {"x": 1, "y": 2, "z": 0}, grad_of=t["f"])
    texts = _svg_texts(gf.viz.render(values, tmp_path / "walk.svg"))
    for expected in ("3", "6", "2 (sum 5)", "3 (sum 5)", "1", "0"):
        assert expected in texts, expected


@needs_dot
def test_a_graphviz_failure_is_retried_without_clusters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = render_module.run_dot
    seen: list[str] = []

    def flaky(program: str, fmt: str, path: Path, text: str) -> str | None:
        seen.append(text)
        if "subgraph" in text:  # Graphviz 2.4x's "trouble in init_rank" on some clusters
            return "exit 1: Error: trouble in init_rank"
        return real(program, fmt, path, text)

    monkeypatch.setattr(render_module, "run_dot", flaky)
    g, _ = scoped_model()
    texts = _svg_texts(gf.viz.render(g, tmp_path / "retry.svg"))
    assert len(seen) == 2 and "splines=line" in seen[1] and "subgraph" not in seen[1]
    assert "MatMul" in texts

    monkeypatch.setattr(render_module, "run_dot", lambda *a: "exit 1: Error: broken")
    with pytest.raises(RuntimeError, match="dot failed writing .*broken"):
        gf.viz.render(g, tmp_path / "fail.svg")
