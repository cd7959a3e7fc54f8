"""TF1's RNN drivers (graphflow/ops/rnn.py): static_rnn and static_bidirectional_rnn vs a
numpy unrolling with the same weights (sequence_length masking included: zero outputs and the
state frozen past each row's length), TF1's scope names, gradients vs central finite
differences in float64, and the errors for bad arguments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import nest
from graphflow.ops import rnn_cell_impl as rc
from tests.helpers import assert_gradients
from tests.ops.rnn_reference import assert_close, loaded_session, np_masked_rnn, np_zero_state

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
