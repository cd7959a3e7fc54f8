"""TF1's RNN drivers (graphflow/ops/rnn.py): static_rnn and static_bidirectional_rnn vs a
numpy unrolling with the same weights (sequence_length masking included: zero outputs and the
state frozen past each row's length), TF1's scope names, gradients vs central finite
differences in float64, and the errors for bad arguments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
import graphflow.compat.v1 as tf
from graphflow.framework import nest
from graphflow.ops import rnn_cell_impl as rc
from graphflow.ops import rnn_cell_wrapper_impl as rw
from tests.helpers import assert_gradients
from tests.ops.rnn_reference import (
    assert_close,
    loaded_session,
    np_masked_rnn,
    np_zero_state,
)

pytestmark = pytest.mark.usefixtures("graph")

BATCH, DEPTH, STEPS = 3, 2, 4
LENGTHS = [4, 1, 0]


def inputs(dtype: Any = gf.float64) -> list[gf.Tensor]:
    return [gf.placeholder(dtype, [BATCH, DEPTH], name=f"x{t}") for t in range(STEPS)]


def feeds_for(xs: list[gf.Tensor], seed: int = 0) -> dict[gf.Tensor, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {x: rng.normal(size=(BATCH, DEPTH)) for x in xs}


CELLS = {
    "basic_rnn": lambda: rc.BasicRNNCell(3),
    "gru": lambda: rc.GRUCell(3),
    "lstm_proj": lambda: rc.LSTMCell(3, use_peepholes=True, num_proj=2),
    "multi": lambda: rc.MultiRNNCell([rc.BasicLSTMCell(2), rc.GRUCell(3)]),
}


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("key", sorted(CELLS))
def test_static_rnn_matches_numpy(key: str, masked: bool) -> None:
    cell = CELLS[key]()
    xs = inputs()
    seq = gf.placeholder(gf.int32, [None], name="seq") if masked else None
    outputs, state = gf.nn.static_rnn(cell, xs, dtype=gf.float64, sequence_length=seq)
    assert all(v.op.name.startswith("rnn/") for v in gf.global_variables())
    sess, w = loaded_session()
    feeds = feeds_for(xs)
    if masked:
        feeds[seq] = np.array(LENGTHS, np.int32)
    got_out, got_state = sess.run([outputs, state], feeds)
    ref_out, ref_state = np_masked_rnn(cell, [feeds[x] for x in xs], w,
                                       LENGTHS if masked else None)
    for g, r in zip(got_out, ref_out):
        assert_close(g, r)
    assert_close(got_state, ref_state)
    if masked:
        assert not np.any(got_out[1][1:]) and not np.any(got_out[0][2])  # past the lengths
        zero = np_zero_state(cell.state_size, BATCH)
        assert_close(nest.map_structure(lambda s: s[2], got_state),
                     nest.map_structure(lambda s: s[2], zero))  # length 0: the initial state


@pytest.mark.parametrize("key", ["gru", "lstm_proj"])
def test_static_rnn_gradients_with_sequence_length(key: str) -> None:
    gf.set_random_seed(5)
    cell = CELLS[key]()
    xs = inputs()
    outputs, state = gf.nn.static_rnn(cell, xs, dtype=gf.float64,
                                      sequence_length=gf.constant(LENGTHS))
    rng = np.random.default_rng(1)
    loss = gf.add_n([gf.reduce_sum(t * gf.constant(rng.normal(size=t.shape.as_list())))
                     for t in outputs + nest.flatten(state)])
    assert_gradients(loss, xs + gf.trainable_variables(), feeds_for(xs))
    g_last = gf.gradients(loss, xs[-1])[0]
    sess, _ = loaded_session()
    gv = sess.run(g_last, feeds_for(xs))
    assert not np.any(gv[1:]) and np.any(gv[0])  # rows 1, 2 never read step 3


def test_static_rnn_initial_state_scope_and_names() -> None:
    cell = rc.BasicLSTMCell(3)
    xs = inputs()
    h0 = rc.LSTMStateTuple(gf.placeholder(gf.float64, [BATCH, 3], name="c0"),
                           gf.placeholder(gf.float64, [BATCH, 3], name="h0"))
    outputs, state = gf.nn.static_rnn(cell, xs, initial_state=h0, scope="encoder")
    assert [v.op.name for v in gf.global_variables()] == ["encoder/basic_lstm_cell/kernel",
                                                          "encoder/basic_lstm_cell/bias"]
    assert outputs[0].op.name.startswith("encoder/basic_lstm_cell/")
    assert isinstance(state, rc.LSTMStateTuple)
    sess, w = loaded_session()
    feeds = feeds_for(xs)
    c0, hh0 = np.full((BATCH, 3), 0.3), np.full((BATCH, 3), -0.2)
    feeds.update({h0.c: c0, h0.h: hh0})
    ref_out, ref_state = np_masked_rnn(cell, [feeds[x] for x in xs], w, None, (c0, hh0))
    assert_close(sess.run(state, feeds), ref_state)


def test_static_rnn_dynamic_batch_and_nested_output_shapes() -> None:
    xs = [gf.placeholder(gf.float32, [None, DEPTH]) for _ in range(2)]
    outputs, state = gf.nn.static_rnn(rc.GRUCell(3), xs, dtype=gf.float32,
                                      sequence_length=gf.placeholder(gf.int64, [None]))
    assert outputs[0].shape.as_list() == [None, 3]
    assert state.shape.as_list() == [None, 3]


def test_static_rnn_errors() -> None:
    cell = rc.GRUCell(3)
    x = gf.placeholder(gf.float32, [BATCH, DEPTH], name="x")
    with pytest.raises(TypeError, match="inputs must be a sequence.*unstack"):
        gf.nn.static_rnn(cell, x, dtype=gf.float32)
    with pytest.raises(ValueError, match="inputs must not be empty"):
        gf.nn.static_rnn(cell, [], dtype=gf.float32)
    with pytest.raises(ValueError, match="dtype must be specified"):
        gf.nn.static_rnn(cell, [x])
    with pytest.raises(ValueError, match=r"Input size \(dimension 0 of inputs\) must be "
                                         r"accessible"):
        gf.nn.static_rnn(cell, [gf.placeholder(gf.float32, [BATCH, None])], dtype=gf.float32)
    with pytest.raises(ValueError, match="same batch size"):
        gf.nn.static_rnn(cell, [x, gf.placeholder(gf.float32, [5, DEPTH])], dtype=gf.float32)
    with pytest.raises(ValueError, match="initial_state does not match cell.state_size"):
        gf.nn.static_rnn(rc.BasicLSTMCell(3), [x], initial_state=gf.zeros([BATCH, 3]))
    with pytest.raises(ValueError, match="sequence_length must be a vector"):
        gf.nn.static_rnn(cell, [x], dtype=gf.float32, sequence_length=[[1, 2, 3]])
    with pytest.raises(TypeError, match="'cell'.*is not an RNNCell"):
        gf.nn.static_rnn(object(), [x], dtype=gf.float32)


@pytest.mark.parametrize("masked", [False, True])
def test_static_bidirectional_rnn_matches_numpy(masked: bool) -> None:
    fw, bw = rc.GRUCell(3), rc.BasicLSTMCell(2)
    xs = inputs()
    seq = gf.constant(LENGTHS, gf.int64) if masked else None
    outputs, st_fw, st_bw = gf.nn.static_bidirectional_rnn(fw, bw, xs, dtype=gf.float64,
                                                           sequence_length=seq)
    assert [v.op.name for v in gf.global_variables()] == [
        "bidirectional_rnn/fw/gru_cell/gates/kernel", "bidirectional_rnn/fw/gru_cell/gates/bias",
        "bidirectional_rnn/fw/gru_cell/candidate/kernel",
        "bidirectional_rnn/fw/gru_cell/candidate/bias",
        "bidirectional_rnn/bw/basic_lstm_cell/kernel", "bidirectional_rnn/bw/basic_lstm_cell/bias"]
    sess, w = loaded_session()
    feeds = feeds_for(xs)
    xv = [feeds[x] for x in xs]
    lengths = LENGTHS if masked else [STEPS] * BATCH
    ref_fw, ref_st_fw = np_masked_rnn(fw, xv, w, LENGTHS if masked else None)
    rev = np.stack(xv).copy()
    for b, n in enumerate(lengths):
        rev[:n, b] = rev[:n, b][::-1]
    ref_bw_rev, ref_st_bw = np_masked_rnn(bw, list(rev), w, LENGTHS if masked else None)
    ref_bw = np.stack(ref_bw_rev).copy()
    for b, n in enumerate(lengths):
        ref_bw[:n, b] = ref_bw[:n, b][::-1]
    got, gfw, gbw = sess.run([outputs, st_fw, st_bw], feeds)
    for t in range(STEPS):
        assert_close(got[t], np.concatenate([ref_fw[t], ref_bw[t]], 1))
    assert_close(gfw, ref_st_fw)
    assert_close(gbw, ref_st_bw)
    assert outputs[0].shape.as_list() == [BATCH, 5]
    assert_gradients(gf.add_n([gf.reduce_sum(o * o) for o in outputs]), xs, feeds)


# ----------------------------------------------------------------------------------------
# dynamic_rnn and bidirectional_dynamic_rnn
# ----------------------------------------------------------------------------------------


def batch_major_input(dtype: Any = gf.float64, time_major: bool = False) -> gf.Tensor:
    shape = [STEPS, BATCH, DEPTH] if time_major else [BATCH, STEPS, DEPTH]
    return gf.placeholder(dtype, shape, name="x")


def per_step(xv: np.ndarray, time_major: bool = False) -> list[np.ndarray]:
    return list(xv) if time_major else list(np.swapaxes(xv, 0, 1))


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("key", sorted(CELLS))
def test_dynamic_rnn_matches_numpy(key: str, masked: bool, time_major: bool) -> None:
    cell = CELLS[key]()
    x = batch_major_input(time_major=time_major)
    seq = gf.placeholder(gf.int64, [None], name="seq") if masked else None
    outputs, state = gf.nn.dynamic_rnn(cell, x, sequence_length=seq, dtype=gf.float64,
                                       time_major=time_major)
    assert all(v.op.name.startswith("rnn/") for v in gf.global_variables())
    out_size = nest.flatten(cell.output_size)[0]
    assert outputs.shape.as_list() == ([STEPS, BATCH, out_size] if time_major
                                       else [BATCH, STEPS, out_size])
    sess, w = loaded_session()
    xv = np.random.default_rng(4).normal(size=x.shape.as_list())
    feeds: dict[Any, Any] = {x: xv}
    if masked:
        feeds[seq] = np.array(LENGTHS, np.int64)
    got_out, got_state = sess.run([outputs, state], feeds)
    ref_out, ref_state = np_masked_rnn(cell, per_step(xv, time_major), w,
                                       LENGTHS if masked else None)
    ref = np.stack(ref_out, 0 if time_major else 1)
    assert_close(got_out, ref)
    assert_close(got_state, ref_state)


def test_dynamic_rnn_builds_tf1s_loop_and_tensor_arrays() -> None:
    x = batch_major_input()
    outputs, state = gf.nn.dynamic_rnn(rc.GRUCell(3), x, dtype=gf.float64,
                                       sequence_length=[3, 1, 2])
    ops = gf.get_default_graph().get_operations()
    names = {op.name for op in ops}
    assert {"rnn/while/Enter", "rnn/while/LoopCond", "rnn/sequence_length",
            "rnn/CheckSeqLen", "rnn/time"} <= names
    assert state.op.name.startswith("rnn/while/Exit")
    arrays = sorted(op.get_attr("tensor_array_name") for op in ops if op.type == "TensorArrayV3")
    assert arrays == ["rnn/dynamic_rnn/input_0", "rnn/dynamic_rnn/output_0"]
    assert [v.op.name for v in gf.global_variables()] == [
        "rnn/gru_cell/gates/kernel", "rnn/gru_cell/gates/bias", "rnn/gru_cell/candidate/kernel",
        "rnn/gru_cell/candidate/bias"]
    for v in gf.global_variables():  # the variables live outside the loop (TF1's init_scope)
        assert gf.get_default_graph().context_of(v.op) is None


@pytest.mark.parametrize("key", ["gru", "lstm_proj", "multi"])
def test_dynamic_rnn_equals_static_rnn_with_the_same_weights(key: str) -> None:
    cell = CELLS[key]()
    x = batch_major_input()
    seq = gf.placeholder(gf.int32, [BATCH])
    d_out, d_state = gf.nn.dynamic_rnn(cell, x, sequence_length=seq, dtype=gf.float64)
    s_out, s_state = gf.nn.static_rnn(cell, gf.unstack(x, axis=1), sequence_length=seq,
                                      dtype=gf.float64)  # reuses rnn/<cell>/...
    sess, _ = loaded_session()
    for lengths in ([4, 2, 0], [2, 2, 1], [1, 1, 1]):  # the loop stops at max(lengths)
        feeds = {x: np.random.default_rng(sum(lengths)).normal(size=(BATCH, STEPS, DEPTH)),
                 seq: lengths}
        a, b, c, d = sess.run([d_out, d_state, s_out, s_state], feeds)
        assert_close(a, np.stack(c, 1), tol=1e-13)
        assert_close(b, d, tol=1e-13)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("key", ["basic_rnn", "lstm_proj", "multi"])
def test_dynamic_rnn_gradients_match_finite_differences(key: str, masked: bool) -> None:
    gf.set_random_seed(2)
    cell = CELLS[key]()
    x = batch_major_input()
    seq = gf.constant(LENGTHS) if masked else None
    outputs, state = gf.nn.dynamic_rnn(cell, x, sequence_length=seq, dtype=gf.float64)
    rng = np.random.default_rng(6)
    loss = gf.add_n([gf.reduce_sum(t * gf.constant(rng.normal(size=t.shape.as_list())))
                     for t in [outputs] + nest.flatten(state)])
    xv = np.random.default_rng(7).normal(size=(BATCH, STEPS, DEPTH))
    assert_gradients(loss, [x] + gf.trainable_variables(), {x: xv})


def test_dynamic_rnn_with_nested_inputs_and_initial_state() -> None:
    class Pair(rc.RNNCell):
        """h' = tanh(a @ U + b @ V + h); inputs are (a [batch, 2], b [batch, 1])."""

        @property
        def state_size(self) -> int:
            return 3

        @property
        def output_size(self) -> int:
            return 3

        def build(self, inputs_shape: Any) -> None:
            self.u = self.add_variable("U", [DEPTH, 3])
            self.v = self.add_variable("V", [1, 3])

        def call(self, inputs: Any, state: Any) -> Any:
            a, b = inputs
            h = gf.tanh(gf.matmul(a, self.u) + gf.matmul(b, self.v) + state)
            return h, h

    a = gf.placeholder(gf.float64, [BATCH, STEPS, DEPTH])
    b = gf.placeholder(gf.float64, [BATCH, STEPS, 1])
    h0 = gf.placeholder(gf.float64, [BATCH, 3])
    outputs, state = gf.nn.dynamic_rnn(Pair(), (a, b), initial_state=h0)
    sess, w = loaded_session()
    rng = np.random.default_rng(1)
    av, bv, hv = (rng.normal(size=(BATCH, STEPS, DEPTH)), rng.normal(size=(BATCH, STEPS, 1)),
                  rng.normal(size=(BATCH, 3)))
    got, got_state = sess.run([outputs, state], {a: av, b: bv, h0: hv})
    h = hv
    for t in range(STEPS):
        h = np.tanh(av[:, t] @ w["rnn/pair/U"] + bv[:, t] @ w["rnn/pair/V"] + h)
        np.testing.assert_allclose(got[:, t], h, rtol=1e-12)
    np.testing.assert_allclose(got_state, h, rtol=1e-12)


