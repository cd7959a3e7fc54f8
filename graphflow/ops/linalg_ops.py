"""Matrix multiply, n-ary add and dtype casts: records and TF1-named builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.framework import blas_threads, dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import op_builder
from graphflow.ops.op_base import fold


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
        if not ta and not tb:
            return np.matmul if out is None else (lambda a, b: np.matmul(a, b, out=out))
        if ta and not tb:
            return lambda a, b: np.matmul(a.T, b, out=out)
        if tb and not ta:
            swapped = _swapped_product(ctx, out)
            return swapped if swapped is not None else (lambda a, b: np.matmul(a, b.T, out=out))
        return lambda a, b: np.matmul(a.T, b.T, out=out)

    def split_kernel(self, ctx: KernelContext, submit: Callable[..., Any], at: int = 0
                     ) -> Callable[..., Any] | None:
        """A kernel computing the first ``at`` output rows (0: half of them) through
        ``submit`` (a worker thread; it returns a future) and the rest here, into the
        planned output — or None when the output is not planned or, on this machine's
        BLAS, the two partial products are not bit-identical to one product of these
        shapes and layouts (small-matrix paths can sum in another order), so a split never
        changes a result. Operands that
        share memory run as one product (numpy computes ``x @ x.T`` with syrk)."""
        split = _row_split(ctx, at or None)
        if split is None:
            return None
        out, top, bottom, orient = split
        half = len(top)

        def split_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            a, b = orient(a, b)
            if np.may_share_memory(a, b):  # numpy runs x @ x.T as one syrk: keep it whole
                return np.matmul(a, b, out=out)
            future = submit(np.matmul, a[:half], b, out=top)
            try:
                np.matmul(a[half:], b, out=bottom)
            finally:
                future.result()  # never leave the worker writing into ``out``
            return out
        return split_matmul

    def shared_kernel(self, ctx: KernelContext, share: int
                      ) -> tuple[Callable[..., Any], Callable[..., Any]] | None:
        """(The worker's kernel: rows ``[share:]`` of the product; the calling thread's: rows
        ``[:share]``), into the planned output — or None when the output is not planned or
        the two row blocks are not bit-identical to one product of these shapes and layouts
        on this machine's BLAS. Operands that share memory (``x @ x.T``, one syrk) are
        computed whole by the worker, and the calling thread's part then does nothing."""
        split = _row_split(ctx, share)
        if split is None:
            return None
        out, top, bottom, orient = split

        def worker_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            a, b = orient(a, b)
            if np.may_share_memory(a, b):
                return np.matmul(a, b, out=out)
            np.matmul(a[share:], b, out=bottom)
            return out

        def calling_thread_rows(a: np.ndarray, b: np.ndarray) -> None:
            a, b = orient(a, b)
            if not np.may_share_memory(a, b):
                np.matmul(a[:share], b, out=top)
        return worker_rows, calling_thread_rows

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        """Rows of ``a @ op(b)`` are rows of ``a`` times all of ``b`` (not with
        ``transpose_a``: its rows are then ``a``'s columns)."""
        return None if ctx.attr("transpose_a") else (True, False)

    def rows_match(self, ctx: KernelContext, at: int) -> bool:
        """Whether rows ``[:at]`` and ``[at:]`` computed as two products have the bits of
        one on this machine's BLAS (checked once per case, as for a split product)."""
        shapes = [ctx.concrete(s) for s in ctx.inputs]
        out = ctx.concrete(ctx.outputs[0])
        return None not in shapes and out is not None and 0 < at < out[0] and _halves_match(
            shapes[0], shapes[1], bool(ctx.attr("transpose_a")),  # type: ignore[arg-type]
            bool(ctx.attr("transpose_b")), at, ctx.outputs[0].dtype.np_dtype)

    def blas_probe(self, ctx: KernelContext, kernel: Callable[..., Any]
                   ) -> Callable[[], Callable[[], list[np.ndarray]]] | None:
        """``kernel`` on fixed random operands of the step's shapes, C-contiguous at two
        alignments (BLAS picks its kernels by shape, layout and alignment, never by value),
        for floating-point products of at most ``PROBE_MAX_FLOPS``; None otherwise."""
        shapes = [ctx.concrete(s) for s in ctx.inputs]
        dtype = ctx.outputs[0].dtype.np_dtype
        if any(s is None for s in shapes) or dtype.kind != "f":
            return None
        (a_shape, b_shape), ta = shapes, bool(ctx.attr("transpose_a"))
        m, k = a_shape[::-1] if ta else a_shape  # type: ignore[misc]
        n = b_shape[0] if ctx.attr("transpose_b") else b_shape[1]  # type: ignore[index]
        if 2 * m * k * n > PROBE_MAX_FLOPS:
            return None

        def prepare() -> Callable[[], list[np.ndarray]]:
            rng = np.random.default_rng(0)
            draw = dtype if dtype in (np.float32, np.float64) else np.float64
            a_values = rng.standard_normal(a_shape, dtype=draw).astype(dtype, copy=False)
            b_values = rng.standard_normal(b_shape, dtype=draw).astype(dtype, copy=False)
            operands = [(_shifted(a_values, shift), _shifted(b_values, shift))
                        for shift in (0, 1)]

            def run() -> list[np.ndarray]:
                return [np.array(kernel(a, b)) for a, b in operands]
            return run
        return prepare

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


