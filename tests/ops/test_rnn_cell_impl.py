"""TF1's RNN cells (graphflow/ops/rnn_cell_impl.py and rnn_cell_wrapper_impl.py): every
cell's outputs and states vs a numpy implementation of TF's math with the same weights,
TF1's exact variable and scope names, reuse on later calls, gradients vs central finite
differences in float64, the wrappers, and the build-time errors for bad inputs and states.
(TensorFlow itself is the reference in tests/test_tensorflow_rnn.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import nest
from graphflow.ops import rnn_cell_impl as rc
from graphflow.ops import rnn_cell_wrapper_impl as rw
from tests.helpers import assert_gradients
from tests.ops.rnn_reference import assert_close, loaded_session, np_step, np_zero_state

pytestmark = pytest.mark.usefixtures("graph")

BATCH, DEPTH, STEPS = 2, 2, 3


# ----------------------------------------------------------------------------------------
# the cells under test
# ----------------------------------------------------------------------------------------

CELLS: dict[str, tuple[Callable[[], Any], list[str]]] = {
    "basic_rnn": (lambda: rc.BasicRNNCell(3), ["basic_rnn_cell/kernel", "basic_rnn_cell/bias"]),
    "gru": (lambda: rc.GRUCell(3), [
        "gru_cell/gates/kernel", "gru_cell/gates/bias", "gru_cell/candidate/kernel",
        "gru_cell/candidate/bias"]),
    "basic_lstm": (lambda: rc.BasicLSTMCell(3, forget_bias=0.5),
                   ["basic_lstm_cell/kernel", "basic_lstm_cell/bias"]),
    "basic_lstm_concat_state": (lambda: rc.BasicLSTMCell(3, state_is_tuple=False),
                                ["basic_lstm_cell/kernel", "basic_lstm_cell/bias"]),
    "lstm": (lambda: rc.LSTMCell(3), ["lstm_cell/kernel", "lstm_cell/bias"]),
    "lstm_peepholes_clip_proj": (
        lambda: rc.LSTMCell(3, use_peepholes=True, cell_clip=0.4, num_proj=2, proj_clip=0.3,
                            forget_bias=0.7),
        ["lstm_cell/kernel", "lstm_cell/bias", "lstm_cell/w_f_diag", "lstm_cell/w_i_diag",
         "lstm_cell/w_o_diag", "lstm_cell/projection/kernel"]),
    "lstm_concat_proj": (lambda: rc.LSTMCell(3, num_proj=2, state_is_tuple=False),
                         ["lstm_cell/kernel", "lstm_cell/bias", "lstm_cell/projection/kernel"]),
    "multi": (lambda: rc.MultiRNNCell([rc.GRUCell(3), rc.BasicLSTMCell(2)]), [
        "multi_rnn_cell/cell_0/gru_cell/gates/kernel", "multi_rnn_cell/cell_0/gru_cell/gates/bias",
        "multi_rnn_cell/cell_0/gru_cell/candidate/kernel",
        "multi_rnn_cell/cell_0/gru_cell/candidate/bias",
        "multi_rnn_cell/cell_1/basic_lstm_cell/kernel",
        "multi_rnn_cell/cell_1/basic_lstm_cell/bias"]),
    "multi_concat_state": (
        lambda: rc.MultiRNNCell([rc.BasicRNNCell(3), rc.GRUCell(2)], state_is_tuple=False), [
            "multi_rnn_cell/cell_0/basic_rnn_cell/kernel",
            "multi_rnn_cell/cell_0/basic_rnn_cell/bias",
            "multi_rnn_cell/cell_1/gru_cell/gates/kernel",
            "multi_rnn_cell/cell_1/gru_cell/gates/bias",
            "multi_rnn_cell/cell_1/gru_cell/candidate/kernel",
            "multi_rnn_cell/cell_1/gru_cell/candidate/bias"]),
}


def unrolled(cell: Any, dtype: Any = gf.float64) -> tuple[list[gf.Tensor], list[Any], Any]:
    """``STEPS`` calls of ``cell`` under variable scope "rnn" (as static_rnn): the input
    placeholders, the outputs and the final state."""
    xs = [gf.placeholder(dtype, [BATCH, DEPTH], name=f"x{t}") for t in range(STEPS)]
    outputs = []
    with gf.variable_scope("rnn") as scope:
        state = cell.zero_state(BATCH, dtype)
        for t, x in enumerate(xs):
            if t:
                scope.reuse_variables()
            out, state = cell(x, state)
            outputs.append(out)
    return xs, outputs, state


@pytest.mark.parametrize("key", sorted(CELLS))
def test_outputs_and_states_match_numpy_and_names_match_tf(key: str) -> None:
    make, names = CELLS[key]
    cell = make()
    xs, outputs, state = unrolled(cell)
    assert [v.op.name for v in gf.global_variables()] == ["rnn/" + n for n in names]
    assert [v.op.name for v in gf.trainable_variables()] == ["rnn/" + n for n in names]
    assert [v.op.name for v in cell.trainable_variables] == ["rnn/" + n for n in names]
    sess, w = loaded_session()
    feeds = {x: np.random.default_rng(t + 5).normal(size=(BATCH, DEPTH)) for t, x in
             enumerate(xs)}
    got_out, got_state = sess.run([outputs, state], feeds)
    np_state = np_zero_state(cell.state_size, BATCH)
    for t, x in enumerate(xs):
        out, np_state = np_step(cell, feeds[x], np_state, w)
        assert_close(got_out[t], out)
    assert_close(got_state, np_state)
    assert nest.is_sequence(got_state) == nest.is_sequence(cell.state_size)
    for o in outputs:
        assert o.shape.as_list() == [BATCH, nest.flatten(cell.output_size)[0]]


@pytest.mark.parametrize("key", sorted(CELLS))
def test_gradients_match_finite_differences(key: str) -> None:
    gf.set_random_seed(3)
    cell = CELLS[key][0]()
    xs, outputs, state = unrolled(cell)
    rng = np.random.default_rng(11)
    terms = [gf.reduce_sum(o * gf.constant(rng.normal(size=o.shape.as_list())))
             for o in outputs]
    terms += [gf.reduce_sum(s * gf.constant(rng.normal(size=s.shape.as_list())))
              for s in nest.flatten(state)]
    loss = gf.add_n(terms)
    feeds = {x: rng.normal(size=(BATCH, DEPTH)) for x in xs}
    assert_gradients(loss, xs + gf.trainable_variables(), feeds, tol=1e-6)


def test_ops_of_later_steps_reuse_the_first_scope() -> None:
    cell = rc.BasicRNNCell(3)
    xs, outputs, _ = unrolled(cell)
    assert [o.op.name for o in outputs] == ["rnn/basic_rnn_cell/Tanh", "rnn/basic_rnn_cell/Tanh_1",
                                            "rnn/basic_rnn_cell/Tanh_2"]
    matmuls = [op.name for op in gf.get_default_graph().get_operations() if op.type == "MatMul"]
    assert matmuls == ["rnn/basic_rnn_cell/MatMul", "rnn/basic_rnn_cell/MatMul_1",
                       "rnn/basic_rnn_cell/MatMul_2"]
    assert len(gf.global_variables()) == 2


def test_multi_rnn_cell_ops_sit_in_the_nested_name_scope_as_tf1() -> None:
    cell = rc.MultiRNNCell([rc.BasicRNNCell(3)])
    _, outputs, _ = unrolled(cell)
    assert outputs[0].op.name == "rnn/rnn/multi_rnn_cell/cell_0/basic_rnn_cell/Tanh"
    assert outputs[1].op.name == "rnn/rnn/multi_rnn_cell/cell_0/basic_rnn_cell/Tanh_1"


def test_default_names_are_unique_and_scope_and_name_arguments() -> None:
    x = gf.placeholder(gf.float32, [BATCH, DEPTH])
    a, b = rc.BasicRNNCell(3), rc.BasicRNNCell(3)
    a(x, a.zero_state(BATCH, gf.float32))
    b(x, b.zero_state(BATCH, gf.float32))
    c = rc.GRUCell(2, name="my_gru")
    c(x, c.zero_state(BATCH, gf.float32))
    d = rc.BasicRNNCell(2)
    with gf.variable_scope("outer"):
        d(x, d.zero_state(BATCH, gf.float32), scope="step")
    assert [v.op.name for v in gf.global_variables()] == [
        "basic_rnn_cell/kernel", "basic_rnn_cell/bias", "basic_rnn_cell_1/kernel",
        "basic_rnn_cell_1/bias", "my_gru/gates/kernel", "my_gru/gates/bias",
        "my_gru/candidate/kernel", "my_gru/candidate/bias", "outer/step/kernel",
        "outer/step/bias"]
    assert (a.name, b.name, c.name, d.scope_name) == (
        "basic_rnn_cell", "basic_rnn_cell_1", "my_gru", "outer/step")


def test_sharing_weights_through_a_reusing_scope() -> None:
    x = gf.placeholder(gf.float64, [BATCH, DEPTH])
    a, b = rc.GRUCell(3), rc.GRUCell(3)
    with gf.variable_scope("shared"):
        ya, _ = a(x, a.zero_state(BATCH, gf.float64))
    with gf.variable_scope("shared", reuse=True):
        yb, _ = b(x, b.zero_state(BATCH, gf.float64))
    assert len(gf.global_variables()) == 4
    sess, _ = loaded_session()
    va, vb = sess.run([ya, yb], {x: np.ones((BATCH, DEPTH))})
    np.testing.assert_array_equal(va, vb)
    with pytest.raises(ValueError, match="already exists"):
        c = rc.GRUCell(3)
        with gf.variable_scope("shared"):
            c(x, c.zero_state(BATCH, gf.float64))


def test_initializers_follow_tf() -> None:
    x = gf.placeholder(gf.float32, [BATCH, DEPTH])
    gru = rc.GRUCell(3)
    lstm = rc.LSTMCell(2, use_peepholes=True, initializer=gf.constant_initializer(0.25))
    gru(x, gru.zero_state(BATCH, gf.float32))
    lstm(x, lstm.zero_state(BATCH, gf.float32))
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        v = {k.op.name: sess.run(k) for k in gf.global_variables()}
    np.testing.assert_array_equal(v["gru_cell/gates/bias"], np.ones(6, np.float32))
    np.testing.assert_array_equal(v["gru_cell/candidate/bias"], np.zeros(3, np.float32))
    np.testing.assert_array_equal(v["lstm_cell/bias"], np.zeros(8, np.float32))
    np.testing.assert_array_equal(v["lstm_cell/kernel"], np.full((4, 8), 0.25, np.float32))
    np.testing.assert_array_equal(v["lstm_cell/w_o_diag"], np.full(2, 0.25, np.float32))
    bound = np.sqrt(6 / (DEPTH + 3 + 6))  # glorot_uniform on the [depth + n, 2n] gates kernel
    assert np.abs(v["gru_cell/gates/kernel"]).max() <= bound


def test_zero_state_structure_names_and_dynamic_batch() -> None:
    cell = rc.MultiRNNCell([rc.BasicLSTMCell(3), rc.GRUCell(2)])
    zs = cell.zero_state(4, gf.float32)
    assert isinstance(zs[0], rc.LSTMStateTuple)
    assert [t.shape.as_list() for t in nest.flatten(zs)] == [[4, 3], [4, 3], [4, 2]]
    assert zs[0].c.op.name.startswith("MultiRNNCellZeroState/BasicLSTMCellZeroState/")
    assert zs[0].dtype == gf.float32
    x = gf.placeholder(gf.float32, [None, 5])
    z = rc.GRUCell(2).get_initial_state(inputs=x)
    assert z.shape.as_list() == [None, 2]
    with gf.Session() as sess:
        assert sess.run(z, {x: np.ones((7, 5), np.float32)}).shape == (7, 2)
    with pytest.raises(ValueError, match="batch_size and dtype cannot be None"):
        rc.GRUCell(2).get_initial_state()


def test_custom_cell_subclass_creates_and_reuses_variables_in_call() -> None:
    class Scaled(rc.RNNCell):
        """h' = tanh(x @ W + h * s)."""

        @property
        def state_size(self) -> int:
            return 3

        @property
        def output_size(self) -> int:
            return 3

        def call(self, inputs: Any, state: Any) -> Any:
            w = gf.get_variable("W", [DEPTH, 3], dtype=inputs.dtype)
            s = gf.get_variable("s", [3], dtype=inputs.dtype)
            h = gf.tanh(gf.matmul(inputs, w) + state * s)
            return h, h

    cell = Scaled()
    xs, outputs, state = unrolled(cell)
    assert [v.op.name for v in gf.global_variables()] == ["rnn/scaled/W", "rnn/scaled/s"]
    sess, w = loaded_session()
    feeds = {x: np.full((BATCH, DEPTH), 0.1 * (t + 1)) for t, x in enumerate(xs)}
    h = np.zeros((BATCH, 3))
    for x in xs:
        h = np.tanh(feeds[x] @ w["rnn/scaled/W"] + h * w["rnn/scaled/s"])
    np.testing.assert_allclose(sess.run(state, feeds), h, rtol=1e-12)