def test_dynamic_rnn_dynamic_shapes_and_errors() -> None:
    x = gf.placeholder(gf.float32, [None, None, DEPTH], name="xd")
    outputs, state = gf.nn.dynamic_rnn(rc.BasicLSTMCell(3), x, dtype=gf.float32,
                                       sequence_length=gf.placeholder(gf.int32, [None]))
    assert outputs.shape.as_list() == [None, None, 3]
    assert state.h.shape.as_list() == [None, 3]
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        xv = np.ones((5, 2, DEPTH), np.float32)
        seq_t = [op for op in gf.get_default_graph().get_operations()
                 if op.name == "rnn/sequence_length"][0].inputs[0]
        got = sess.run(outputs, {x: xv, seq_t: [2, 1, 0, 2, 2]})
        assert got.shape == (5, 2, 3) and not np.any(got[2]) and not np.any(got[1, 1])
        with pytest.raises(gf.errors.InvalidArgumentError, match="Expected shape for Tensor"):
            sess.run(outputs, {x: xv, seq_t: [2, 1]})
    cell = rc.GRUCell(3)
    with pytest.raises(ValueError, match=r"rank >= 3.*static_rnn"):
        gf.nn.dynamic_rnn(cell, gf.placeholder(gf.float32, [BATCH, DEPTH]), dtype=gf.float32)
    with pytest.raises(ValueError, match="dtype must be specified"):
        gf.nn.dynamic_rnn(cell, batch_major_input(gf.float32))
    with pytest.raises(ValueError, match=r"depth of inputs\) must be accessible"):
        gf.nn.dynamic_rnn(cell, gf.placeholder(gf.float32, [BATCH, STEPS, None]),
                          dtype=gf.float32, scope="d1")
    with pytest.raises(ValueError, match="one length per batch entry"):
        gf.nn.dynamic_rnn(cell, batch_major_input(gf.float32), dtype=gf.float32,
                          sequence_length=[1, 2], scope="d2")
    with pytest.raises(ValueError, match="initial_state does not match"):
        gf.nn.dynamic_rnn(rc.BasicLSTMCell(2), batch_major_input(gf.float32),
                          initial_state=gf.zeros([BATCH, 2]), scope="d3")


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_bidirectional_dynamic_rnn_matches_numpy(masked: bool, time_major: bool) -> None:
    fw, bw = rc.GRUCell(3), rc.LSTMCell(2, use_peepholes=True)
    x = batch_major_input(time_major=time_major)
    seq = gf.constant(LENGTHS) if masked else None
    (out_fw, out_bw), (st_fw, st_bw) = gf.nn.bidirectional_dynamic_rnn(
        fw, bw, x, sequence_length=seq, dtype=gf.float64, time_major=time_major)
    assert [v.op.name for v in gf.global_variables()] == [
        "bidirectional_rnn/fw/gru_cell/gates/kernel", "bidirectional_rnn/fw/gru_cell/gates/bias",
        "bidirectional_rnn/fw/gru_cell/candidate/kernel",
        "bidirectional_rnn/fw/gru_cell/candidate/bias",
        "bidirectional_rnn/bw/lstm_cell/kernel", "bidirectional_rnn/bw/lstm_cell/bias",
        "bidirectional_rnn/bw/lstm_cell/w_f_diag", "bidirectional_rnn/bw/lstm_cell/w_i_diag",
        "bidirectional_rnn/bw/lstm_cell/w_o_diag"]
    sess, w = loaded_session()
    xv = np.random.default_rng(9).normal(size=x.shape.as_list())
    steps = np.stack(per_step(xv, time_major))  # [time, batch, depth]
    lengths = LENGTHS if masked else [STEPS] * BATCH
    ref_fw, ref_st_fw = np_masked_rnn(fw, list(steps), w, LENGTHS if masked else None)
    rev = steps.copy()
    for b, n in enumerate(lengths):
        rev[:n, b] = rev[:n, b][::-1]
    ref_bw_rev, ref_st_bw = np_masked_rnn(bw, list(rev), w, LENGTHS if masked else None)
    ref_bw = np.stack(ref_bw_rev).copy()
    for b, n in enumerate(lengths):
        ref_bw[:n, b] = ref_bw[:n, b][::-1]
    axis = 0 if time_major else 1
    got = sess.run([out_fw, out_bw, st_fw, st_bw], {x: xv})
    assert_close(got[0], np.stack(ref_fw, axis))
    assert_close(got[1], np.moveaxis(ref_bw, 0, axis))
    assert_close(got[2], ref_st_fw)
    assert_close(got[3], ref_st_bw)
    loss = gf.reduce_sum(out_fw * out_fw) + gf.reduce_sum(gf.sin(out_bw))
    assert_gradients(loss, [x], {x: xv})