def _row_split(ctx: KernelContext, at: int | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                          Callable[[Any, Any], tuple[Any, Any]]] | None:
    """(planned output, its rows ``[:at]``, its rows ``[at:]``, the operands as multiplied:
    ``(a, b) -> (op(a), op(b))``) when
    rows ``[:at]`` and ``[at:]`` of the product (``at`` None: half of them) can be computed
    as two products with the bits of one on this machine's BLAS; None when they cannot or
    the output is not planned."""
    out = ctx.out[0]
    if out is None or out.ndim != 2 or out.dtype.kind != "f":
        return None
    at = out.shape[0] // 2 if at is None else at
    if not 0 < at < out.shape[0]:
        return None
    ta, tb = bool(ctx.attr("transpose_a")), bool(ctx.attr("transpose_b"))
    shapes = [ctx.concrete(s) for s in ctx.inputs]
    if any(s is None for s in shapes) or not _halves_match(
            shapes[0], shapes[1], ta, tb, at, out.dtype):  # type: ignore[arg-type]
        return None

    def orient(a: Any, b: Any) -> tuple[Any, Any]:
        return (a.T if ta else a), (b.T if tb else b)
    return out, out[:at], out[at:], orient


#: A larger product is not probed for its bits and speed on BLAS's own threads
#: (``MatMul.blas_probe``; probing would cost more than the choice could win back soon):
#: a plan holding one runs with BLAS on one thread in a Session with a worker.
PROBE_MAX_FLOPS = 1 << 24


#: ``a @ b.T`` with few rows in ``a`` and a large ``b`` (the window classifier's
#: ``delta @ W.T`` at batch 32) is computed as ``(b @ a.T).T`` into a scratch array, then
#: copied into the planned output: this machine's OpenBLAS runs that layout ~1.4x faster for
#: 8-32 rows (measured in benchmarks/matmul_layouts.py), and slower from ~64 rows on. Only
#: when the two give the same bits for those shapes (``_swap_matches``). Off: always
#: ``np.matmul(a, b.T)``.
SWAP_SMALL_TRANSPOSED_PRODUCTS = True
_SWAP_MAX_ROWS = 32
_SWAP_MIN_SIDE = 128