def test_abstract_cell_and_lstm_state_tuple() -> None:
    with pytest.raises(TypeError, match="not an RNNCell: 'output_size' property is missing"):
        rc.MultiRNNCell([rc.RNNCell()])
    c = gf.zeros([1, 2])
    st = rc.LSTMStateTuple(c, gf.zeros([1, 2], gf.float64))
    with pytest.raises(TypeError, match="Inconsistent internal state"):
        st.dtype  # noqa: B018
    assert rc.LSTMStateTuple(1, 2)._fields == ("c", "h")


# ----------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------


def test_bad_inputs_are_clear_errors() -> None:
    cell = rc.BasicLSTMCell(3)
    state = cell.zero_state(BATCH, gf.float32)
    with pytest.raises(ValueError, match=r"expected ndim=2, found ndim=3.*dynamic_rnn"):
        cell(gf.placeholder(gf.float32, [BATCH, 4, DEPTH]), state)
    with pytest.raises(ValueError, match=r"inputs.shape\[-1\] to be known"):
        cell(gf.placeholder(gf.float32, [BATCH, None]), state)
    with pytest.raises(ValueError, match="only supports floating point inputs.*int32"):
        cell(gf.placeholder(gf.int32, [BATCH, DEPTH]), state)
    cell(gf.placeholder(gf.float32, [BATCH, DEPTH]), state)
    with pytest.raises(ValueError, match="built for inputs of depth 2.*shape \\(2, 5\\)"):
        cell(gf.placeholder(gf.float32, [BATCH, 5]), state)
    with pytest.raises(ValueError, match="has dtype float32, but inputs .* are float64"):
        cell(gf.placeholder(gf.float64, [BATCH, DEPTH]), state)
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match="num_units must be a positive integer"):
            rc.GRUCell(bad)
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        rc.BasicRNNCell(2, activation="swish")
    with pytest.raises(NotImplementedError, match="partitioned"):
        rc.LSTMCell(2, num_unit_shards=2)


