"""The explorer page (``gf.viz.to_html``): its data, its walkthrough steps, and that the page
is one self-contained file. The page's behaviour in a browser: test_explorer_browser.py."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.cli import main
from graphflow.framework import op_registry
from graphflow.viz import explorer
from tests.viz.helpers import lecture_graph, scoped_model

REPO = Path(__file__).resolve().parents[2]


def _lecture_values() -> gf.viz.GraphValues:
    g, t = lecture_graph()
    return gf.viz.compute_values(g, {t["x"]: 1, t["y"]: 2, t["z"]: 0}, grad_of=t["f"])


def _page_data(text: str) -> dict:
    m = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', text,
                  re.S)
    assert m is not None
    return json.loads(m.group(1))


def _window_classifier():
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import window_classifier_graph as wc
    finally:
        sys.path.pop(0)
    return wc


def test_lecture_walkthrough_steps() -> None:
    data = explorer.explorer_data(_lecture_values())
    steps = data["steps"]
    forward = [s for s in steps if s["phase"] == "forward"]
    backward = [s for s in steps if s["phase"] == "backward"]
    assert [s["node"] for s in forward] == ["x", "y", "z", "a", "b", "f"]
    assert forward[-1]["lines"] == ["inputs: a = 3, b = 2", "f = 6"]
    # backward: the output first, each node after all its readers, inputs last
    assert [s["node"] for s in backward] == ["f", "a", "b", "x", "y", "z"]
    by_node = {s["node"]: s["lines"] for s in backward}
    assert by_node["f"][0].startswith("start: df/df = 1")
    assert "local rule (Mul): a multiplication node swaps its inputs" in by_node["f"]
    assert "sends to a: 2" in by_node["f"] and "sends to b: 3" in by_node["f"]
    assert by_node["a"][0] == "upstream gradient: df/da = 2"
    assert "distributes the upstream gradient unchanged" in by_node["a"][1]
    # y feeds a and b: its running sum grows from 2 to 2 + 3 = 5
    assert "sends to y: 2 (running sum at y: 2)" in by_node["a"]
    assert "sends to y: 3 (running sum at y: 2 + 3 = 5)" in by_node["b"]
    assert "routes the whole upstream gradient to the input that won" in by_node["b"][1]
    assert "sends to z: 0" in by_node["b"]
    assert by_node["x"] == ["final gradient: df/dx = 2"]
    assert by_node["y"] == ["final gradient: df/dy = 2 (from a) + 3 (from b) = 5"]
    assert by_node["z"] == ["final gradient: df/dz = 0"]
    # the step's edges are the ones it explains: f's step lights a -> f and b -> f
    edges = data["edges"]
    f_step = backward[0]
    assert sorted((edges[i]["src"], edges[i]["dst"]) for i in f_step["edges"]) == \
        [("a", "f"), ("b", "f")]


def test_lecture_nodes_edges_and_details() -> None:
    data = explorer.explorer_data(_lecture_values())
    nodes = {n["name"]: n for n in data["nodes"]}
    assert set(nodes) == {"x", "y", "z", "a", "b", "f"}
    assert data["hasValues"] and data["target"] == "f:0" and data["rankdir"] == "LR"
    f = nodes["f"]
    assert f["op"] == "Mul" and f["outputs"][0]["value"] == "6"
    assert f["outputs"][0]["grad"] == "1" and f["outputs"][0]["spec"] == "() float32"
    assert [i["tensor"] for i in f["inputs"]] == ["a:0", "b:0"]
    assert f["inputs"][0]["spec"] == "() float32"
    assert f["attrs"]["T"] == "float32"
    doc = " ".join(type(op_registry.get("Mul")).grad.__doc__.split())
    assert f["ruleDoc"] and doc.startswith(f["ruleDoc"])
    assert f["rule"] == "a multiplication node swaps its inputs"
    assert nodes["x"]["ruleDoc"] == ""  # a placeholder has no gradient rule
    edge = {(e["src"], e["dst"]): e for e in data["edges"]}
    assert edge[("y", "a")]["value"] == "2" and edge[("y", "a")]["grad"] == "2 (sum 5)"
    assert edge[("y", "b")]["grad"] == "3 (sum 5)"
    assert edge[("z", "b")]["grad"] == "0"


def test_structure_view_scopes_and_collapse_default() -> None:
    g, _ = scoped_model()
    data = explorer.explorer_data(g)
    assert not data["hasValues"] and data["steps"] == [] and data["rankdir"] == "TB"
    scopes = {s["name"]: s for s in data["scopes"]}
    assert {"layer1", "layer2", "layer2/inner", "layer1/gradients", "SGD"} <= set(scopes)
    assert scopes["layer1/gradients"]["gradient"] and not scopes["layer1"]["gradient"]
    assert scopes["layer2/inner"]["parent"] == "layer2"
    nodes = {n["name"]: n for n in data["nodes"]}
    assert nodes["layer1/W"]["scope"] == "layer1"  # one node per variable
    assert nodes["layer1/W"]["absorbed"] == ["layer1/W/Assign", "layer1/W/initial_value",
                                            "layer1/W/read"]
    assert nodes["layer1/h"]["label"] == "h" and nodes["layer1/h"]["op"] == "Tanh"
    assert nodes["layer1/h"]["outputs"][0]["spec"] == "(?, 3) float32"
    assert data["expanded"] == (len(data["nodes"]) <= explorer.EXPAND_LIMIT)
    assert explorer.explorer_data(g, expanded=False)["expanded"] is False


def test_window_classifier_walkthrough() -> None:
    wc = _window_classifier()
    graph, loss = wc.window_classifier()
    values = gf.viz.compute_values(graph, {"window": np.arange(5)}, grad_of=loss)
    data = explorer.explorer_data(values)
    nodes = {n["name"]: n for n in data["nodes"]}
    # s = u^T f(Wx + b): the variables are single nodes with their values and gradients
    assert {"hidden/W", "hidden/b", "score/u", "embeddings/E", "hidden/h", "J"} <= set(nodes)
    assert not any(name.endswith("/read") for name in nodes)
    steps = {(s["phase"], s["node"]): s["lines"] for s in data["steps"]}
    assert steps[("forward", "J")][-1] == f"J = {gf.viz.format_value(values.value('J'))}"
    assert steps[("backward", "J")][0].startswith("start: dJ/dJ = 1")
    u_grad = gf.viz.format_value(values.gradient("score/u/read"))
    assert steps[("backward", "score/u")] == [f"final gradient: dJ/dscore/u = {u_grad}"]
    tanh = steps[("backward", "hidden/h")]
    assert tanh[1].startswith("local rule (Tanh): d tanh(x) = g * (1 - y^2)")
    w_grad = values.gradient("hidden/W/read")
    np.testing.assert_allclose(w_grad, values.gradient("hidden/W"), rtol=1e-6)
    summary = gf.viz.format_value(w_grad)
    assert f"sends to hidden/W: {summary}" in steps[("backward", "hidden/MatMul")]
    order = [s["node"] for s in data["steps"] if s["phase"] == "backward"]
    assert order.index("hidden/h") < order.index("hidden/add") < order.index("hidden/MatMul")


def test_page_is_self_contained_and_script_safe(tmp_path: Path) -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        gf.identity(x, name="id")
        gf.constant(np.array(["</script><script>alert(1)</script>"]), name="evil")
    path = gf.viz.to_html(g, tmp_path / "page.html")
    assert path == tmp_path / "page.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # no external resource of any kind: scripts and styles are inline
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=\"(?!data:)", text)
    assert "@import" not in text and "url(http" not in text
    for name in ("explorer.js", "dagre.min.js"):
        assert explorer.static_text(name).replace("</", "<\\/")[:2000] in text
    assert "fetch(" not in explorer.static_text("explorer.js")
    assert "XMLHttpRequest" not in explorer.static_text("explorer.js")
    # dagre's licence travels with it
    assert "Permission is hereby granted, free of charge" in text and "dagre 1.1.4" in text
    # the JSON cannot close its <script>: exactly the page's own closing tags
    assert text.count("</script>") == 3
    data = _page_data(text)
    evil = next(n for n in data["nodes"] if n["name"] == "evil")
    assert "</script>" in evil["attrs"]["value"]
    assert {"x", "id", "evil"} <= {n["name"] for n in data["nodes"]}
    # ids the tests and users rely on
    for hook in ('id="details"', 'id="step-next"', 'id="step-back"', 'id="search"'):
        assert hook in text
    assert isinstance(gf.viz.to_html(g), str)


def test_render_command_writes_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g, _ = lecture_graph()
    pb = Path(gf.io.write_graph(g, tmp_path, "walk.pb", as_text=False))
    out = tmp_path / "walk.html"
    assert main(["render", str(pb), "--feed", "x=1", "--feed", "y=2", "--feed", "z=0",
                 "--grad-of", "f", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    data = _page_data(out.read_text(encoding="utf-8"))
    backward = {s["node"]: s["lines"] for s in data["steps"] if s["phase"] == "backward"}
    assert backward["y"] == ["final gradient: df/dy = 2 (from a) + 3 (from b) = 5"]
    plain = tmp_path / "plain.html"
    assert main(["render", str(pb), "-o", str(plain)]) == 0
    plain_data = _page_data(plain.read_text(encoding="utf-8"))
    assert plain_data["steps"] == [] and plain_data["expanded"] is True  # 6 nodes
    assert main(["render", str(pb), "--collapse", "-o", str(plain)]) == 0
    assert _page_data(plain.read_text(encoding="utf-8"))["expanded"] is False


def test_unknown_static_file_is_refused() -> None:
    with pytest.raises(ValueError, match="no static file 'x.js'"):
        explorer.static_text("x.js")