def test_dropout_wrapper_inside_dynamic_rnn() -> None:
    """Dropout ops in the loop body draw a new mask per step; the variational wrapper's one
    mask (made outside the loop) is the same at every step; gradients build and run."""
    x = batch_major_input()
    plain = rw.DropoutWrapper(rc.GRUCell(30), output_keep_prob=0.5, seed=3)
    varia = rw.DropoutWrapper(rc.GRUCell(30), output_keep_prob=0.5, seed=3,
                              variational_recurrent=True, dtype=gf.float64)
    out_p, _ = gf.nn.dynamic_rnn(plain, x, dtype=gf.float64, scope="plain")
    out_v, _ = gf.nn.dynamic_rnn(varia, x, dtype=gf.float64, scope="varia")
    grads = gf.gradients(gf.reduce_sum(out_p) + gf.reduce_sum(out_v), [x])
    sess, _ = loaded_session()
    p, v, g = sess.run([out_p, out_v, grads[0]], {x: np.ones((BATCH, STEPS, DEPTH))})
    kept_p, kept_v = p != 0, v != 0
    assert 0.2 < kept_p.mean() < 0.8 and 0.2 < kept_v.mean() < 0.8
    assert any((kept_p[:, t] != kept_p[:, 0]).any() for t in range(1, STEPS))
    for t in range(1, STEPS):
        np.testing.assert_array_equal(kept_v[:, t], kept_v[:, 0])
    assert g.shape == (BATCH, STEPS, DEPTH) and np.isfinite(g).all()