def test_bad_states_are_clear_errors() -> None:
    x = gf.placeholder(gf.float32, [BATCH, DEPTH], name="x")
    lstm = rc.BasicLSTMCell(3)
    with pytest.raises(ValueError, match=r"does not match the cell's state_size "
                                         r"LSTMStateTuple\(c=3, h=3\).*zero_state"):
        lstm(x, gf.zeros([BATCH, 6]))
    with pytest.raises(ValueError, match=r"state tensor .* has shape \(2, 4\).*\[batch, 3\]"):
        lstm(x, rc.LSTMStateTuple(gf.zeros([BATCH, 4]), gf.zeros([BATCH, 3])))
    with pytest.raises(ValueError, match=r"state tensor .* has shape \(5, 3\)"):
        lstm(x, (gf.zeros([5, 3]), gf.zeros([5, 3])))
    with pytest.raises(ValueError, match="is float64, but the inputs are float32"):
        lstm(x, lstm.zero_state(BATCH, gf.float64))
    y, st = lstm(x, (gf.zeros([BATCH, 3]), gf.zeros([BATCH, 3])))  # a plain tuple is fine
    assert isinstance(st, rc.LSTMStateTuple)
    gru = rc.GRUCell(3)
    with pytest.raises(ValueError, match="does not match the cell's state_size 3"):
        gru(x, (gf.zeros([BATCH, 3]), gf.zeros([BATCH, 3])))
    multi = rc.MultiRNNCell([rc.GRUCell(3), rc.GRUCell(3)])
    with pytest.raises(ValueError, match="expected state to be a tuple of length 2"):
        multi(x, gf.zeros([BATCH, 3]))
    with pytest.raises(ValueError, match="state_is_tuple is not set"):
        rc.MultiRNNCell([rc.BasicLSTMCell(2)], state_is_tuple=False)
    with pytest.raises(ValueError, match="at least one cell"):
        rc.MultiRNNCell([])


