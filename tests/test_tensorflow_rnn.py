"""TensorFlow as the reference for the RNN cells and RNN drivers (skipped without tensorflow;
run with ``/tmp/tfvenv/bin/python -m pytest tests/test_tensorflow_rnn.py``).

Each case is written once against an API (``gf`` or ``tf.compat.v1``) and a cell namespace
(``gf.nn.rnn_cell`` or TF's ``tf.compat.v1.nn.rnn_cell`` classes, imported from the module
TF's generated API exports them from, so the test needs no Keras): built in TF's graph mode,
TF's initialised weights are read, loaded into graphflow's variables by name (the names must
be TF's exactly), and the outputs, final states and the gradients of a weighted sum with
respect to the inputs and every weight must agree in float64.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")
tf_cells = pytest.importorskip("tensorflow.python.keras.layers.legacy_rnn.rnn_cell_impl")

import graphflow as gf  # noqa: E402  (after the skip: TF is optional)
from graphflow.framework import nest  # noqa: E402

tf1 = tf.compat.v1
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # TF's deprecation notes
BATCH, DEPTH, STEPS = 3, 2, 4
LENGTHS = np.array([4, 2, 0], np.int32)

# name -> (cells namespace -> cell): the same constructor call for both frameworks.
CELLS: dict[str, Callable[[Any], Any]] = {
    "basic_rnn": lambda c: c.BasicRNNCell(3),
    "basic_rnn_relu": lambda c: c.BasicRNNCell(3, activation="relu"),
    "gru": lambda c: c.GRUCell(3),
    "basic_lstm": lambda c: c.BasicLSTMCell(3, forget_bias=0.5),
    "basic_lstm_concat": lambda c: c.BasicLSTMCell(2, state_is_tuple=False),
    "lstm": lambda c: c.LSTMCell(3),
    "lstm_peepholes_clip_proj": lambda c: c.LSTMCell(3, use_peepholes=True, cell_clip=0.5,
                                                     num_proj=2, proj_clip=0.4, forget_bias=0.3),
    "lstm_concat_proj": lambda c: c.LSTMCell(2, num_proj=3, state_is_tuple=False),
    "multi": lambda c: c.MultiRNNCell([c.GRUCell(3), c.LSTMCell(2, use_peepholes=True),
                                       c.BasicRNNCell(2)]),
    "multi_concat": lambda c: c.MultiRNNCell([c.BasicRNNCell(2), c.GRUCell(3)],
                                             state_is_tuple=False),
    "residual_dropout_1": lambda c: c.ResidualWrapper(c.DropoutWrapper(
        c.GRUCell(DEPTH), input_keep_prob=1.0, output_keep_prob=1.0)),
}


def build(api: Any, cells: Any, key: str, driver: str, masked: bool) -> dict[str, Any]:
    """The case in the default graph: placeholders, outputs, state, gradients."""
    xs = [api.placeholder(api.float64, [BATCH, DEPTH], name=f"x{t}") for t in range(STEPS)]
    seq = api.placeholder(api.int32, [BATCH], name="seq") if masked else None
    if driver == "static":
        outputs, state = api.nn.static_rnn(CELLS[key](cells), xs, dtype=api.float64,
                                           sequence_length=seq)
        states = nest.flatten(state)
    else:
        outputs, fw, bw = api.nn.static_bidirectional_rnn(
            CELLS[key](cells), CELLS[key](cells), xs, dtype=api.float64, sequence_length=seq)
        states = nest.flatten(fw) + nest.flatten(bw)
    rng = np.random.default_rng(3)
    terms = [api.reduce_sum(t * api.constant(rng.normal(size=t.shape.as_list())))
             for t in list(outputs) + states]
    loss = api.add_n(terms)
    weights = api.trainable_variables()
    grads = api.gradients(loss, xs + weights)
    return {"xs": xs, "seq": seq, "fetch": [outputs, states, grads], "weights": weights}


def feeds(case: dict[str, Any]) -> dict[Any, Any]:
    rng = np.random.default_rng(8)
    out = {x: rng.normal(size=(BATCH, DEPTH)) for x in case["xs"]}
    if case["seq"] is not None:
        out[case["seq"]] = LENGTHS
    return out


def run_tf(key: str, driver: str, masked: bool) -> tuple[list[str], dict[str, np.ndarray], Any]:
    g = tf.Graph()
    with g.as_default():
        tf1.set_random_seed(1)
        case = build(tf1, tf_cells, key, driver, masked)
        names = [v.op.name for v in case["weights"]]
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            weights = dict(zip(names, sess.run(case["weights"])))
            values = sess.run(case["fetch"], feeds(case))
    return names, weights, values


DRIVER_CASES = [("static", k) for k in sorted(CELLS)] + [
    ("bidirectional", k) for k in ("gru", "lstm_peepholes_clip_proj", "multi")]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("driver,key", DRIVER_CASES)
def test_same_names_outputs_states_and_gradients_as_tensorflow(key: str, driver: str,
                                                               masked: bool) -> None:
    names, weights, expected = run_tf(key, driver, masked)
    g = gf.Graph()
    with g.as_default():
        case = build(gf, gf.nn.rnn_cell, key, driver, masked)
        assert [v.op.name for v in case["weights"]] == names
        with gf.Session(graph=g) as sess:
            sess.run(gf.global_variables_initializer())
            for v in case["weights"]:
                v.load(weights[v.op.name], sess)
            got = sess.run(case["fetch"], feeds(case))
    for a, e in zip(nest.flatten(got), nest.flatten(expected)):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12)


def test_dropout_wrapper_keeps_tf_semantics_for_keep_prob_tensors() -> None:
    """Dropout masks are random (TF's and graphflow's streams differ), so compare what is
    deterministic: a fed keep probability of 1 gives the undropped result in both."""
    outs = []
    for api, cells in ((tf1, tf_cells), (gf, gf.nn.rnn_cell)):
        g = tf.Graph() if api is tf1 else gf.Graph()
        with g.as_default():
            keep = api.placeholder_with_default(api.constant(0.5, api.float64), [])
            x = api.placeholder(api.float64, [BATCH, DEPTH])
            cell = cells.DropoutWrapper(cells.BasicLSTMCell(3), input_keep_prob=keep,
                                        output_keep_prob=keep, state_keep_prob=keep)
            out, st = api.nn.static_rnn(cell, [x, x], dtype=api.float64)
            init = api.global_variables_initializer()
            sess = api.Session(graph=g)
            sess.run(init)
            for v in api.global_variables():
                v.load(np.full(v.shape.as_list(), 0.1), sess)
            outs.append(sess.run([out, st], {x: np.ones((BATCH, DEPTH)), keep: 1.0}))
            sess.close()
    for a, e in zip(nest.flatten(outs[1]), nest.flatten(outs[0])):
        np.testing.assert_allclose(a, e, rtol=1e-12)


# ----------------------------------------------------------------------------------------
# dynamic_rnn / bidirectional_dynamic_rnn against TF1's (control flow v1) while loops
# ----------------------------------------------------------------------------------------

DYNAMIC_CELLS = ["basic_rnn", "gru", "basic_lstm_concat", "lstm_peepholes_clip_proj", "multi"]


@pytest.fixture
def control_flow_v1() -> Any:
    """TF1's while_loop (Enter/Merge/Switch/Exit, TensorArrayV3) for the duration."""
    tf1.disable_control_flow_v2()
    try:
        yield
    finally:
        tf1.enable_control_flow_v2()


