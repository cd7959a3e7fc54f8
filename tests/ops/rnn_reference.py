"""numpy references of TF's RNN cells (TF's rnn_cell_impl.py math, weights read by variable
name) and the session helper the RNN tests share (tests/ops/test_rnn_cell_impl.py,
test_rnn.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

import graphflow as gf
from graphflow.framework import nest
from graphflow.ops import rnn_cell_impl as rc
from graphflow.ops import rnn_cell_wrapper_impl as rw


def sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def np_step(cell: Any, x: np.ndarray, state: Any, w: dict[str, np.ndarray]) -> Any:
    if isinstance(cell, rw.DropoutWrapper):
        return np_step(cell.cell, x, state, w)
    if isinstance(cell, rc.MultiRNNCell):
        new_states, pos = [], 0
        for sub in cell._cells:
            if cell._state_is_tuple:
                sub_state = state[len(new_states)]
            else:
                sub_state = state[:, pos:pos + sub.state_size]
                pos += sub.state_size
            x, s = np_step(sub, x, sub_state, w)
            new_states.append(s)
        return x, (tuple(new_states) if cell._state_is_tuple
                   else np.concatenate(new_states, 1))
    p = cell.scope_name + "/"
    if isinstance(cell, rc.BasicRNNCell):
        act = np.tanh if cell._activation is gf.nn.tanh else (lambda v: np.maximum(v, 0))
        h = act(np.concatenate([x, state], 1) @ w[p + "kernel"] + w[p + "bias"])
        return h, h
    if isinstance(cell, rc.GRUCell):
        value = sig(np.concatenate([x, state], 1) @ w[p + "gates/kernel"] + w[p + "gates/bias"])
        r, u = np.split(value, 2, axis=1)
        c = np.tanh(np.concatenate([x, r * state], 1) @ w[p + "candidate/kernel"]
                    + w[p + "candidate/bias"])
        h = u * state + (1 - u) * c
        return h, h
    n = cell._num_units
    if isinstance(cell, rc.BasicLSTMCell):
        c, h = state if cell._state_is_tuple else np.split(state, 2, axis=1)
        i, j, f, o = np.split(np.concatenate([x, h], 1) @ w[p + "kernel"] + w[p + "bias"], 4, 1)
        new_c = c * sig(f + cell._forget_bias) + sig(i) * np.tanh(j)
        new_h = np.tanh(new_c) * sig(o)
        return new_h, ((new_c, new_h) if cell._state_is_tuple
                       else np.concatenate([new_c, new_h], 1))
    assert isinstance(cell, rc.LSTMCell)
    c_prev, m_prev = state if cell._state_is_tuple else (state[:, :n], state[:, n:])
    i, j, f, o = np.split(np.concatenate([x, m_prev], 1) @ w[p + "kernel"] + w[p + "bias"], 4, 1)
    fb = cell._forget_bias
    if cell._use_peepholes:
        c = (sig(f + fb + w[p + "w_f_diag"] * c_prev) * c_prev
             + sig(i + w[p + "w_i_diag"] * c_prev) * np.tanh(j))
    else:
        c = sig(f + fb) * c_prev + sig(i) * np.tanh(j)
    if cell._cell_clip is not None:
        c = np.clip(c, -cell._cell_clip, cell._cell_clip)
    o_in = o + w[p + "w_o_diag"] * c if cell._use_peepholes else o
    m = sig(o_in) * np.tanh(c)
    if cell._num_proj is not None:
        m = m @ w[p + "projection/kernel"]
        if cell._proj_clip is not None:
            m = np.clip(m, -cell._proj_clip, cell._proj_clip)
    return m, ((c, m) if cell._state_is_tuple else np.concatenate([c, m], 1))


def np_zero_state(size: Any, batch: int) -> Any:
    if isinstance(size, tuple):
        return tuple(np_zero_state(s, batch) for s in size)
    return np.zeros((batch, size))


def assert_close(actual: Any, expected: Any, tol: float = 1e-10) -> None:
    fa, fe = nest.flatten(actual), nest.flatten(expected)
    assert len(fa) == len(fe)
    for a, e in zip(fa, fe):
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol)


def loaded_session(seed: int = 0) -> tuple[gf.Session, dict[str, np.ndarray]]:
    """A session with every variable set to seeded values; returns them by name (no ':0')."""
    rng = np.random.default_rng(seed)
    sess = gf.Session()
    sess.run(gf.global_variables_initializer())
    weights = {}
    for v in gf.global_variables():
        value = rng.uniform(-0.8, 0.8, size=v.shape.as_list()).astype(v.dtype.np_dtype)
        v.load(value, sess)
        weights[v.op.name] = value
    return sess, weights


def np_masked_rnn(cell: Any, xs: list[np.ndarray], w: dict[str, np.ndarray],
                  lengths: list[int] | None, state: Any = None) -> tuple[list[Any], Any]:
    """The unrolled numpy reference; rows past their length output 0 and keep their state."""
    if state is None:
        state = np_zero_state(cell.state_size, xs[0].shape[0])
    outputs = []
    for t, x in enumerate(xs):
        out, new = np_step(cell, x, state, w)
        if lengths is not None:
            done = (t >= np.asarray(lengths))[:, None]
            out = np.where(done, 0.0, out)
            new = nest.map_structure(lambda old, n, done=done: np.where(done, old, n), state, new)
        outputs.append(out)
        state = new
    return outputs, state
