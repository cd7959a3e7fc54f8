"""``MatMul`` (all four transpose combinations, rectangular distinct dims), ``AddN`` and
``Cast``: kernel vs numpy, shape rule vs the kernel's output, float64 gradient checks, and
build-time error messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import linalg_ops, op_builder

from .helpers import assert_gradients, rand, run

# c = op(a) @ op(b) with op(a): (M, K) and op(b): (K, N); M, K, N all distinct.
M, K, N = 2, 3, 5


TRANSPOSES = [(False, False), (False, True), (True, False), (True, True)]


def _stored_shapes(ta: bool, tb: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    return ((K, M) if ta else (M, K)), ((N, K) if tb else (K, N))


# ----------------------------------------------------------------------------------------
# MatMul
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ta,tb", TRANSPOSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_kernel_and_shape(graph, ta: bool, tb: bool, dtype: Any) -> None:
    sa, sb = _stored_shapes(ta, tb)
    a, b = gf.placeholder(gf.as_dtype(dtype), sa), gf.placeholder(gf.as_dtype(dtype), sb)
    c = gf.matmul(a, b, transpose_a=ta, transpose_b=tb)
    assert c.op.type == "MatMul"
    assert c.op.get_attr("transpose_a") is ta and c.op.get_attr("transpose_b") is tb
    av, bv = rand(sa, 1, dtype), rand(sb, 2, dtype)
    out = run(c, {a: av, b: bv})
    ref = (av.T if ta else av) @ (bv.T if tb else bv)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert out.shape == (M, N) and c.shape.as_list() == [M, N]


@pytest.mark.parametrize("ta,tb", TRANSPOSES)
def test_matmul_gradient(graph, ta: bool, tb: bool) -> None:
    sa, sb = _stored_shapes(ta, tb)
    a, b = gf.placeholder(gf.float64, sa), gf.placeholder(gf.float64, sb)
    c = gf.matmul(a, b, transpose_a=ta, transpose_b=tb)
    av, bv = rand(sa, 3), rand(sb, 4)
    assert_gradients(c, [a, b], {a: av, b: bv})
    ga, gb = gf.gradients(c, [a, b])
    assert ga.shape.as_list() == list(sa) and gb.shape.as_list() == list(sb)
    # closed form for a sum loss: dA = 1 @ op(B)^T (in op(A)'s layout), dB = op(A)^T @ 1
    gav, gbv = run([ga, gb], {a: av, b: bv})
    ones = np.ones((M, N))
    op_a, op_b = (av.T if ta else av), (bv.T if tb else bv)
    d_op_a, d_op_b = ones @ op_b.T, op_a.T @ ones
    np.testing.assert_allclose(gav, d_op_a.T if ta else d_op_a, rtol=1e-12)
    np.testing.assert_allclose(gbv, d_op_b.T if tb else d_op_b, rtol=1e-12)


@pytest.mark.parametrize("ta,tb", TRANSPOSES)
def test_matmul_second_order(graph, ta: bool, tb: bool) -> None:
    """d/dA of (sum of dL/dB) for L = sum(A@B): the gradient's MatMuls differentiate too."""
    sa, sb = _stored_shapes(ta, tb)
    a, b = gf.placeholder(gf.float64, sa), gf.placeholder(gf.float64, sb)
    c = gf.matmul(a, b, transpose_a=ta, transpose_b=tb)
    _, gb = gf.gradients(gf.reduce_sum(c * c), [a, b])
    assert_gradients(gb, [a], {a: rand(sa, 5), b: rand(sb, 6)}, 1e-5)


def test_matmul_partially_unknown_dims(graph) -> None:
    a = gf.placeholder(gf.float64, (None, K))
    b = gf.placeholder(gf.float64, (K, N))
    c = gf.matmul(a, b)
    assert c.shape.as_list() == [None, N]
    av, bv = rand((4, K), 7), rand((K, N), 8)
    np.testing.assert_allclose(run(c, {a: av, b: bv}), av @ bv)
    assert_gradients(c, [a, b], {a: av, b: bv})


def test_matmul_inner_dimension_mismatch_message(graph) -> None:
    a = gf.placeholder(gf.float64, (M, K), name="A")
    b = gf.placeholder(gf.float64, (N, K), name="B")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.matmul(a, b, name="scores")
    msg = str(info.value)
    for part in ("MatMul", "'scores'", "'A:0'", "'B:0'", f"({M}, {K})", f"({N}, {K})",
                 "transpose"):
        assert part in msg, msg
    gf.matmul(a, b, transpose_b=True)  # the fix the message suggests works