def _swapped_product(ctx: KernelContext, out: Any) -> Callable[..., Any] | None:
    """The kernel ``a, b -> a @ b.T`` computed as ``(b @ a.T).T`` (see
    ``SWAP_SMALL_TRANSPOSED_PRODUCTS``), or None when it does not apply or does not pay."""
    if not SWAP_SMALL_TRANSPOSED_PRODUCTS or out is None or out.ndim != 2 or \
            out.dtype not in (np.float32, np.float64):
        return None
    a_shape, b_shape = ctx.concrete(ctx.inputs[0]), ctx.concrete(ctx.inputs[1])
    if a_shape is None or b_shape is None or len(a_shape) != 2 or len(b_shape) != 2:
        return None
    (m, k), n = a_shape, b_shape[0]
    if not (0 < m <= _SWAP_MAX_ROWS and min(n, k) >= _SWAP_MIN_SIDE) or \
            not _swap_matches(a_shape, b_shape, out.dtype):
        return None
    scratch = ctx.scratch((n, m), out.dtype)

    def swapped_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        np.matmul(b, a.T, out=scratch)
        np.copyto(out, scratch.T)
        return out
    return swapped_matmul


def _swap_matches(a_shape: tuple[int, ...], b_shape: tuple[int, ...], dtype: Any) -> bool:
    """Whether ``(b @ a.T).T`` equals ``a @ b.T`` bit for bit on this machine's BLAS for
    these shapes, checked once on random values (cached per case)."""
    key = ("swap", a_shape, b_shape, np.dtype(dtype).str, blas_threads.current())
    known = _HALVES_MATCH.get(key)
    if known is None:
        rng = np.random.default_rng(0)
        a_values = rng.standard_normal(a_shape).astype(dtype)
        b_values = rng.standard_normal(b_shape).astype(dtype)
        known = True
        for shift in (0, 1):  # arrays at another alignment too (kernels may peel for it)
            a, b = _shifted(a_values, shift), _shifted(b_values, shift)
            known = known and bool(np.array_equal(np.matmul(a, b.T), np.matmul(b, a.T).T))
        _remember(key, known)
    return known


def _remember(key: tuple[Any, ...], known: bool) -> None:
    if len(_HALVES_MATCH) >= 4096:  # many distinct shapes: start over
        _HALVES_MATCH.clear()
    _HALVES_MATCH[key] = known


def _halves_match(a_shape: tuple[int, ...], b_shape: tuple[int, ...], ta: bool, tb: bool,
                  half: int, dtype: Any) -> bool:
    """Whether rows [:half] and [half:] of op(a) @ op(b), computed as two products, equal
    one product bit for bit, checked once on random values of these shapes and layouts
    (BLAS picks its kernels by shape and layout, never by value; cached per case)."""
    key = (a_shape, b_shape, ta, tb, half, np.dtype(dtype).str, blas_threads.current())
    known = _HALVES_MATCH.get(key)
    if known is None:
        rng = np.random.default_rng(0)
        draw = np.dtype(dtype) if np.dtype(dtype) in (np.float32, np.float64) else np.float64
        a_values = rng.standard_normal(a_shape, dtype=draw).astype(dtype, copy=False)
        b_values = rng.standard_normal(b_shape, dtype=draw).astype(dtype, copy=False)
        known = True
        for shift in (0, 1):  # arrays at another alignment too (kernels may peel for it)
            a, b = _shifted(a_values, shift), _shifted(b_values, shift)
            a, b = (a.T if ta else a), (b.T if tb else b)
            whole = np.matmul(a, b)
            parts = _shifted(np.empty_like(whole), shift)
            np.matmul(a[:half], b, out=parts[:half])
            np.matmul(a[half:], b, out=parts[half:])
            known = known and bool(np.array_equal(whole, parts))
        _remember(key, known)
    return known


def _shifted(x: np.ndarray, shift: int) -> np.ndarray:
    """A C-contiguous copy of ``x`` starting ``shift`` elements into a larger buffer."""
    flat = np.empty(x.size + shift, x.dtype)[shift:]
    flat[...] = x.reshape(-1)
    return flat.reshape(x.shape)


_HALVES_MATCH: dict[tuple[Any, ...], bool] = {}


@register
class AddN(Op):
    """out = inputs[0] + ... + inputs[N-1]; all inputs have the same shape and dtype."""

    calls_blas = False

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

    calls_blas = False

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
