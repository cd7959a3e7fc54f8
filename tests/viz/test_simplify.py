"""Static views that teach: one node per variable, constants folded into their readers,
gradient groups beside their forward nodes, local rules on gradient edges, legends on the
heat-map and NaN pictures (``viz.simplify``, ``viz.rules``, ``debug.picture``)."""

from __future__ import annotations

import re

import numpy as np

import graphflow as gf
from graphflow.debug import picture
from graphflow.framework import op_registry
from graphflow.viz import rules
from tests.viz.helpers import edge, lecture_graph, nodes, scoped_model

GREEN = 'color="#15803d"'


def _with_init() -> gf.Graph:
    g, _ = scoped_model()
    with g.as_default():
        gf.global_variables_initializer()
    return g


def test_a_variable_is_one_node_and_initializers_are_hidden() -> None:
    g = _with_init()
    text = gf.viz.to_dot(g).to_string()
    found = nodes(text)
    assert "n_layer1_W" in found and "cylinder" in found["n_layer1_W"]
    for hidden in ("n_layer1_W_read", "n_layer1_W_Assign", "n_layer1_W_initial_value",
                   "n_init", "n_layer2_inner_W_read"):
        assert hidden not in found, hidden
    assert "label=<(4, 3)>" in edge(text, "n_layer1_W", "n_layer1_MatMul")
    # W sits in layer1's box, not in a box of its own
    assert "subgraph cluster_layer1_W " not in text
    # the optimizer's update still reads the variable
    assert any(k.startswith("n_SGD") for k in found)
    raw = nodes(gf.viz.to_dot(g, gf.viz.RenderOptions(show_plumbing=True)).to_string())
    assert {"n_layer1_W_read", "n_layer1_W_Assign", "n_init"} <= set(raw)


def test_get_variable_initializer_subgraph_is_folded() -> None:
    g = gf.Graph()
    with g.as_default():
        v = gf.get_variable("V", [2, 2])
        gf.reduce_sum(gf.matmul(v, v), name="loss")
    found = nodes(gf.viz.to_dot(g).to_string())
    assert not any("Initializer" in k for k in found)
    assert set(found) == {"n_V", "n_MatMul", "n_loss"}


def test_values_view_writes_the_variable_value_on_its_edge() -> None:
    g = gf.Graph()
    with g.as_default():
        v = gf.Variable(np.array([1.5, -2.0], np.float32), name="v")
        gf.reduce_sum(gf.square(v, name="sq"), name="s")
    values = gf.viz.compute_values(g, grad_of="s")
    text = gf.viz.to_dot(values).to_string()
    attrs = edge(text, "n_v", "n_sq")
    assert f"{GREEN}>[1.5, -2]<" in attrs
    assert "out_v_0" not in text  # no dangling end point for the folded variable


def test_constants_are_folded_into_their_readers() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        gf.reshape(x, [2, -1], name="r")
        gf.add(x, 1.0, name="plus_one")
    text = gf.viz.to_dot(g).to_string()
    found = nodes(text)
    assert not any("Const" in k for k in found)
    assert "shape = [2, -1]" in found["n_r"]
    assert "y = 1" in found["n_plus_one"]  # the record's input name
    raw = nodes(gf.viz.to_dot(g, gf.viz.RenderOptions(fold_constants=False)).to_string())
    assert sum(k.startswith("n_Const") for k in raw) == 2


def test_gradient_groups_sit_beside_their_forward_nodes() -> None:
    g, _ = scoped_model()
    text = gf.viz.to_dot(g).to_string()
    lines = [line.strip() for line in text.splitlines()]
    outer = lines.index("subgraph cluster_layer1 {")
    inner = lines.index("subgraph cluster_layer1_gradients {")
    assert outer < inner
    depth = 0
    for line in lines[outer:inner]:
        depth += line.endswith("{") - (line == "}")
    assert depth == 1  # layer1's gradients box is inside layer1's box
    block = text.split("subgraph cluster_layer1_gradients {")[1]
    assert "n_gradients_layer1_h_grad_TanhGrad [" in block.split("subgraph cluster_layer2")[0]
    assert "<b>TanhGrad</b>" in nodes(text)["n_gradients_layer1_h_grad_TanhGrad"]