def test_matmul_rank_and_dtype_errors(graph) -> None:
    v = gf.placeholder(gf.float64, (K,), name="v")
    w = gf.placeholder(gf.float64, (K, N), name="w")
    with pytest.raises(gf.GraphBuildError, match=r"MatMul node 'mv'.*rank 2, got rank 1"):
        gf.matmul(v, w, name="mv")
    w32 = gf.placeholder(gf.float32, (N, K), name="w32")
    with pytest.raises(gf.GraphBuildError, match=r"same dtype.*float64.*float32"):
        gf.matmul(w, w32)


# ----------------------------------------------------------------------------------------
# AddN
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 3), ()])  # scalars: numpy hands back scalars
def test_add_n_three_layers(graph, n: int, shape: tuple) -> None:
    xs = [gf.placeholder(gf.float64, shape) for _ in range(n)]
    s = gf.add_n(xs)
    assert s.op.type == "AddN" and s.op.get_attr("N") == n
    values = [rand(shape, 10 + i) for i in range(n)]
    feeds = dict(zip(xs, values))
    out = run(s, feeds)
    np.testing.assert_allclose(out, np.sum(values, axis=0), rtol=1e-12)
    assert np.shape(out) == shape and tuple(s.shape.as_list()) == shape
    assert_gradients(s, xs, feeds)


def test_add_n_does_not_modify_its_inputs(graph) -> None:
    vals = [rand((3,), 20 + i) for i in range(3)]
    copies = [v.copy() for v in vals]
    xs = [gf.placeholder(gf.float64, (3,)) for _ in range(3)]
    run(gf.add_n(xs), dict(zip(xs, vals)))
    for v, c in zip(vals, copies):
        np.testing.assert_array_equal(v, c)


def test_add_n_single_input_is_identity(graph) -> None:
    x = gf.placeholder(gf.float64, (2,))
    assert gf.add_n([x]) is x
    raw = op_builder.apply1("AddN", [x], {"N": 1, "T": gf.float64})  # e.g. from a .pb
    np.testing.assert_array_equal(run(raw, {x: [1.0, 2.0]}), [1.0, 2.0])


def test_add_n_single_input_result_does_not_alias_variable_storage(graph) -> None:
    """A fetched value must not change when a later run updates a variable in place."""
    v = gf.Variable(np.array([1.0, 2.0]), name="v")
    s = op_builder.apply1("AddN", [v.value()], {"N": 1, "T": gf.float64})
    bump = v.assign_add([10.0, 10.0])
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        before = sess.run(s)
        sess.run(bump)
        np.testing.assert_array_equal(before, [1.0, 2.0])


def test_add_n_partially_known_shapes_merge(graph) -> None:
    a = gf.placeholder(gf.float64, (None, 3))
    b = gf.placeholder(gf.float64, (2, None))
    assert gf.add_n([a, b]).shape.as_list() == [2, 3]


def test_add_n_errors(graph) -> None:
    a = gf.placeholder(gf.float64, (2, 3), name="a")
    b = gf.placeholder(gf.float64, (3, 2), name="b")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.add_n([a, b], name="total")
    msg = str(info.value)
    for part in ("AddN", "'total'", "(2, 3)", "(3, 2)", "same shape"):
        assert part in msg, msg
    c = gf.placeholder(gf.float32, (2, 3), name="c")
    with pytest.raises(gf.GraphBuildError, match="same dtype"):
        gf.add_n([a, c])
    with pytest.raises(ValueError, match="at least one"):
        gf.add_n([])


# ----------------------------------------------------------------------------------------
# Cast
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("src,dst,value,expected", [
    (np.float64, np.int32, [-1.7, 0.2, 2.9], [-1, 0, 2]),        # truncates toward zero
    (np.float64, np.float32, [0.1, -2.5, 3.0], np.float32([0.1, -2.5, 3.0])),
    (np.int32, np.float64, [1, -2, 3], [1.0, -2.0, 3.0]),
    (np.float32, np.bool_, [0.0, 1.5, -2.0], [False, True, True]),
    (np.bool_, np.float64, [True, False, True], [1.0, 0.0, 1.0]),
    (np.int64, np.int32, [5, -6, 7], [5, -6, 7]),
])
def test_cast_kernel_and_shape(graph, src: Any, dst: Any, value: list, expected: Any) -> None:
    x = gf.placeholder(gf.as_dtype(src), (None,))
    y = gf.cast(x, gf.as_dtype(dst))
    assert y.op.type == "Cast" and y.dtype == gf.as_dtype(dst)
    assert y.op.get_attr("SrcT") == gf.as_dtype(src) and y.op.get_attr("DstT") == y.dtype
    out = run(y, {x: np.array(value, dtype=src)})
    assert out.dtype == dst and out.shape == (3,)
    np.testing.assert_array_equal(out, expected)
    assert y.shape.is_compatible_with(out.shape)


