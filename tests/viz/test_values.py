"""Values view: ``gf.viz.compute_values`` numbers and how ``to_dot`` writes them."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.viz.helpers import edge, lecture_graph, nodes, scoped_model

GREEN = 'color="#15803d"'
RED = 'color="#b91c1c"'


@pytest.fixture
def lecture() -> tuple[gf.Graph, dict[str, gf.Tensor], gf.viz.GraphValues]:
    g, t = lecture_graph()
    values = gf.viz.compute_values(g, {t["x"]: 1, "y": 2, "z:0": 0}, grad_of=t["f"])
    return g, t, values


def test_lecture_forward_values_and_gradients(lecture) -> None:
    _, _, v = lecture
    assert [float(v.value(n)) for n in ("a", "b", "f")] == [3, 2, 6]
    assert [float(v.gradient(n)) for n in ("x", "y", "z")] == [2, 5, 0]
    assert [float(v.gradient(n)) for n in ("a", "b", "f")] == [2, 3, 1]
    assert v.target == "f:0"
    # y feeds a (+) and b (max): its gradient arrives as 2 + 3 along the two edges
    assert float(v.edge_gradients[("a", 1)]) == 2
    assert float(v.edge_gradients[("b", 0)]) == 3
    assert float(v.edge_gradients[("b", 1)]) == 0  # max routes nothing to the smaller z
    assert float(v.edge_gradients[("f", 0)]) == 2 and float(v.edge_gradients[("f", 1)]) == 3


def test_lecture_picture_labels(lecture) -> None:
    _, _, v = lecture
    text = gf.viz.to_dot(v).to_string()
    assert "rankdir=LR" in text

    def lines(src: str, dst: str) -> tuple[str, str]:
        attrs = edge(text, src, dst)
        green = attrs.split(GREEN + ">")[1].split("<")[0]
        red = attrs.split(RED + ">")[1].split("<")[0]
        return green, red

    assert lines("n_x", "n_a") == ("1", "2")
    assert lines("n_y", "n_a") == ("2", "2 (sum 5)")
    assert lines("n_y", "n_b") == ("2", "3 (sum 5)")
    assert lines("n_z", "n_b") == ("0", "0")
    assert lines("n_a", "n_f") == ("3", "2")
    assert lines("n_b", "n_f") == ("2", "3")
    assert lines("n_f", "out_f_0") == ("6", "1")  # the output gets an end point
    assert "gradient of f:0" in nodes(text)["legend__"]
    # the clean lecture picture: no gradient-subgraph nodes
    assert not any("gradients" in k for k in nodes(text))


def test_values_view_is_deterministic(lecture) -> None:
    g, _, v = lecture
    again = gf.viz.compute_values(g, {"x": 1, "y": 2, "z": 0}, grad_of="f")
    assert gf.viz.to_dot(v).to_string() == gf.viz.to_dot(again).to_string()


def test_show_everything_draws_the_gradient_subgraph_with_its_values(lecture) -> None:
    _, _, v = lecture
    text = gf.viz.to_dot(v, gf.viz.RenderOptions(show_gradient_nodes=True)).to_string()
    found = nodes(text)
    assert "n_gradients_f_grad_Mul" in found
    assert not any("_edges_" in k for k in found)  # per-edge helpers are never drawn
    assert "3 (sum 5)" in edge(text, "n_y", "n_b")
    # an edge inside the gradient subgraph shows that gradient tensor's value
    assert f"{GREEN}>5<" in edge(text, "n_gradients_y_grad_AddN", "out_gradients_y_grad_AddN_0")


def test_user_graph_is_not_modified(lecture) -> None:
    g, _, v = lecture
    assert len(g.get_operations()) == 6
    assert v.graph is not g and len(v.graph.get_operations()) > 6
    assert all(name.startswith("gradients") for name in v.gradient_nodes)


def test_forward_values_only_without_grad_of() -> None:
    g, _ = lecture_graph()
    v = gf.viz.compute_values(g, {"x": 1, "y": 2, "z": 0})
    assert float(v.value("f")) == 6 and not v.gradients and v.target is None
    text = gf.viz.to_dot(v).to_string()
    assert RED not in edge(text, "n_a", "n_f") and f"{GREEN}>3<" in edge(text, "n_a", "n_f")


def test_unfed_placeholders_leave_edges_with_shapes_only() -> None:
    g, _ = lecture_graph()
    v = gf.viz.compute_values(g, {"x": 1, "y": 2})
    assert v.value("a") is not None and v.value("f") is None
    text = gf.viz.to_dot(v).to_string()
    assert "label=<<font color=\"#6b7280\">()</font>>" in edge(text, "n_b", "n_f")


def test_grad_of_needing_an_unfed_placeholder_is_a_clear_error() -> None:
    g, _ = lecture_graph()
    with pytest.raises(ValueError, match=r"feed the placeholder\(s\) 'z'"):
        gf.viz.compute_values(g, {"x": 1, "y": 2}, grad_of="f")
    with pytest.raises(ValueError, match="grad_of 'nope'"):
        gf.viz.compute_values(g, {"x": 1, "y": 2, "z": 0}, grad_of="nope")
    with pytest.raises(ValueError, match="feed_dict key 'w'"):
        gf.viz.compute_values(g, {"w": 1})


def test_variables_come_from_the_session_or_their_initializers() -> None:
    g, h = scoped_model()
    feeds = {"x:0": np.ones((2, 4), np.float32), "ids:0": np.array([1, 2], np.int32)}
    fresh = gf.viz.compute_values(g, feeds, grad_of="loss")
    w1 = h["w1"]
    with gf.Session(graph=g) as sess:
        sess.run(gf.variables_initializer([w1, h["w2"]]))
        assert np.allclose(fresh.value("layer1/W"), sess.run(w1))
        sess.run(h["train"], feeds)  # one SGD step changes the weights
        trained = gf.viz.compute_values(g, feeds, grad_of="loss", session=sess)
        assert np.allclose(trained.value("layer1/W"), sess.run(w1))
        expected = sess.run(gf.gradients(h["loss"], [w1])[0], feeds)
    assert not np.allclose(trained.value("layer1/W"), fresh.value("layer1/W"))
    assert np.allclose(trained.gradient("layer1/W/read"), expected, rtol=1e-5)
    assert trained.gradient("ids") is None  # integer tensors have no gradient
    assert trained.value("SGD/train") is None  # no update runs in the values view


def test_large_tensors_are_summarised_and_small_ones_printed() -> None:
    g, _ = scoped_model(with_gradients=False)
    v = gf.viz.compute_values(g, {"x": np.ones((5, 4), np.float32), "ids": [1, 2]},
                              grad_of="loss")
    text = gf.viz.to_dot(v).to_string()
    assert "(5, 4) mean=1 norm=4.47<" in edge(text, "n_x", "n_layer1_MatMul")
    assert f"{GREEN}>[1, 2]<" in edge(text, "n_ids", "n_Cast")
    # edges into initializers that did not run show no values (drawn with show_plumbing)
    raw = gf.viz.to_dot(v, gf.viz.RenderOptions(show_plumbing=True,
                                                        fold_constants=False)).to_string()
    assert GREEN not in edge(raw, "n_layer1_W_initial_value", "n_layer1_W_Assign")
    assert "n_layer1_W_initial_value" not in nodes(text)  # the default folds them away
    wider = gf.viz.to_dot(v, gf.viz.RenderOptions(max_elements=20)).to_string()
    assert f"{GREEN}>[[1, 1, 1, 1]," in edge(wider, "n_x", "n_layer1_MatMul")


def test_values_view_collapses_too() -> None:
    g, _ = scoped_model(with_gradients=False)
    v = gf.viz.compute_values(g, {"x": np.ones((1, 4), np.float32), "ids": [3]},
                              grad_of="loss")
    text = gf.viz.to_dot(v, gf.viz.RenderOptions(collapse_depth=1)).to_string()
    assert {"s_layer1", "s_layer2", "n_loss"} <= set(nodes(text))
    attrs = edge(text, "n_x", "s_layer1")
    assert GREEN in attrs and RED in attrs


def test_sparse_gradients_are_densified() -> None:
    g = gf.Graph()
    with g.as_default():
        table = gf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2), name="E")
        ids = gf.placeholder(gf.int32, [3], name="ids")
        loss = gf.reduce_sum(gf.nn.embedding_lookup(table, ids), name="loss")
    v = gf.viz.compute_values(g, {"ids": [0, 2, 2]}, grad_of=loss)
    np.testing.assert_array_equal(v.gradient("E"), [[1, 1], [0, 0], [2, 2], [0, 0]])


def test_values_view_of_a_graph_with_a_while_loop() -> None:
    """Tensors inside a loop have a value per iteration: the view shows the loop's results
    (Exits) and the gradients of what is outside it."""
    g = gf.Graph()
    with g.as_default():
        x0 = gf.placeholder(gf.float64, [2], name="x0")
        _, x = gf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * 2.0),
                             [gf.constant(0), x0])
        loss = gf.reduce_sum(x, name="loss")
    v = gf.viz.compute_values(g, {"x0:0": np.array([1.0, 2.0])}, grad_of=loss)
    assert float(v.value("loss")) == 24.0
    np.testing.assert_array_equal(v.value(x.op.name), [8.0, 16.0])
    np.testing.assert_array_equal(v.gradient("x0"), [8.0, 8.0])
    html = gf.viz.to_html(v)  # the explorer's step-through, with the loop as nodes
    assert isinstance(html, str) and "while/Exit_1" in html
