"""A scalar product fused into the row update that consumes it (``compiler/fusion.py``):
when it fuses, that the results are bit for bit those of the Mul step and the update, and
when it must not (the product read elsewhere or fetched, a non-scalar or integer factor,
an operand that is variable storage, ``check_numerics``)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import fusion
from graphflow.framework.errors import InvalidArgumentError
from graphflow.ops import row_updates

ROWS, DIM = 1000, 64


def _sgd(dtype, seed=0, config=None):
    """An embedding lookup trained by sparse SGD: ScatterSub(E, ids, Mul(rows, lr))."""
    rng = np.random.default_rng(seed)
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int32, [None], name="ids")
        emb = gf.Variable(rng.standard_normal((ROWS, DIM)).astype(dtype), name="E")
        loss = gf.reduce_sum(gf.square(gf.nn.embedding_lookup(emb, ids)))
        train = gf.train.GradientDescentOptimizer(0.37).minimize(loss)
        sess = gf.Session(graph=g, config=config)
        sess.run(gf.global_variables_initializer())
    return sess, ids, train


def _fused_steps(sess, fetches, feed):
    plan = sess.explain(fetches, feed).plan
    return [st for st in plan.steps if isinstance(st.record, fusion.ScaledRowUpdate)], plan


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n_ids", [40, 3000])  # the small (flat/whole-row) and the round paths
@pytest.mark.parametrize("distinct", [False, True])
def test_sparse_sgd_fuses_the_learning_rate_and_keeps_the_bits(monkeypatch, dtype, n_ids,
                                                               distinct):
    rng = np.random.default_rng(1)
    n_ids = min(n_ids, 600) if distinct else n_ids
    feeds = [rng.permutation(ROWS)[:n_ids].astype(np.int32) if distinct else
             rng.integers(0, ROWS, n_ids, dtype=np.int32) for _ in range(3)]
    on = _sgd(dtype)
    fused, plan = _fused_steps(on[0], on[2], {on[1]: feeds[0]})
    assert [st.op_type for st in fused] == ["ScatterSub"]
    assert not any(st.name.endswith("update_E/Mul") for st in plan.steps)
    assert "fused Mul: applies updates * 0.37" in str(on[0].explain(on[2], {on[1]: feeds[0]}))
    monkeypatch.setattr(fusion, "FUSE_SCALED_ROW_UPDATES", False)
    off = _sgd(dtype)
    assert not _fused_steps(off[0], off[2], {off[1]: feeds[0]})[0]
    monkeypatch.setattr(fusion, "FUSE_SCALED_ROW_UPDATES", True)
    for chunk in (row_updates._CHUNK_BYTES, 3 * DIM * np.dtype(dtype).itemsize):
        monkeypatch.setattr(row_updates, "_CHUNK_BYTES", chunk)  # several chunks per round
        for feed in feeds:
            on[0].run(on[2], {on[1]: feed})
            off[0].run(off[2], {off[1]: feed})
        assert on[0].variable_value("E").tobytes() == off[0].variable_value("E").tobytes()


def _scatter_graph(build):
    g = gf.Graph()
    with g.as_default():
        var = gf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2), name="V")
        ids = gf.placeholder(gf.int32, [None], name="ids")
        rows = gf.placeholder(gf.float32, [None, 2], name="rows")
        fetches = build(var, ids, rows)
        sess = gf.Session(graph=g)
        sess.run(gf.global_variables_initializer())
    return sess, var, ids, rows, fetches


def test_a_constant_first_factor_in_a_scatter_add_keeps_its_order():
    def build(var, ids, rows):
        return gf.scatter_add(var, ids, gf.constant(np.float32(-1.5)) * rows)
    sess, _, ids, rows, update = _scatter_graph(build)
    feed = {ids: np.array([1, 4, 1], np.int32),
            rows: np.array([[1, 2], [3, 4], [5, np.inf]], np.float32)}
    fused, _ = _fused_steps(sess, update, feed)
    assert fused and fused[0].record.constant_first
    got = sess.run(update, feed)
    expected = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.add.at(expected, feed[ids], np.float32(-1.5) * feed[rows])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("case", ["fused", "product_fetched", "mul_op_fetched",
                                  "product_read_twice", "vector_factor", "integer_variable",
                                  "operand_is_the_variable"])
def test_what_is_not_fused_still_computes_the_same(case):
    """Each case differs from the fused one ("fused", the control) in one condition."""
    g = gf.Graph()
    with g.as_default():
        dtype = np.int32 if case == "integer_variable" else np.float32
        start = np.arange(12, dtype=dtype).reshape(6, 2)
        if case == "operand_is_the_variable":  # large enough for the chunked rounds
            start = np.arange(600 * 64, dtype=dtype).reshape(600, 64)
        var = gf.Variable(start, name="V")
        ids = gf.constant(np.array([0, 2, 2, 5], np.int32))
        rows = gf.placeholder(dtype, [4, 2], name="rows")  # fed: the product is not folded
        factor = gf.constant(np.array([2, 3], dtype) if case == "vector_factor" else dtype(3))
        extra = []
        if case == "operand_is_the_variable":  # V[599 - i] -= 3 * V[i]: reads what it updates
            ids = gf.constant(np.arange(600, dtype=np.int32)[::-1].copy())
            product = gf.multiply(var, factor)
        else:
            product = gf.multiply(rows, factor)
        if case == "product_fetched":
            extra = [product]
        if case == "mul_op_fetched":
            extra = [product.op]
        if case == "product_read_twice":
            extra = [gf.reduce_sum(product)]
        update = gf.scatter_sub(var, ids, product)
        sess = gf.Session(graph=g)
        sess.run(gf.global_variables_initializer())
    feed = {rows: np.arange(8, dtype=dtype).reshape(4, 2)}
    assert bool(_fused_steps(sess, [update, *extra], feed)[0]) == (case == "fused")
    got = sess.run([update, *extra], feed)[0]
    expected = start.copy()
    if case == "operand_is_the_variable":
        expected = start - start[::-1] * dtype(3)
    else:
        np.subtract.at(expected, np.array([0, 2, 2, 5]),
                       np.arange(8, dtype=dtype).reshape(4, 2) *
                       (np.array([2, 3], dtype) if case == "vector_factor" else dtype(3)))
    np.testing.assert_array_equal(got, expected)


def test_check_numerics_keeps_the_mul_step():
    sess, ids, train = _sgd(np.float32)
    checked = gf.Session(graph=sess.graph, check_numerics=True)  # explain runs nothing
    feed = {ids: np.arange(10, dtype=np.int32)}
    assert _fused_steps(sess, train, feed)[0]
    assert not _fused_steps(checked, train, feed)[0]


@pytest.mark.parametrize("n_ids", [40, 1500])
def test_a_bad_id_is_named_and_nothing_is_written(n_ids):
    rng = np.random.default_rng(2)
    g = gf.Graph()
    with g.as_default():
        var = gf.Variable(rng.standard_normal((ROWS, DIM)).astype(np.float32), name="E")
        ids = gf.placeholder(gf.int32, [None], name="ids")
        rows = gf.placeholder(gf.float32, [None, DIM], name="rows")
        update = gf.scatter_sub(var, ids, rows * np.float32(0.25), name="update")
        sess = gf.Session(graph=g)
        sess.run(gf.global_variables_initializer())
    bad = rng.integers(0, ROWS, n_ids).astype(np.int32)
    bad[n_ids // 2] = ROWS
    feed = {ids: bad, rows: rng.standard_normal((n_ids, DIM)).astype(np.float32)}
    assert _fused_steps(sess, update, feed)[0]
    before = sess.variable_value("E").copy()
    with pytest.raises(InvalidArgumentError, match="ScatterSub node 'update'") as info:
        sess.run(update, feed)
    assert f"= {ROWS} is not in [0, {ROWS})" in str(info.value)
    assert sess.variable_value("E").tobytes() == before.tobytes()
