"""Matrix multiply, n-ary add and dtype casts: records and TF1-named builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.framework import blas, dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import op_builder
from graphflow.ops.op_base import fold

#: Single-precision products with a contraction (inner) dimension longer than
#: ``1.25 * CONTRACTION_BLOCK`` are computed as a sum of products over near-equal contraction
#: blocks of at most ``CONTRACTION_BLOCK`` (``None``: always one ``np.matmul``) — when
#: ``CONTRACTION_BLOCKING`` says so. Why: OpenBLAS's *single-threaded* sgemm falls off a
#: cliff for these shapes on some machines (measured on this project's AMD EPYC machines,
#: OpenBLAS 0.3.31 with its Haswell kernels: a 2048x250 @ 250x200 product at ~10 GFLOP/s,
#: its two 125-long halves at ~35), while its multi-threaded path has no cliff and every
#: extra call costs a thread hand-off (blocks there: 1.1-1.3x slower, and far worse when the
#: other cores are busy); on a BLAS without the cliff the blocks cost a few percent (float64
#: here: +1-4%). See docs/performance.md. The choice depends only on the operands' shapes
#: and dtype and on the BLAS thread count read once per process, so every plan computes a
#: given product the same way; the result differs from one ``np.matmul`` only in the
#: rounding of the float32 sums (the blocks' partial sums are added in order).
CONTRACTION_BLOCK: int | None = 128
#: ``"single-threaded-blas"`` (default: block where numpy's OpenBLAS runs products on one
#: thread — ``OPENBLAS_NUM_THREADS=1``, as in the benchmarks, the CoNLL scripts and
#: data-parallel workers), ``"always"`` or ``"never"``.
CONTRACTION_BLOCKING = "single-threaded-blas"
#: Products with fewer output elements than this stay one call (the extra calls would cost
#: more than any cliff).
_BLOCKED_MIN_OUTPUT = 1024


def contraction_edges(m: int, k: int, n: int, dtype: Any) -> list[int] | None:
    """The contraction block boundaries ``[0, ..., k]`` the product of an (m, k) and a (k, n)
    matrix of ``dtype`` is computed with, or None for one ``np.matmul``."""
    block = CONTRACTION_BLOCK
    if (block is None or dtype != np.float32 or 4 * k <= 5 * block
            or m * n < _BLOCKED_MIN_OUTPUT or CONTRACTION_BLOCKING == "never"):
        return None
    if CONTRACTION_BLOCKING != "always" and not blas.single_threaded():
        return None
    parts = -(-k // block)
    return [k * i // parts for i in range(parts + 1)]


def matmul_2d(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None,
              scratch: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D arrays (views such as ``x.T`` welcome), into ``out`` when given, by
    contraction blocks where ``contraction_edges`` says so; ``scratch`` is a work array of
    the result's shape and dtype (made per call when None)."""
    edges = contraction_edges(a.shape[0], a.shape[1], b.shape[1], a.dtype)
    if edges is None or b.dtype != a.dtype:
        return np.matmul(a, b, out=out)
    first = edges[1]
    result = np.matmul(a[:, :first], b[:first], out=out)
    part = np.empty_like(result) if scratch is None else scratch
    for start, stop in zip(edges[1:-1], edges[2:]):
        np.matmul(a[:, start:stop], b[start:stop], out=part)
        np.add(result, part, out=result)
    return result


@register
class MatMul(Op):
    """c = op(a) @ op(b) for rank-2 a, b, where op transposes when transpose_a/_b is set."""

    op_type = "MatMul"
    input_names = ("a", "b")
    attr_defaults = {"transpose_a": False, "transpose_b": False}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, lambda d: d.is_numeric, "a numeric tensor")
        a, b = ctx.require_rank(0, 2), ctx.require_rank(1, 2)
        ta, tb = ctx.attr("transpose_a"), ctx.attr("transpose_b")
        m, ka = (a[1], a[0]) if ta else (a[0], a[1])
        kb, n = (b[1], b[0]) if tb else (b[0], b[1])
        if ka is not None and kb is not None and ka != kb:
            ctx.fail(f"inner dimensions do not match: {ctx.input_label(0)}"
                     f"{' (transposed)' if ta else ''} has {ka} columns but "
                     f"{ctx.input_label(1)}{' (transposed)' if tb else ''} has {kb} rows",
                     "check the operand order, or set transpose_a/transpose_b")
        return [TensorSpec(dt, (m, n))]

    writes_out = True

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        ta, tb, out = ctx.attr("transpose_a"), ctx.attr("transpose_b"), ctx.out[0]
        a_shape, b_shape = ctx.concrete(ctx.inputs[0]), ctx.concrete(ctx.inputs[1])
        if a_shape is not None and b_shape is not None:
            # A specialized plan: the product's blocking is known now (the same rule as
            # matmul_2d's at run time, so every plan computes it alike).
            m, k = a_shape[::-1] if ta else a_shape
            n = b_shape[0] if tb else b_shape[1]
            if contraction_edges(m, k, n, ctx.inputs[0].dtype.as_numpy_dtype) is None:
                return _plain_matmul(ta, tb, out)
            scratch = ctx.scratch((m, n), ctx.outputs[0].dtype.as_numpy_dtype)
            return lambda a, b: matmul_2d(a.T if ta else a, b.T if tb else b, out, scratch)
        return lambda a, b: matmul_2d(a.T if ta else a, b.T if tb else b, out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """For c = a @ b: da = g @ b^T and db = a^T @ g (the lecture's dS/dW = delta x^T),
        with the operands reordered/transposed to match transpose_a/transpose_b."""
        a, b = op.inputs
        ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
        if not ta and not tb:
            return [matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)]
        if not ta and tb:
            return [matmul(g, b), matmul(g, a, transpose_a=True)]
        if ta and not tb:
            return [matmul(b, g, transpose_b=True), matmul(a, g)]
        return [matmul(b, g, transpose_a=True, transpose_b=True),
                matmul(g, a, transpose_a=True, transpose_b=True)]