def build_dynamic(api: Any, cells: Any, key: str, driver: str, masked: bool,
                  time_major: bool) -> dict[str, Any]:
    shape = [STEPS, BATCH, DEPTH] if time_major else [BATCH, STEPS, DEPTH]
    x = api.placeholder(api.float64, shape, name="x")
    seq = api.placeholder(api.int32, [BATCH], name="seq") if masked else None
    if driver == "dynamic":
        outputs, state = api.nn.dynamic_rnn(CELLS[key](cells), x, sequence_length=seq,
                                            dtype=api.float64, time_major=time_major)
        results = [outputs] + nest.flatten(state)
    else:
        outs, states = api.nn.bidirectional_dynamic_rnn(
            CELLS[key](cells), CELLS[key](cells), x, sequence_length=seq, dtype=api.float64,
            time_major=time_major)
        results = list(outs) + nest.flatten(states)
    rng = np.random.default_rng(5)
    loss = api.add_n([api.reduce_sum(t * api.constant(rng.normal(size=t.shape.as_list())))
                      for t in results])
    weights = api.trainable_variables()
    grads = api.gradients(loss, [x] + weights)
    return {"x": x, "seq": seq, "fetch": [results, grads], "weights": weights,
            "results": results}


def forward_loops(graph: Any) -> list[str]:
    return sorted(op.name for op in graph.get_operations()
                  if op.type == "LoopCond" and not op.name.startswith("gradients"))


def dynamic_feeds(case: dict[str, Any]) -> dict[Any, Any]:
    out = {case["x"]: np.random.default_rng(2).normal(size=case["x"].shape.as_list())}
    if case["seq"] is not None:
        out[case["seq"]] = np.array([3, 1, 2], np.int32)  # max < STEPS: the loop stops early
    return out


@pytest.mark.usefixtures("control_flow_v1")
@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("driver,key", [("dynamic", k) for k in DYNAMIC_CELLS]
                         + [("bidirectional", "gru"), ("bidirectional", "multi")])