# ----------------------------------------------------------------------------------------
# wrappers
# ----------------------------------------------------------------------------------------


def test_dropout_wrapper_with_keep_prob_one_adds_no_ops() -> None:
    x = gf.placeholder(gf.float64, [BATCH, DEPTH])
    plain = rc.BasicLSTMCell(3)
    plain(x, plain.zero_state(BATCH, gf.float64))
    before = len(gf.get_default_graph().get_operations())
    g2 = gf.Graph()
    with g2.as_default():
        x2 = gf.placeholder(gf.float64, [BATCH, DEPTH])
        wrapped = rw.DropoutWrapper(rc.BasicLSTMCell(3), input_keep_prob=1.0,
                                    output_keep_prob=gf.constant(1.0), state_keep_prob=1)
        wrapped(x2, wrapped.zero_state(BATCH, gf.float64))
        extra = {op.name for op in g2.get_operations()} - {
            op.name for op in gf.get_default_graph().get_operations()}
        # the one Const of the constant keep probability, nothing else
        assert len(g2.get_operations()) == before + 1, extra
    assert [v.op.name for v in wrapped.trainable_variables] == [
        "basic_lstm_cell/kernel", "basic_lstm_cell/bias"]


def test_dropout_wrapper_drops_outputs_and_h_but_never_c() -> None:
    x = gf.placeholder(gf.float64, [BATCH, DEPTH])
    keep = gf.placeholder_with_default(gf.constant(0.5, gf.float64), [])
    inner = rc.BasicLSTMCell(40)
    wrapped = rw.DropoutWrapper(inner, output_keep_prob=keep, state_keep_prob=0.5, seed=7)
    st0 = wrapped.zero_state(BATCH, gf.float64)
    out, st = wrapped(x, st0)
    raw_out, raw_st = inner(x, st0)  # the same weights, no dropout
    sess, _ = loaded_session()
    xv = np.random.default_rng(0).normal(size=(BATCH, DEPTH))
    o, s, ro, rs = sess.run([out, st, raw_out, raw_st], {x: xv})
    for got, ref in ((o, ro), (s.h, rs.h)):
        kept = got != 0
        assert 0.2 < kept.mean() < 0.8
        np.testing.assert_allclose(got[kept], ref[kept] / 0.5, rtol=1e-12)
    np.testing.assert_array_equal(s.c, rs.c)
    o1 = sess.run(out, {x: xv, keep: 1.0})  # the keep probability is a tensor: fed at run
    np.testing.assert_allclose(o1, ro, rtol=1e-12)