def test_gradient_edges_carry_the_local_rule() -> None:
    g, _ = lecture_graph()
    with g.as_default():
        t = {n: g.get_tensor_by_name(f"{n}:0") for n in ("x", "y", "z", "f")}
        gf.gradients(gf.exp(t["f"], name="e"), [t["x"], t["y"], t["z"]])
    text = gf.viz.to_dot(g).to_string()
    rule_of = {}
    for a, _b, attrs in _edge_rules(text):
        rule_of.setdefault(a, set()).add(attrs)
    # each edge leaving X's gradient group says X's local rule (exp: times exp(x); max:
    # route to the winner; mul: swap the inputs), edges inside a group say nothing
    assert rule_of["n_gradients_e_grad_Mul"] == {"&#215; exp(x)"}
    assert rule_of["n_gradients_b_grad_SelectV2"] == {"route to max"}
    assert rule_of["n_gradients_f_grad_Mul"] == {"swap inputs"}
    assert all(a.split("_grad_")[0] != b.split("_grad_")[0]
               for a, b, _ in _edge_rules(text))


def _edge_rules(text: str) -> list[tuple[str, str, str]]:
    out = []
    for line in text.splitlines():
        m = re.match(r"^(\w+) -> (\w+) \[(.*)\];$", line.strip())
        if not m:
            continue
        a, b, attrs = m.groups()
        if "dir=back" in attrs:
            a, b = b, a
        for rule in re.findall(r"<i>([^<]*)</i>", attrs):
            out.append((a, b, rule))
    return out


def test_rules_come_from_the_gradient_docstrings() -> None:
    doc = " ".join(op_registry.get("Maximum").grad.__doc__.split())
    assert rules.rule_doc("Maximum") == doc.split("  ")[0] or doc.startswith(
        rules.rule_doc("Maximum"))
    assert rules.lecture_rule("AddV2") == \
        "an addition node distributes the upstream gradient unchanged"
    assert "routes the whole upstream gradient" in rules.lecture_rule("Maximum")
    assert rules.lecture_rule("Mul") == "a multiplication node swaps its inputs"
    assert rules.short_rule("Maximum") == "route to max"
    assert rules.rule_doc("Placeholder") == "" and rules.short_rule("NoSuchOp") == ""
    assert rules.short_rule("Softplus")  # falls back to the docstring's formula


def test_heatmap_and_nan_pictures_have_legends() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [3], name="x")
        h = gf.tanh(4.0 * x, name="h")
        loss = gf.reduce_sum(gf.log(h), name="loss")
    feeds = {"x": np.array([1.0, 0.5, -0.2], np.float32)}
    dot = picture.debug_dot(g, feeds, grad_of=loss).to_string()
    legend = nodes(dot)["marks_legend__"]
    assert "small gradient" in legend and "large gradient" in legend
    assert "NaN/Inf origin: loss/Log" in legend or "NaN/Inf origin: Log" in legend
    values = gf.viz.compute_values(g, feeds, grad_of=loss)
    heat = picture.gradient_heatmap(values)
    mags = [picture.gradient_magnitude(v) for v in values.gradients.values()]
    finite = [m for m in mags if m > 0 and np.isfinite(m)]
    lo, hi = min(finite), max(finite)
    assert heat.legend[0][0] == picture.heat_color(0.0)
    assert f"rms {lo:.3g}" in heat.legend[0][1] and f"rms {hi:.3g}" in heat.legend[2][1]
    clean = gf.viz.to_dot(values, annotations=picture.nan_annotations(values)).to_string()
    assert "marks_legend__" in clean
    assert "marks_legend__" not in gf.viz.to_dot(values).to_string()