def test_cast_to_same_dtype_is_a_no_op(graph) -> None:
    x = gf.placeholder(gf.float64, (2,))
    assert gf.cast(x, gf.float64) is x


def test_cast_folds_constants(graph) -> None:
    y = gf.cast(gf.constant([1.9, -1.9]), gf.int32)
    np.testing.assert_array_equal(y.spec.value, [1, -1])
    np.testing.assert_array_equal(run(y), [1, -1])


def test_cast_gradient_between_float_types(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    c = gf.constant(rand((2, 3), 30, np.float32))
    y = gf.reduce_sum(gf.cast(x, gf.float32) * c)
    (gx,) = gf.gradients(y, [x])
    assert gx.dtype == gf.float64 and gx.shape.as_list() == [2, 3]
    np.testing.assert_allclose(run(gx, {x: rand((2, 3), 31)}), run(c).astype(np.float64))
    z = gf.cast(gf.cast(x, gf.float32), gf.float64)  # float64 -> float32 -> float64 round trip
    # float32 rounding in the middle: a wide step keeps finite differences above the noise
    result = gf.test.check_gradients(z * z, [x], {x: rand((2, 3), 32)}, delta=1e-2)
    assert result.max_error < 1e-4, str(result)


def test_cast_to_integer_stops_the_gradient(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    y = gf.cast(gf.cast(x, gf.int32), gf.float64)
    assert gf.gradients(gf.reduce_sum(y), [x]) == [None]


# -- a @ b.T with few rows: computed as (b @ a.T).T when this BLAS gives the same bits ------


def _transposed_product_kernel(rows: int, dtype: Any, config: Any = None) -> tuple[Any, Any]:
    """The bound kernel of ``matmul(a, b, transpose_b=True)`` for a of ``rows`` x 200 and b
    of 250 x 200 in a specialized plan, and the value it computed."""
    rng = np.random.default_rng(4)
    av, bv = rng.standard_normal((rows, 200)), rng.standard_normal((250, 200))
    graph = gf.Graph()
    with graph.as_default():
        a = gf.placeholder(gf.as_dtype(dtype), [None, 200])
        b = gf.constant(bv.astype(dtype))
        c = gf.matmul(a, b, transpose_b=True) * 1.0  # the product is not fetched: planned
    # serial: the swap is for the calling thread's product on the process's BLAS setting
    with gf.Session(graph=graph, config=config or gf.SessionConfig(inter_op_threads=1)) as sess:
        got = sess.run(c, {a: av.astype(dtype)})
        signature = next(s for s in sess._plans.values() if s.feeds)
        bound = next(iter(signature.by_shape.values()))
    step = next(i for i, st in enumerate(bound.plan.steps) if st.op_type == "MatMul")
    np.testing.assert_array_equal(got, av.astype(dtype) @ bv.astype(dtype).T)
    return bound.kernels[step], got


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_few_rows_times_a_transposed_matrix_is_swapped_only_when_bit_identical(
        dtype: Any) -> None:
    kernel, _ = _transposed_product_kernel(32, dtype)
    swaps = linalg_ops._swap_matches((32, 200), (250, 200), dtype)
    assert kernel.__name__ == ("swapped_matmul" if swaps else "<lambda>")
    many, _ = _transposed_product_kernel(256, dtype)  # more rows: the plain product pays
    assert many.__name__ == "<lambda>"


def test_the_swap_is_refused_when_the_bits_would_differ(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setattr(linalg_ops, "_swap_matches", lambda *args: False)
    kernel, _ = _transposed_product_kernel(32, np.float32)
    assert kernel.__name__ == "<lambda>"


def test_the_swap_switch_off_gives_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    _, on = _transposed_product_kernel(8, np.float32)
    monkeypatch.setattr(linalg_ops, "SWAP_SMALL_TRANSPOSED_PRODUCTS", False)
    kernel, off = _transposed_product_kernel(8, np.float32)
    assert kernel.__name__ == "<lambda>"
    assert on.tobytes() == off.tobytes()

