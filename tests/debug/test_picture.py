"""The debugging picture: gradient heat map and NaN origin on the values view, through
the rendering package's ``gf.viz.Annotations`` hook."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import graphflow as gf
from graphflow import viz
from graphflow.debug import picture


def _stack_graph() -> tuple[gf.Graph, gf.Tensor, gf.Tensor]:
    """Four tanh layers with gains 3-5: saturated, so the gradient shrinks toward the input."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [3], name="x")
        h = x
        for i in range(4):
            with gf.name_scope(f"layer{i}"):
                w = gf.Variable(np.array([3.0, 4.0, 5.0], np.float32), name="W")
                h = gf.tanh(h * w)
        total = gf.reduce_sum(h, name="total")
    return g, x, total


def test_heat_color_ramp() -> None:
    assert picture.heat_color(0.0) == "#3b4cc0"
    assert picture.heat_color(0.5) == "#b8b8b8"
    assert picture.heat_color(1.0) == "#b40426"
    assert picture.heat_color(7.0) == "#b40426"  # clipped


def test_heatmap_colours_edges_by_gradient_magnitude() -> None:
    g, x, total = _stack_graph()
    values = viz.compute_values(g, {x: [0.1, -0.2, 0.3]}, grad_of=total)
    ann = picture.gradient_heatmap(values, notes=True)
    mags = {t: picture.gradient_magnitude(values.gradients[t])
            for t in ("layer0/Tanh:0", "layer3/Tanh:0")}
    assert mags["layer0/Tanh:0"] < 1e-2 * mags["layer3/Tanh:0"]  # vanishing toward the input
    small, large = ann.edge_attrs["layer0/Tanh:0"], ann.edge_attrs["layer3/Tanh:0"]
    assert large["color"] == "#b40426"  # the largest magnitude: the hot end
    assert small["color"] != large["color"]
    assert float(small["penwidth"]) < float(large["penwidth"])
    assert ann.edge_notes["layer3/Tanh:0"] == f"|g| rms={mags['layer3/Tanh:0']:.3g}"
    assert picture.find_nan_origin(values) is None
    dot = viz.to_dot(values, annotations=ann).to_string()
    assert "#b40426" in dot and "|g| rms=" in dot


def test_nan_origin_and_its_path_are_marked() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [3], name="x")
        with gf.name_scope("layer"):
            h = gf.nn.relu(x * 2.0)
        with gf.name_scope("loss"):
            lg = gf.log(h, name="log")
            total = gf.negative(gf.reduce_sum(lg), name="total")
        other = gf.exp(x, name="fine")  # finite, not on the path
    values = viz.compute_values(g, {x: [1.0, -2.0, 3.0]}, grad_of=total)
    origin = picture.find_nan_origin(values)
    assert origin.node == "loss/log" and origin.drawn_node == "loss/log"
    assert origin.tensors == ("loss/Sum:0", "loss/log:0", "loss/total:0")
    assert "1 -Inf" in origin.note and "layer/Relu:0: min 0 max 6" in origin.note
    ann = picture.debug_annotations(values)
    assert ann.node_attrs["loss/log"]["color"] == picture.NAN_COLOR
    assert ann.node_attrs["loss/total"]["color"] == picture.NAN_COLOR
    assert ann.edge_attrs["loss/log:0"]["color"] == picture.NAN_COLOR  # overrides the heat map
    assert other.name not in ann.edge_attrs or \
        ann.edge_attrs[other.name]["color"] != picture.NAN_COLOR
    assert "NaN/Inf origin" in ann.node_notes["loss/log"]
    dot = picture.debug_dot(g, {x: [1.0, -2.0, 3.0]}, grad_of=total).to_string()
    assert "NaN/Inf origin" in dot and picture.NAN_COLOR in dot


def test_a_gradient_origin_is_drawn_on_its_forward_node(tmp_path: Path) -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        with gf.name_scope("norm"):
            r = gf.sqrt(gf.square(x), name="root")
        total = gf.reduce_sum(r, name="total")
    values = viz.compute_values(g, {x: [0.0, 2.0]}, grad_of=total)
    origin = picture.find_nan_origin(values)
    assert origin.node.endswith("norm/root_grad/SqrtGrad") and origin.drawn_node == "norm/root"
    assert set(origin.tensors) == {"norm/Square:0", "x:0"}  # where the bad gradient flowed
    assert "in its gradient" in origin.note
    path = picture.render_debug(g, tmp_path / "nan.dot", {x: [0.0, 2.0]}, grad_of=total)
    text = path.read_text()
    assert "NaN/Inf origin" in text and picture.NAN_COLOR in text