def test_variational_dropout_uses_one_mask_for_every_step() -> None:
    cell = rw.DropoutWrapper(rc.GRUCell(30), output_keep_prob=0.5,
                             variational_recurrent=True, dtype=gf.float64, seed=1)
    xs, outputs, _ = unrolled(cell)
    sess, _ = loaded_session()
    values = sess.run(outputs, {x: np.ones((BATCH, DEPTH)) for x in xs})
    masks = [v != 0 for v in values]
    assert 0.2 < masks[0].mean() < 0.8
    for m in masks[1:]:
        np.testing.assert_array_equal(m, masks[0])
    np.testing.assert_array_equal(masks[0][0], masks[0][1])  # one mask over the batch too
    with pytest.raises(ValueError, match="dtype must be provided"):
        rw.DropoutWrapper(rc.GRUCell(3), variational_recurrent=True)
    with pytest.raises(ValueError, match="input_size must be provided"):
        rw.DropoutWrapper(rc.GRUCell(3), input_keep_prob=0.5, variational_recurrent=True,
                          dtype=gf.float32)


def test_dropout_wrapper_argument_errors() -> None:
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="must be between 0 and 1"):
            rw.DropoutWrapper(rc.GRUCell(3), input_keep_prob=bad)
    with pytest.raises(ValueError, match="must be a scalar"):
        rw.DropoutWrapper(rc.GRUCell(3), output_keep_prob=gf.placeholder(gf.float32, [2]))
    with pytest.raises(TypeError, match="must be callable"):
        rw.DropoutWrapper(rc.GRUCell(3), dropout_state_filter_visitor=3)


def test_residual_and_device_wrappers() -> None:
    x = gf.placeholder(gf.float64, [BATCH, 3])
    res = rw.ResidualWrapper(rc.BasicRNNCell(3))
    out, st = res(x, res.zero_state(BATCH, gf.float64))
    dev = rw.DeviceWrapper(rc.GRUCell(2), "/cpu:0")
    dout, _ = dev(x, dev.zero_state(BATCH, gf.float64))
    assert dout.op.device.lower().endswith("cpu:0")
    sess, w = loaded_session()
    xv = np.random.default_rng(2).normal(size=(BATCH, 3))
    o, s = sess.run([out, st], {x: xv})
    h = np.tanh(np.concatenate([xv, np.zeros((BATCH, 3))], 1) @ w["basic_rnn_cell/kernel"]
                + w["basic_rnn_cell/bias"])
    np.testing.assert_allclose(s, h, rtol=1e-12)
    np.testing.assert_allclose(o, xv + h, rtol=1e-12)
    bad = rw.ResidualWrapper(rc.BasicRNNCell(2))
    with pytest.raises(ValueError, match="cannot be added"):
        bad(x, bad.zero_state(BATCH, gf.float64))
