"""Structure view: ``gf.viz.to_dot`` content, checked on the DOT text."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import gradient_scopes
from graphflow.proto import graph_pb2
from tests.viz.helpers import edge, edges, lecture_graph, nodes, scoped_model

#: The raw graph: every variable's plumbing and every constant drawn as nodes.
RAW = gf.viz.RenderOptions(show_plumbing=True, fold_constants=False)


def test_nodes_are_labelled_with_name_and_op_type() -> None:
    g, _ = lecture_graph()
    text = gf.viz.to_dot(g).to_string()
    found = nodes(text)
    assert set(found) == {"n_x", "n_y", "n_z", "n_a", "n_b", "n_f"}
    assert "<b>a</b>" in found["n_a"] and ">AddV2</font>" in found["n_a"]
    assert "<b>b</b>" in found["n_b"] and ">Maximum</font>" in found["n_b"]
    assert 'tooltip="f (Mul)"' in found["n_f"]


def test_edges_carry_static_shapes_and_non_float32_dtypes() -> None:
    g, _ = scoped_model(with_gradients=False)
    text = gf.viz.to_dot(g).to_string()
    assert "label=<(?, 4)>" in edge(text, "n_x", "n_layer1_MatMul")
    assert "label=<(4, 3)>" in edge(text, "n_layer1_W", "n_layer1_MatMul")  # W/read folded
    assert "label=<(?,) int32>" in edge(text, "n_ids", "n_Cast")
    assert "label=<()>" not in edge(text, "n_layer1_h", "n_layer2_logits")


def test_kinds_are_visually_distinct() -> None:
    g, _ = scoped_model(with_gradients=False)
    found = nodes(gf.viz.to_dot(g, RAW).to_string())
    shape = {k: re.search(r"shape=(\w+)", v).group(1) for k, v in found.items()}
    kinds = {shape["n_x"], shape["n_layer1_W"], shape["n_layer1_W_initial_value"],
             shape["n_layer1_MatMul"], shape["n_layer1_W_Assign"]}
    assert kinds == {"invhouse", "cylinder", "box", "ellipse", "octagon"}


def test_name_scopes_are_nested_clusters() -> None:
    g, _ = scoped_model(with_gradients=False)
    text = gf.viz.to_dot(g, RAW).to_string()
    lines = [line.strip() for line in text.splitlines()]
    assert "subgraph cluster_layer1 {" in lines
    assert "subgraph cluster_layer2 {" in lines
    inner = lines.index("subgraph cluster_layer2_inner {")
    outer = lines.index("subgraph cluster_layer2 {")
    assert outer < inner  # inner is nested inside layer2's block
    depth = 0
    for line in lines[outer:inner]:
        depth += line.endswith("{") - (line == "}")
    assert depth == 1
    # a variable is drawn inside the cluster of its own scope (W with W/read, W/Assign)
    w_block = text.split("subgraph cluster_layer1_W {")[1].split("}")[0]
    assert "n_layer1_W [" in w_block and "n_layer1_W_read [" in w_block


def test_no_clusters_option() -> None:
    g, _ = scoped_model(with_gradients=False)
    text = gf.viz.to_dot(g, gf.viz.RenderOptions(clusters=False)).to_string()
    assert "subgraph" not in text
    assert "<b>layer1/h</b>" in text  # full names when there are no scope boxes


def test_control_edges_are_dashed() -> None:
    g, _ = scoped_model(with_gradients=False)
    text = gf.viz.to_dot(g).to_string()
    attrs = edge(text, "n_layer1_h", "n_marker")
    assert "style=dashed" in attrs and "label" not in attrs
    assert "style=dashed" not in edge(text, "n_Cast", "n_marker")


def test_gradient_subgraph_is_styled_apart_and_laid_out_backwards() -> None:
    g, _ = scoped_model()
    text = gf.viz.to_dot(g).to_string()
    found = nodes(text)
    grad_nodes = [k for k in found if k.startswith("n_gradients_")]
    assert grad_nodes
    for k in grad_nodes:
        assert 'color="#b91c1c"' in found[k], k
    for k in ("n_layer1_MatMul", "n_loss"):
        assert "#b91c1c" not in found[k]
    assert re.search(r'subgraph cluster_gradients \{\s*label=<<b>gradients</b>>;[^}]*'
                     r'fillcolor="#fff5f5"', text)
    # gradient -> gradient edges are written reversed with dir=back (drawn flowing back)
    assert "n_gradients_layer2_logits_grad_MatMul -> n_gradients_Square_grad_Mul_1 " \
           "[dir=back," in text
    assert "label=<(?, 2)" in edge(text, "n_gradients_Square_grad_Mul_1",
                                    "n_gradients_layer2_logits_grad_MatMul")
    back = [(a, b) for a, b, attrs in edges(text) if "dir=back" in attrs]
    assert back and all(a.startswith("n_gradients") and b.startswith("n_gradients")
                        for a, b in back)
    # forward -> gradient edges are red, forward -> forward edges are not
    assert 'color="#b91c1c"' in edge(text, "n_layer1_h", "n_gradients_layer2_logits_grad_MatMul_1")
    assert 'color="#374151"' in edge(text, "n_layer1_h", "n_layer2_logits")


def test_gradient_scopes_are_recognised() -> None:
    assert gradient_scopes.is_gradient_node("gradients/mul_grad/Mul")
    assert gradient_scopes.is_gradient_node("gradients_3/a_grad/Sum")
    assert gradient_scopes.is_gradient_node("train/gradients/a_grad/Sum")
    assert not gradient_scopes.is_gradient_node("gradients")
    assert not gradient_scopes.is_gradient_node("my_gradients/x")


def test_hide_gradient_nodes() -> None:
    g, _ = scoped_model()
    full = gf.viz.to_dot(g).to_string()
    hidden = gf.viz.to_dot(g, gf.viz.RenderOptions(show_gradient_nodes=False)).to_string()
    assert any(k.startswith("n_gradients") for k in nodes(full))
    assert not any("gradients" in k for k in nodes(hidden))
    assert "cluster_gradients" not in hidden
    assert not any("gradients" in a or "gradients" in b for a, b, _ in edges(hidden))


def test_collapse_reduces_nodes_and_aggregates_edges() -> None:
    g, _ = scoped_model()
    full = nodes(gf.viz.to_dot(g, RAW).to_string())
    text = gf.viz.to_dot(g, RAW.replace(collapse_depth=1)).to_string()
    collapsed = nodes(text)
    assert len(collapsed) < len(full) / 3
    # each layer's gradient group is its own box beside the layer (viz.simplify)
    assert {"s_layer1", "s_layer2", "s_gradients", "s_SGD", "s_layer1_gradients",
            "s_layer2_gradients"} <= set(collapsed)
    assert "<b>layer1/gradients/</b>" in collapsed["s_layer1_gradients"]
    assert "n_x" in collapsed and "n_loss" in collapsed  # top-level nodes stay
    assert "box3d" in collapsed["s_layer1"] and re.search(r"\d+ ops: ", collapsed["s_layer1"])
    assert 'fillcolor="#fecaca"' in collapsed["s_gradients"]
    pairs = [(a, b) for a, b, _ in edges(text)]
    assert len(pairs) == len(set(pairs))  # parallel edges were merged into one
    # several tensors, one edge
    assert "tensors>" in edge(text, "s_layer1", "s_layer1_gradients")
    assert "penwidth" in edge(text, "s_layer1", "s_layer1_gradients")
    assert "subgraph" not in text  # depth 1 leaves no scope around the collapsed nodes


def test_collapse_depth_two_keeps_outer_clusters() -> None:
    g, _ = scoped_model(with_gradients=False)
    text = gf.viz.to_dot(g, gf.viz.RenderOptions(collapse_depth=2)).to_string()
    assert "s_layer2_inner" in nodes(text)
    assert "subgraph cluster_layer2 {" in text
    assert "n_layer2_logits" in nodes(text)


def test_same_graph_same_dot_and_node_order_does_not_matter() -> None:
    g1, _ = scoped_model()
    g2, _ = scoped_model()
    text = gf.viz.to_dot(g1).to_string()
    assert text == gf.viz.to_dot(g2).to_string()
    assert "0x" not in text
    shuffled = graph_pb2.GraphDef()
    shuffled.CopyFrom(g1.as_graph_def(add_shapes=True))
    order = list(shuffled.node)
    random.Random(0).shuffle(order)
    del shuffled.node[:]
    shuffled.node.extend(order)
    assert gf.viz.to_dot(shuffled).to_string() == text


def test_graph_def_without_graph_gets_inferred_shapes() -> None:
    g, _ = scoped_model(with_gradients=False)
    assert gf.viz.to_dot(g.as_graph_def()).to_string() == gf.viz.to_dot(g).to_string()


def test_unknown_op_and_empty_graph_still_draw() -> None:
    g, _ = lecture_graph()
    gd = g.as_graph_def()
    node = gd.node.add(name="custom", op="MyFancyOp")
    node.input.append("f")
    consumer = gd.node.add(name="after", op="Identity")
    consumer.input.append("custom")
    text = gf.viz.to_dot(gd).to_string()
    found = nodes(text)
    assert "MyFancyOp (unknown op)" in found["n_custom"] and "dashed" in found["n_custom"]
    assert "label=<()>" in edge(text, "n_f", "n_custom")
    assert "label" not in edge(text, "n_custom", "n_after")  # nothing known statically
    empty = gf.viz.to_dot(graph_pb2.GraphDef()).to_string()
    assert empty.startswith("digraph graphflow {") and not nodes(empty)


def test_multi_output_edges_name_their_port() -> None:
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, [3], name="a")
        b = gf.placeholder(gf.float32, [2, 3], name="b")
        _, second = _bcast_args(g, a, b)
        gf.identity(second, name="second")
    text = gf.viz.to_dot(g).to_string()
    assert "label=<:1 (" in edge(text, "n_bga", "n_second")


def _bcast_args(g: gf.Graph, a: gf.Tensor, b: gf.Tensor) -> tuple[gf.Tensor, gf.Tensor]:
    sa, sb = gf.shape(a), gf.shape(b)
    op = g.create_op("BroadcastGradientArgs", [sa, sb], {"T": gf.int32}, name="bga")
    return op.outputs[0], op.outputs[1]


def test_annotations_restyle_nodes_and_edges() -> None:
    g, _ = lecture_graph()
    notes = gf.viz.Annotations(node_attrs={"b": {"color": "red", "penwidth": "3"}},
                               edge_attrs={"a:0": {"color": "#d7301f", "penwidth": "2.5"}},
                               node_notes={"b": "NaN origin"}, edge_notes={"y:0": "hot"})
    text = gf.viz.to_dot(g, annotations=notes).to_string()
    found = nodes(text)
    assert 'color="red"' in found["n_b"] and 'penwidth="3"' in found["n_b"]
    assert "NaN origin" in found["n_b"]
    attrs = edge(text, "n_a", "n_f")
    assert 'color="#d7301f"' in attrs and 'penwidth="2.5"' in attrs
    assert "hot" in edge(text, "n_y", "n_b") and "hot" in edge(text, "n_y", "n_a")
    collapsed = gf.viz.to_dot(_scoped_lecture(), gf.viz.RenderOptions(collapse_depth=1),
                              gf.viz.Annotations(node_notes={"s/b": "here"})).to_string()
    assert "here" in nodes(collapsed)["s_s"]


def _scoped_lecture() -> gf.Graph:
    g = gf.Graph()
    with g.as_default(), gf.name_scope("s"):
        x = gf.placeholder(gf.float32, [], name="x")
        gf.maximum(x, 0.0, name="b")
    return g


def test_large_graph_uses_fast_layout() -> None:
    g = gf.Graph()
    with g.as_default():
        h = gf.placeholder(gf.float32, [2], name="x")
        for _ in range(450):
            h = gf.tanh(h)
    text = gf.viz.to_dot(g).to_string()
    assert "nslimit=" in text and "xlabel=<(2,)>" in text
    small = gf.viz.to_dot(lecture_graph()[0]).to_string()
    assert "nslimit" not in small and "xlabel" not in small
    forced = gf.viz.to_dot(lecture_graph()[0], gf.viz.RenderOptions(fast_layout=True))
    assert "xlabel" in forced.to_string()


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="collapse_depth"):
        gf.viz.RenderOptions(collapse_depth=0)
    with pytest.raises(ValueError, match="rankdir"):
        gf.viz.RenderOptions(rankdir="sideways")


def test_variables_keep_shapes_in_values_free_view() -> None:
    g = gf.Graph()
    with g.as_default():
        v = gf.Variable(np.zeros((2, 5), np.float64), name="v")
        gf.reduce_sum(v, name="s")
    text = gf.viz.to_dot(g).to_string()
    assert "label=<(2, 5) float64>" in edge(text, "n_v", "n_s")