def _plain_matmul(ta: bool, tb: bool, out: Any) -> Callable[..., Any]:
    """One ``np.matmul`` of the operands as transposed, into ``out`` (None: a new array)."""
    if not ta and not tb:
        return np.matmul if out is None else (lambda a, b: np.matmul(a, b, out=out))
    if ta and not tb:
        return lambda a, b: np.matmul(a.T, b, out=out)
    if tb and not ta:
        return lambda a, b: np.matmul(a, b.T, out=out)
    return lambda a, b: np.matmul(a.T, b.T, out=out)


@register
class AddN(Op):
    """out = inputs[0] + ... + inputs[N-1]; all inputs have the same shape and dtype."""

    op_type = "AddN"
    input_names = ("*inputs",)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        if not ctx.inputs:
            ctx.fail("needs at least one input")
        dt = ctx.require_same_dtype()
        shape = ctx.inputs[0].shape
        for i in range(1, len(ctx.inputs)):
            if not shape.is_compatible_with(ctx.inputs[i].shape):
                ctx.fail(f"all inputs must have the same shape; {ctx.input_label(0)} and "
                         f"{ctx.input_label(i)} differ", "gf.add broadcasts; AddN does not")
            shape = shape.merge_with(ctx.inputs[i].shape)
        return [TensorSpec(dt, shape, fold(lambda *v: sum(v[1:], v[0]),
                                           *[s.value for s in ctx.inputs]))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        n = len(ctx.inputs)
        if n == 1:
            # A copy: AddN is not ``returns_alias``, so its fetched value must never share
            # memory with its input (which may be variable storage updated in place later).
            return lambda x: np.array(x, copy=True)
        if n == 2:
            return np.add

        def add_n(*xs: np.ndarray) -> np.ndarray:
            out = np.add(xs[0], xs[1])
            if np.ndim(out) == 0:  # scalars: numpy returns a scalar, not a writable buffer
                for x in xs[2:]:
                    out = np.add(out, x)
                return out
            for x in xs[2:]:
                np.add(out, x, out=out)  # `out` is a fresh array: accumulate in place
            return out
        return add_n

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x1 + ... + xn) = (g, ..., g): addition distributes the upstream gradient."""
        return [g] * len(op.inputs)


@register
class Cast(Op):
    """y = x converted to dtype DstT."""

    op_type = "Cast"
    input_names = ("x",)
    attr_defaults = {"Truncate": False}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        dst = ctx.attr("DstT")
        value = None if x.value is None else fold(lambda v: v.astype(dst.np_dtype), x.value)
        return [TensorSpec(dst, x.shape, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        np_dtype = ctx.attr("DstT").np_dtype
        return lambda x: x.astype(np_dtype)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d cast(x) = cast(g) back to x's dtype when both dtypes are floating, else None."""
        src, dst = op.inputs[0].dtype, op.outputs[0].dtype
        if src.is_floating and dst.is_floating:
            return [cast(g, src)]
        return [None]


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           name: str | None = None) -> Tensor:
    """``tf.matmul`` for rank-2 operands."""
    a, b = op_builder.convert_n([a, b])
    return op_builder.apply1("MatMul", [a, b], {"T": a.dtype, "transpose_a": bool(transpose_a),
                                                "transpose_b": bool(transpose_b)},
                             name=name or "MatMul")


def add_n(inputs: Sequence[Any], name: str | None = None) -> Tensor:
    """Sum of a list of same-shaped tensors (``AddN``); one input is returned unchanged."""
    tensors = op_builder.convert_n(list(inputs))
    if not tensors:
        raise ValueError("add_n needs at least one input")
    if len(tensors) == 1 and name is None:
        return tensors[0]
    return op_builder.apply1("AddN", tensors, {"N": len(tensors), "T": tensors[0].dtype},
                             name=name or "AddN")


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """``tf.cast``; returns ``x`` itself when it already has ``dtype``."""
    x = op_builder.convert_to_tensor(x)
    dst = dtypes.as_dtype(dtype)
    if x.dtype == dst:
        return x
    return op_builder.apply1("Cast", [x], {"SrcT": x.dtype, "DstT": dst, "Truncate": False},
                             name=name or "Cast")


def to_float(x: Any, name: str | None = None) -> Tensor:
    """``tf.to_float`` (TF1): ``gf.cast(x, gf.float32)``."""
    return cast(x, dtypes.float32, name=name or "ToFloat")