def test_static_rnn_with_sequence_length_builds_tf1s_conds() -> None:
    xs = inputs()
    gf.nn.static_rnn(rc.GRUCell(3), xs, dtype=gf.float64, sequence_length=[1, 2, 3])
    ops = {op.name: op.type for op in gf.get_default_graph().get_operations()}
    for scope in ["rnn/cond", "rnn/cond_1", "rnn/cond_2", "rnn/cond_3"]:
        assert ops[f"{scope}/Merge"] == "Merge"  # outer: time >= max(sequence_length)
        assert ops[f"{scope}/cond/Merge"] == "Merge"  # inner: time < min(sequence_length)
        assert ops[f"{scope}/cond/Select"] == "Select"  # the row-wise copy-through
    assert ops["rnn/Min"] == "Min" and ops["rnn/Max"] == "Max"
    assert ops["rnn/cond/gru_cell/MatMul"] == "MatMul"  # the cell runs inside the cond


def test_a_cell_creating_variables_in_call_works_in_dynamic_rnn() -> None:
    class Scaled(rc.RNNCell):
        """h' = tanh(x @ W + h * s), W and s from gf.get_variable inside call."""

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

    x = batch_major_input()
    outputs, state = gf.nn.dynamic_rnn(Scaled(), x, dtype=gf.float64)
    assert [v.op.name for v in gf.global_variables()] == ["rnn/scaled/W", "rnn/scaled/s"]
    for v in gf.global_variables():  # lifted out of the while loop (TF1's init_scope)
        assert gf.get_default_graph().context_of(v.op) is None
    sess, w = loaded_session()
    xv = np.random.default_rng(3).normal(size=(BATCH, STEPS, DEPTH))
    h = np.zeros((BATCH, 3))
    for t in range(STEPS):
        h = np.tanh(xv[:, t] @ w["rnn/scaled/W"] + h * w["rnn/scaled/s"])
    np.testing.assert_allclose(sess.run(state, {x: xv}), h, rtol=1e-12)
    assert_gradients(gf.reduce_sum(outputs * outputs), [x] + gf.trainable_variables(), {x: xv})


def test_tf1_programs_find_the_rnn_api_through_compat_v1() -> None:
    x = tf.placeholder(tf.float32, [BATCH, STEPS, DEPTH])
    cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(4), tf.nn.rnn_cell.GRUCell(3)])
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    assert outputs.shape.as_list() == [BATCH, STEPS, 3]
    assert isinstance(state[0], tf.nn.rnn_cell.LSTMStateTuple)
    for name in ("static_rnn", "static_bidirectional_rnn", "bidirectional_dynamic_rnn"):
        assert getattr(tf.nn, name) is getattr(gf.nn, name)
    for name in ("map_fn", "scan", "foldl", "foldr"):
        assert getattr(tf, name) is getattr(gf, name)