def test_dynamic_rnn_same_names_outputs_and_gradients_as_tensorflow(
        driver: str, key: str, masked: bool, time_major: bool) -> None:
    g = tf.Graph()
    with g.as_default():
        tf1.set_random_seed(4)
        case = build_dynamic(tf1, tf_cells, key, driver, masked, time_major)
        names = [v.op.name for v in case["weights"]]
        loop_names = forward_loops(g)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            weights = dict(zip(names, sess.run(case["weights"])))
            expected = sess.run(case["fetch"], dynamic_feeds(case))
    ours = gf.Graph()
    with ours.as_default():
        mine = build_dynamic(gf, gf.nn.rnn_cell, key, driver, masked, time_major)
        assert [v.op.name for v in mine["weights"]] == names
        assert forward_loops(ours) == loop_names  # rnn/while/LoopCond (fw/bw scopes)
        with gf.Session(graph=ours) as sess:
            sess.run(gf.global_variables_initializer())
            for v in mine["weights"]:
                v.load(weights[v.op.name], sess)
            got = sess.run(mine["fetch"], dynamic_feeds(mine))
    for a, e in zip(nest.flatten(got), nest.flatten(expected)):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("control_flow_v1")
def test_a_frozen_tensorflow_dynamic_rnn_runs_in_graphflow() -> None:
    """TF1's dynamic_rnn graph (while loop, TensorArrays), frozen to constants, imported."""
    g = tf.Graph()
    with g.as_default():
        case = build_dynamic(tf1, tf_cells, "multi", "dynamic", True, False)
        out_names = [t.op.name for t in case["results"]]
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            feeds = dynamic_feeds(case)
            expected = sess.run(case["results"], feeds)
            frozen = tf1.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), out_names)
    ours = gf.Graph()
    with ours.as_default():
        gf.import_graph_def(frozen, name="")  # a TF GraphDef: re-parsed from its wire bytes
        with gf.Session(graph=ours) as sess:
            got = sess.run([f"{n}:0" for n in out_names],
                           {"x:0": feeds[case["x"]], "seq:0": feeds[case["seq"]]})
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------------------------
# checkpoints and frozen graphs, both ways
# ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("control_flow_v1")
def test_a_tensorflow_checkpoint_of_rnn_weights_restores_into_graphflow(tmp_path: Any) -> None:
    """TF's Saver writes the cells' variables; graphflow's Saver restores them by name."""
    g = tf.Graph()
    with g.as_default():
        case = build_dynamic(tf1, tf_cells, "multi", "bidirectional", True, False)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            expected = sess.run(case["results"], dynamic_feeds(case))
            path = tf1.train.Saver().save(sess, str(tmp_path / "rnn.ckpt"))
    ours = gf.Graph()
    with ours.as_default():
        mine = build_dynamic(gf, gf.nn.rnn_cell, "multi", "bidirectional", True, False)
        with gf.Session(graph=ours) as sess:
            gf.train.Saver().restore(sess, path)
            got = sess.run(mine["results"], dynamic_feeds(mine))
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("control_flow_v1")
def test_a_frozen_tensorflow_static_rnn_with_sequence_length_runs_in_graphflow() -> None:
    """TF1's static_rnn wraps masked steps in conds; graphflow imports and runs them."""
    g = tf.Graph()
    with g.as_default():
        case = build(tf1, tf_cells, "lstm_peepholes_clip_proj", "static", True)
        outs = [t.op.name for t in nest.flatten(case["fetch"][:2])]
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            tf_feeds = feeds(case)
            expected = sess.run(nest.flatten(case["fetch"][:2]), tf_feeds)
            frozen = tf1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), outs)
    assert any(n.op == "Switch" for n in frozen.node)
    ours = gf.Graph()
    with ours.as_default():
        gf.import_graph_def(frozen, name="")
        with gf.Session(graph=ours) as sess:
            got = sess.run([f"{n}:0" for n in outs],
                           {f"{k.op.name}:0": v for k, v in tf_feeds.items()})
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("driver", ["dynamic", "bidirectional"])
def test_a_frozen_graphflow_dynamic_rnn_runs_in_tensorflow(driver: str) -> None:
    """graphflow's while loop, TensorArrays, ReverseSequence/ReverseV2 in TF's runtime."""
    ours = gf.Graph()
    with ours.as_default():
        mine = build_dynamic(gf, gf.nn.rnn_cell, "gru", driver, driver == "dynamic", False)
        outs = [t.op.name for t in mine["results"]]
        feeds_ = dynamic_feeds(mine)
        with gf.Session(graph=ours) as sess:
            sess.run(gf.global_variables_initializer())
            expected = sess.run(mine["results"], feeds_)
            frozen = gf.graph_util.convert_variables_to_constants(
                sess, ours.as_graph_def(), outs)
    tf_def = tf1.GraphDef.FromString(frozen.SerializeToString())
    g = tf.Graph()
    with g.as_default():
        tf1.import_graph_def(tf_def, name="")
        with tf1.Session(graph=g) as sess:
            got = sess.run([f"{n}:0" for n in outs],
                           {f"{k.op.name}:0": v for k, v in feeds_.items()})
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12)
