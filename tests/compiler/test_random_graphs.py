"""Property: random graphs give the same values and gradients on the specialized and the
shape-generic plan, and their gradients match central finite differences (float64)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import graphflow as gf
from tests.helpers import GENERIC, assert_same_structure

# (name, arity, builder): smooth ops with a domain that keeps every value finite.
UNARY: list[tuple[str, Callable[[gf.Tensor], gf.Tensor]]] = [
    ("tanh", gf.tanh), ("sigmoid", gf.sigmoid), ("square", gf.square),
    ("exp_small", lambda t: gf.exp(gf.tanh(t))), ("neg", gf.negative),
    ("softplus", gf.nn.softplus), ("log1p_sq", lambda t: gf.log1p(gf.square(t))),
    ("softmax", gf.nn.softmax), ("transpose2", lambda t: gf.transpose(gf.transpose(t))),
    ("sum_keep", lambda t: gf.reduce_sum(t, axis=1, keepdims=True) + t),
    ("mean0", lambda t: t - gf.reduce_mean(t, axis=0)),
    ("reshape", lambda t: gf.reshape(gf.reshape(t, [-1]), gf.shape(t))),
]
BINARY: list[tuple[str, Callable[[gf.Tensor, gf.Tensor], gf.Tensor]]] = [
    ("add", gf.add), ("sub", gf.subtract), ("mul", gf.multiply),
    ("max", gf.maximum), ("min", gf.minimum),
    ("div", lambda a, b: a / (1.5 + gf.tanh(b))),
    ("concat_slice", lambda a, b: gf.concat([a, b], axis=1)[:, 1:4]),
    ("matmul_t", lambda a, b: gf.matmul(gf.matmul(a, b, transpose_b=True), a) * 0.3),
]

ROWS, COLS = 2, 3


def _build(program: list[tuple[int, int, int]]) -> tuple[gf.Graph, list[gf.Tensor],
                                                          gf.Tensor]:
    g = gf.Graph()
    with g.as_default():
        xs = [gf.placeholder(gf.float64, [None, COLS], name=f"x{i}") for i in range(2)]
        pool = list(xs)
        for kind, a, b in program:
            if kind % 2 == 0:
                _, fn = UNARY[(kind // 2) % len(UNARY)]
                pool.append(fn(pool[a % len(pool)]))
            else:
                _, fn2 = BINARY[(kind // 2) % len(BINARY)]
                pool.append(fn2(pool[a % len(pool)], pool[b % len(pool)]))
        weights = gf.constant(np.linspace(0.5, 1.5, COLS))
        loss = gf.reduce_sum(pool[-1] * weights)
    return g, xs, loss


def _values(graph: gf.Graph, fetches: list[gf.Tensor], feeds: dict[gf.Tensor, np.ndarray],
            config: gf.SessionConfig | None) -> list[np.ndarray]:
    with gf.Session(graph=graph, config=config) as sess:
        return sess.run(fetches, feeds)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(program=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 9), st.integers(0, 9)),
                        min_size=1, max_size=6),
       seed=st.integers(0, 2**16))
def test_random_graphs_agree_on_both_plans_and_with_finite_differences(
        program: list[tuple[int, int, int]], seed: int) -> None:
    graph, xs, loss = _build(program)
    with graph.as_default():
        grads = gf.gradients(loss, xs)
    rng = np.random.default_rng(seed)
    feeds = {x: rng.uniform(-1.0, 1.0, (ROWS, COLS)) for x in xs}
    present = [g for g in grads if g is not None]
    fetches = [loss, *present]
    specialized = _values(graph, fetches, feeds, None)
    assert_same_structure(specialized, _values(graph, fetches, feeds, GENERIC))

    eps = 1e-6
    with gf.Session(graph=graph) as sess:  # one session: every evaluation reuses the plan
        for x, g in zip(xs, grads):
            analytic = np.zeros((ROWS, COLS)) if g is None else \
                specialized[1 + present.index(g)]
            numeric = np.zeros((ROWS, COLS))
            for idx in np.ndindex(ROWS, COLS):
                shifted = {}
                for sign in (1, -1):
                    moved = dict(feeds)
                    moved[x] = feeds[x].copy()
                    moved[x][idx] += sign * eps
                    shifted[sign] = sess.run(loss, moved)
                numeric[idx] = (shifted[1] - shifted[-1]) / (2 * eps)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6,
                                       err_msg=f"program {program}, input {x.name}")
