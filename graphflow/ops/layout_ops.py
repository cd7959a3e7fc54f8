"""Layout ops: Transpose, InvertPermutation, ConcatV2, ConcatOffset, Pack, Unpack, Tile,
Range, Slice and Pad — records (shape rule with constant folding, numpy kernel, gradient
rule) and their TF1-named builders. Slice and Pad live here because each is the other's
gradient and ConcatV2's gradient slices; strided slicing (``t[...]``) is in
``strided_slice_ops``, gathers in ``gather_ops``.

Builders follow TF1's naming: ``transpose(x, [1, 0])`` adds ``transpose/perm`` (Const) and
``transpose`` (the op), i.e. an op's helper constants live under the op's own name scope.
Tile's gradient sums with ``op_builder.raw_sum`` (the reductions sit above this module).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register, static_ints
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, linalg_ops, math_ops, op_builder
from graphflow.ops.op_base import fold, one_or_tuple, run_error
from graphflow.ops.op_builder import int_input

_pyslice = builtins.slice  # this module defines ``slice`` (TF's name) as a builder

# ----------------------------------------------------------------------------------------
# Transpose, InvertPermutation
# ----------------------------------------------------------------------------------------


@register
class Transpose(Op):
    """y = x with permuted axes: ``y.shape[i] = x.shape[perm[i]]``."""

    calls_blas = False

    op_type = "Transpose"
    input_names = ("x", "perm")
    attr_defaults = {"Tperm": dtypes.int32}
    returns_alias = True  # numpy returns a strided view

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_index(1)
        n = ctx.vector_length(1)
        perm = ctx.static_ints(1)
        rank = x.shape.rank
        if perm is None:
            n = n if n is not None else rank
            return [TensorSpec(x.dtype, TensorShape(None) if n is None else [None] * n)]
        if sorted(perm) != list(range(len(perm))) or (rank is not None and len(perm) != rank):
            axes = "?" if rank is None else list(range(rank))
            ctx.fail(f"perm {perm} is not a permutation of the axes {axes} of "
                     f"{ctx.input_label(0)}", "list every axis of x exactly once")
        dims = [x.shape[p] for p in perm] if rank is not None else [None] * len(perm)
        return [TensorSpec(x.dtype, dims, fold(lambda v: np.transpose(v, perm), x.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        perm = ctx.static_ints(1)
        if perm is not None:
            return lambda x, _perm: np.transpose(x, perm)

        def transpose_fed(x: np.ndarray, p: np.ndarray) -> np.ndarray:
            perm_fed = [int(a) for a in np.asarray(p).reshape(-1)]
            if sorted(perm_fed) != list(range(x.ndim)):
                raise ctx.invalid(f"perm {perm_fed} is not a permutation of the axes "
                                  f"{list(range(x.ndim))} of x (shape {x.shape})",
                                  "list every axis of x exactly once")
            return np.transpose(x, perm_fed)
        return transpose_fed

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d transpose(x, p) = transpose(g, p^-1): the inverse permutation puts every axis of
        g back where it came from (a constant when p is static, else InvertPermutation)."""
        g = op_builder.dense(g)
        perm = static_ints(op.inputs[1].spec)
        if perm is not None:
            return [transpose(g, [int(a) for a in np.argsort(perm)]), None]
        return [transpose(g, invert_permutation(op.inputs[1])), None]


@register
class InvertPermutation(Op):
    """y[x[i]] = i for a permutation x of 0..n-1."""

    calls_blas = False

    op_type = "InvertPermutation"
    input_names = ("x",)
    attr_defaults = {"T": dtypes.int32}
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_index(0)
        n = ctx.vector_length(0)
        value = None
        if x.value is not None:
            p = static_ints(x)
            if sorted(p) != list(range(len(p))):
                ctx.fail(f"{ctx.input_label(0)} = {p} is not a permutation of 0..{len(p) - 1}")
            value = np.argsort(p).astype(x.dtype.np_dtype)
        return [TensorSpec(x.dtype, (n,), value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name = ctx.name

        def invert(x: np.ndarray) -> np.ndarray:
            n = x.shape[0]
            if not np.array_equal(np.sort(x), np.arange(n)):
                raise run_error(name, "InvertPermutation",
                                f"{x.tolist()} is not a permutation of 0..{n - 1}")
            out = np.empty_like(x)
            out[x] = np.arange(n, dtype=x.dtype)
            return out
        return invert


# ----------------------------------------------------------------------------------------
# ConcatV2, ConcatOffset
# ----------------------------------------------------------------------------------------


@register
class ConcatV2(Op):
    """Join N tensors along ``axis`` (the LAST input); other dimensions must match."""

    calls_blas = False

    op_type = "ConcatV2"
    input_names = ("*values", "axis")
    attr_defaults = {"Tidx": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        values, n = ctx.inputs[:-1], len(ctx.inputs) - 1
        if n < 1:
            ctx.fail("needs at least one value and an axis")
        ctx.require_index(n)
        dt = values[0].dtype
        rank = None
        first = 0
        for i, v in enumerate(values):
            if v.dtype != dt:
                ctx.fail(f"all values must have the same dtype, got "
                         f"{ctx.role_label(0, 'values[0]')} and "
                         f"{ctx.role_label(i, f'values[{i}]')}", "convert with gf.cast")
            if v.shape.rank is not None:
                if rank is None:
                    rank, first = v.shape.rank, i
                elif v.shape.rank != rank:
                    ctx.fail(f"all values must have the same rank, got "
                             f"{ctx.role_label(first, f'values[{first}]')} (rank {rank}) and "
                             f"{ctx.role_label(i, f'values[{i}]')} (rank {v.shape.rank})",
                             "reshape or expand_dims the inputs to one rank")
        if rank == 0:
            ctx.fail("cannot concatenate scalars", "use gf.stack to join scalars into a vector")
        axis = ctx.static_axis(n, rank)
        if rank is None:
            return [TensorSpec(dt, TensorShape(None))]
        if axis is None:
            return [TensorSpec(dt, [None] * rank)]
        dims: list[int | None] = [None] * rank
        total: int | None = 0
        for i, v in enumerate(values):
            if v.shape.rank is None:
                total = None
                continue
            for k, d in enumerate(v.shape.dims):
                if k == axis:
                    total = None if total is None or d is None else total + d
                elif d is not None:
                    if dims[k] is not None and dims[k] != d:
                        ctx.fail(f"dimension {k} of every value must match (concatenating "
                                 f"along axis {axis}), but "
                                 f"{ctx.role_label(i, f'values[{i}]')} has {d} where an "
                                 f"earlier value has {dims[k]}",
                                 "only the sizes along the concat axis may differ")
                    dims[k] = d
        dims[axis] = total
        value = fold(lambda *vs: np.concatenate(vs, axis=axis), *[v.value for v in values])
        return [TensorSpec(dt, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        spec = ctx.inputs[-1]
        if spec.value is not None:
            axis = int(np.asarray(spec.value).reshape(-1)[0])
            return lambda *args: np.concatenate(args[:-1], axis=axis)
        return lambda *args: np.concatenate(args[:-1], axis=int(args[-1]))

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d concat(x_1..x_n, axis) = (g[.., o_1:o_1+n_1, ..], ..., g[.., o_n:o_n+n_n, ..],
        None): each input receives its own slab of g, where o_i is the offset of x_i along
        the axis. Static sizes -> Slice with constant begin/size; otherwise ConcatOffset
        computes the offsets from the run-time shapes."""
        g = op_builder.dense(g)
        values, axis_t = list(op.inputs[:-1]), op.inputs[-1]
        if len(values) == 1:
            return [g, None]
        rank = op.outputs[0].shape.rank
        a = static_ints(axis_t.spec)
        sizes = None
        if a is not None and rank is not None:
            axis = a[0] % rank
            sizes = [v.shape[axis] if v.shape.rank is not None else None for v in values]
        out: list[Tensor | None] = []
        if sizes is not None and None not in sizes:
            offset = 0
            for v, s in zip(values, sizes):
                begin, size = [0] * rank, [-1] * rank
                begin[axis], size[axis] = offset, s
                out.append(slice(g, begin, size) if v.dtype.is_floating else None)
                offset += s
            return out + [None]
        shapes = [array_ops.shape(v) for v in values]
        offsets = concat_offset(axis_t, shapes)
        for v, o, s in zip(values, offsets, shapes):
            out.append(slice(g, o, s) if v.dtype.is_floating else None)
        return out + [None]


@register
class ConcatOffset(Op):
    """Offsets of each concat input inside the output: offset_i[concat_dim] = sum of the
    sizes of inputs before i along concat_dim, 0 elsewhere (the concat gradient's helper)."""

    calls_blas = False

    op_type = "ConcatOffset"
    input_names = ("concat_dim", "*shape")
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        n = len(ctx.inputs) - 1
        if n < 1:
            ctx.fail("needs concat_dim and at least one shape")
        ctx.require_index(0)
        dt = ctx.require_same_dtype(*range(1, n + 1))
        ctx.require_index(1)
        lengths = {ctx.vector_length(i) for i in range(1, n + 1)} - {None}
        if len(lengths) > 1:
            ctx.fail(f"all shapes must have the same length (rank), got {sorted(lengths)}")
        rank = lengths.pop() if lengths else None
        values = None
        shapes = [static_ints(s) for s in ctx.inputs[1:]]
        dim = ctx.static_ints(0)
        if dim is not None and None not in shapes and rank is not None:
            try:
                values = [o.astype(dt.np_dtype) for o in _concat_offsets(dim[0], shapes)]
            except ValueError as err:
                ctx.fail(str(err))
        return [TensorSpec(dt, (rank,), None if values is None else values[i]) for i in range(n)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, np_dtype = ctx.name, ctx.inputs[1].dtype.np_dtype

        def offsets(dim: np.ndarray, *shapes: np.ndarray) -> Any:
            try:
                outs = _concat_offsets(int(dim), [[int(d) for d in s] for s in shapes])
            except ValueError as err:
                raise run_error(name, "ConcatOffset", str(err)) from None
            return one_or_tuple([o.astype(np_dtype) for o in outs])
        return offsets


def _concat_offsets(dim: int, shapes: list[list[int]]) -> list[np.ndarray]:
    rank = len(shapes[0])
    if not -rank <= dim < rank:
        raise ValueError(f"concat_dim {dim} is out of range for shapes of rank {rank}")
    dim %= rank
    out, offset = [], 0
    for s in shapes:
        if len(s) != rank or any(a != b for k, (a, b) in enumerate(zip(s, shapes[0])) if k != dim):
            raise ValueError(f"shape {s} does not match {shapes[0]} outside dimension {dim}")
        o = np.zeros(rank, dtype=np.int64)
        o[dim] = offset
        out.append(o)
        offset += s[dim]
    return out


# ----------------------------------------------------------------------------------------
# Pack, Unpack, Tile
# ----------------------------------------------------------------------------------------


@register
class Pack(Op):
    """Stack N same-shaped tensors along a new axis ``axis`` (attr)."""

    calls_blas = False

    op_type = "Pack"
    input_names = ("*values",)
    attr_defaults = {"axis": 0}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        n = len(ctx.inputs)
        if n < 1:
            ctx.fail("needs at least one value")
        dt = ctx.require_same_dtype()
        shape = TensorShape(None)
        for i, v in enumerate(ctx.inputs):
            if not shape.is_compatible_with(v.shape):
                ctx.fail(f"all values must have the same shape, but {ctx.input_label(i)} "
                         f"differs from {shape}", "only tensors of one shape can be stacked")
            shape = shape.merge_with(v.shape)
        axis = ctx.attr("axis")
        if shape.rank is None:
            return [TensorSpec(dt, TensorShape(None))]
        r = shape.rank
        if not -r - 1 <= axis <= r:
            ctx.fail(f"axis {axis} is out of range for stacking values of rank {r}",
                     f"use an axis in [-{r + 1}, {r + 1})")
        axis %= r + 1
        dims = list(shape.dims)
        dims.insert(axis, n)
        value = fold(lambda *vs: np.stack(vs, axis=axis), *[v.value for v in ctx.inputs])
        return [TensorSpec(dt, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        axis = ctx.attr("axis")
        return lambda *xs: np.stack(xs, axis=axis)

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d stack(x_1..x_n, axis) = unstack(g, axis): x_i gets the i-th slice of g."""
        return list(unstack(op_builder.dense(g), num=len(op.inputs), axis=op.get_attr("axis")))


@register
class Unpack(Op):
    """Split ``value`` along ``axis`` into ``num`` tensors with that axis removed."""

    calls_blas = False

    op_type = "Unpack"
    input_names = ("value",)
    attr_defaults = {"axis": 0}
    returns_alias = True  # the outputs are views of the input

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        num, axis = ctx.attr("num"), ctx.attr("axis")
        if x.shape.rank is None:
            return [TensorSpec(x.dtype, TensorShape(None)) for _ in range(num)]
        r = x.shape.rank
        if not -r <= axis < r:
            ctx.fail(f"axis {axis} is out of range for {ctx.input_label(0)}",
                     f"use an axis in [-{r}, {r})")
        axis %= r
        if x.shape[axis] is not None and x.shape[axis] != num:
            ctx.fail(f"num = {num} does not match dimension {axis} of {ctx.input_label(0)}",
                     f"unstack into {x.shape[axis]} tensors")
        dims = [d for k, d in enumerate(x.shape.dims) if k != axis]
        vals = None if x.value is None else list(np.moveaxis(x.value, axis, 0))
        return [TensorSpec(x.dtype, dims, None if vals is None else vals[i]) for i in range(num)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        num, axis, name = ctx.attr("num"), ctx.attr("axis"), ctx.name

        def unpack(x: np.ndarray) -> Any:
            if x.shape[axis] != num:
                raise run_error(name, "Unpack", f"input of shape {x.shape} has {x.shape[axis]} "
                                f"entries along axis {axis}, expected num = {num}")
            return one_or_tuple(list(np.moveaxis(x, axis, 0)))
        return unpack

    def grad(self, op: Operation, *grads: Any) -> list[Tensor | None]:
        """d unstack(x, axis) = stack(g_1..g_n, axis), with zeros for unused outputs."""
        parts = [array_ops.zeros_like(y) if g is None else op_builder.dense(g)
                 for g, y in zip(grads, op.outputs)]
        return [stack(parts, axis=op.get_attr("axis"))]


@register
class Tile(Op):
    """y = x repeated multiples[i] times along each dimension i."""

    calls_blas = False

    op_type = "Tile"
    input_names = ("input", "multiples")
    attr_defaults = {"Tmultiples": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_index(1)
        n = ctx.vector_length(1)
        rank = x.shape.rank
        if n is not None and rank is not None and n != rank:
            ctx.fail(f"multiples {ctx.input_label(1)} must have one entry per dimension of "
                     f"{ctx.input_label(0)}")
        rank = rank if rank is not None else n
        if rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        m = ctx.static_ints(1)
        if m is None:
            return [TensorSpec(x.dtype, [None] * rank)]
        if min(m, default=0) < 0:
            ctx.fail(f"multiples {m} must be >= 0")
        xdims = x.shape.dims if x.shape.rank is not None else (None,) * rank
        dims = [None if d is None else d * k for d, k in zip(xdims, m)]
        return [TensorSpec(x.dtype, dims, fold(lambda v: np.tile(v, m), x.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def tile(x: np.ndarray, m: np.ndarray) -> np.ndarray:
            multiples = [int(k) for k in np.asarray(m).reshape(-1)]
            if len(multiples) != x.ndim or min(multiples, default=0) < 0:
                raise ctx.invalid(f"multiples must be >= 0, got {multiples}, one per axis of x "
                                  f"(shape {x.shape})",
                                  "pass one non-negative multiple per axis of x")
            ctx.check_size([d * k for d, k in zip(x.shape, multiples)], x.dtype)
            return np.tile(x, tuple(multiples))
        return tile

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d tile(x, m) = sum over the copies: reshape g to [m_0, d_0, m_1, d_1, ...] and sum
        the m_i axes (constant shapes when static, else built from shape(x) and m)."""
        g = op_builder.dense(g)
        x, m_t = op.inputs
        m = static_ints(m_t.spec)
        if x.shape.rank == 0:
            return [g, None]
        if m is not None and x.shape.is_fully_defined():
            split = [v for pair in zip(m, x.shape.as_list()) for v in pair]
            axes = list(range(0, len(split), 2))
            return [op_builder.raw_sum(array_ops.reshape(g, split), axes), None]
        pairs = transpose(stack([m_t, array_ops.shape(x, out_type=m_t.dtype)]))
        split_t = array_ops.reshape(pairs, [-1])
        axes_t = range_(0, array_ops.size(split_t, out_type=m_t.dtype), 2)
        return [op_builder.raw_sum(array_ops.reshape(g, split_t), axes_t), None]


# ----------------------------------------------------------------------------------------
# Range
# ----------------------------------------------------------------------------------------


def _range_size(start: Any, limit: Any, delta: Any) -> int:
    if delta == 0:
        raise ValueError("delta must not be 0")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise ValueError(f"start {start} must be {'<=' if delta > 0 else '>='} limit {limit} "
                         f"when delta is {delta}")
    if isinstance(start, int) and isinstance(limit, int) and isinstance(delta, int):
        return (abs(limit - start) + abs(delta) - 1) // abs(delta)
    return int(np.ceil(abs((limit - start) / delta)))


def _range_values(start: Any, delta: Any, n: int, np_dtype: Any) -> np.ndarray:
    return (start + delta * np.arange(n)).astype(np_dtype)


@register
class Range(Op):
    """[start, start + delta, ...] up to but excluding limit (three scalars of type Tidx)."""

    calls_blas = False

    op_type = "Range"
    input_names = ("start", "limit", "delta")
    attr_defaults = {"Tidx": dtypes.int32}
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype()
        ctx.require_dtype(0, lambda d: d.is_numeric, "numeric")
        for i in range(3):
            ctx.require_rank(i, 0)
        vals = [s.value for s in ctx.inputs]
        if any(v is None for v in vals):
            return [TensorSpec(dt, (None,))]
        start, limit, delta = (np.asarray(v).item() for v in vals)
        try:
            n = _range_size(start, limit, delta)
        except ValueError as err:
            ctx.fail(str(err))
        value = _range_values(start, delta, n, dt.np_dtype) if n <= 4096 else None
        return [TensorSpec(dt, (n,), value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, np_dtype = ctx.name, ctx.outputs[0].dtype.np_dtype

        def range_kernel(start: np.ndarray, limit: np.ndarray, delta: np.ndarray) -> np.ndarray:
            s, lim, d = start.item(), limit.item(), delta.item()
            try:
                n = _range_size(s, lim, d)
            except ValueError as err:
                raise run_error(name, "Range", str(err)) from None
            return _range_values(s, d, n, np_dtype)
        return range_kernel


# ----------------------------------------------------------------------------------------
# Slice, Pad
# ----------------------------------------------------------------------------------------


def _slice_bounds(dims: Sequence[int], begin: Sequence[int], size: Sequence[int]
                  ) -> tuple[Any, ...]:
    """Numpy index for Slice; ValueError unless 0 <= begin <= begin + size <= dim."""
    if not len(dims) == len(begin) == len(size):
        raise ValueError(f"begin {list(begin)} and size {list(size)} must both have one entry "
                         f"per dimension of the input (rank {len(dims)})")
    index = []
    for k, (d, b, s) in enumerate(zip(dims, begin, size)):
        end = d if s == -1 else b + s
        if not 0 <= b <= d or s < -1 or end > d:
            raise ValueError(f"in dimension {k} (size {d}), begin {b} and size {s} select "
                             f"[{b}, {end}), which is not inside [0, {d}]")
        index.append(_pyslice(b, end))
    return tuple(index)


@register
class Slice(Op):
    """y = x[begin[0]:begin[0]+size[0], ...]; size -1 means "to the end of that axis"."""

    calls_blas = False

    op_type = "Slice"
    input_names = ("input", "begin", "size")
    attr_defaults = {"Index": dtypes.int32}
    returns_alias = True  # a numpy view

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_index(1, 2)
        ctx.require_same_dtype(1, 2)
        lengths = {ctx.vector_length(1), ctx.vector_length(2), x.shape.rank} - {None}
        if len(lengths) > 1:
            ctx.fail(f"begin and size must have one entry per dimension of {ctx.input_label(0)}"
                     f", got {ctx.input_label(1)} and {ctx.input_label(2)}")
        rank = lengths.pop() if lengths else None
        if rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        begin, size = ctx.static_ints(1), ctx.static_ints(2)
        xdims = x.shape.dims if x.shape.rank is not None else (None,) * rank
        dims: list[int | None] = []
        for k in range(rank):
            d = xdims[k]
            b = None if begin is None else begin[k]
            s = None if size is None else size[k]
            if (s is not None and s < -1) or (b is not None and b < 0):
                ctx.fail(f"begin[{k}] = {b} and size[{k}] = {s} are invalid",
                         "begin must be >= 0 and size >= 0 (or -1 for 'to the end')")
            if s == -1:
                dims.append(None if d is None or b is None else d - b)
            else:
                dims.append(s)
            if d is not None and b is not None and (b > d or (s is not None and s >= 0 and
                                                              b + s > d)):
                ctx.fail(f"begin[{k}] = {b} with size[{k}] = {s} is out of bounds for "
                         f"dimension {k} of {ctx.input_label(0)}",
                         "keep begin + size within the dimension")
        value = None
        if x.value is not None and begin is not None and size is not None:
            value = x.value[_slice_bounds(x.value.shape, begin, size)]
        return [TensorSpec(x.dtype, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name = ctx.name

        def slice_kernel(x: np.ndarray, begin: np.ndarray, size: np.ndarray) -> np.ndarray:
            try:
                return x[_slice_bounds(x.shape, [int(b) for b in begin], [int(s) for s in size])]
            except ValueError as err:
                raise run_error(name, "Slice", f"input of shape {x.shape}: {err}") from None
        return slice_kernel

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d slice(x, b, s) = pad(g, [[b_i, dim_i - b_i - s_i]]): the slice's gradient sits at
        its position inside zeros of x's shape (paddings constant when shapes are static)."""
        g = op_builder.dense(g)
        x, begin_t = op.inputs[0], op.inputs[1]
        y = op.outputs[0]
        begin = static_ints(begin_t.spec)
        if begin is not None and x.shape.is_fully_defined() and y.shape.is_fully_defined():
            after = [d - b - s for d, b, s in zip(x.shape.as_list(), begin, y.shape.as_list())]
            return [pad(g, [[b, a] for b, a in zip(begin, after)]), None, None]
        before = array_ops.reshape(begin_t, [-1, 1])
        rest = math_ops.subtract(math_ops.subtract(array_ops.shape(x, out_type=begin_t.dtype),
                                                   array_ops.shape(y, out_type=begin_t.dtype)),
                                 begin_t)
        paddings = concat([before, array_ops.reshape(rest, [-1, 1])], 1)
        return [pad(g, paddings), None, None]


@register
class Pad(Op):
    """Zero padding: paddings[i] = [before_i, after_i] for each dimension i."""

    calls_blas = False

    op_type = "Pad"
    input_names = ("input", "paddings")
    attr_defaults = {"Tpaddings": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, p = ctx.inputs
        ctx.require_index(1)
        pshape = ctx.require_rank(1, 2)
        rank = x.shape.rank
        if pshape.rank == 2 and ((pshape[1] is not None and pshape[1] != 2) or (
                rank is not None and pshape[0] is not None and pshape[0] != rank)):
            ctx.fail(f"paddings {ctx.input_label(1)} must have shape [rank, 2] = [{rank}, 2] "
                     f"for {ctx.input_label(0)}", "give one [before, after] pair per dimension")
        if rank is None and pshape.rank == 2:
            rank = pshape[0]
        if rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        if p.value is None:
            return [TensorSpec(x.dtype, [None] * rank)]
        pads = np.asarray(p.value).reshape(rank, 2)
        if (pads < 0).any():
            ctx.fail(f"paddings must be >= 0, got {pads.tolist()}")
        xdims = x.shape.dims if x.shape.rank is not None else (None,) * rank
        dims = [None if d is None else d + int(a) + int(b) for d, (a, b) in zip(xdims, pads)]
        value = fold(lambda v: np.pad(v, pads), x.value)
        return [TensorSpec(x.dtype, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name = ctx.name

        def pad_kernel(x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
            pads = np.asarray(paddings).reshape(-1, 2)
            if pads.shape[0] != x.ndim or (pads < 0).any():
                raise run_error(name, "Pad", f"paddings {pads.tolist()} must be >= 0 with one "
                                f"[before, after] pair per dimension of input shape {x.shape}")
            out = np.zeros([d + int(a) + int(b) for d, (a, b) in zip(x.shape, pads)],
                           dtype=x.dtype)
            out[tuple(_pyslice(int(a), int(a) + d) for d, (a, _) in zip(x.shape, pads))] = x
            return out
        return pad_kernel

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d pad(x, p) = slice(g, p[:, 0], shape(x)): x's gradient is the un-padded centre."""
        g = op_builder.dense(g)
        x, p = op.inputs
        if p.spec.value is not None:
            begin = [int(v) for v in np.asarray(p.spec.value).reshape(-1, 2)[:, 0]]
            size = x.shape.as_list() if x.shape.is_fully_defined() else array_ops.shape(x)
            return [slice(g, begin, size), None]
        begin = array_ops.reshape(slice(p, [0, 0], [-1, 1]), [-1])
        return [slice(g, begin, array_ops.shape(x, out_type=p.dtype)), None]


# ----------------------------------------------------------------------------------------
# Builder functions
# ----------------------------------------------------------------------------------------


def transpose(a: Any, perm: Any = None, name: str | None = None,
              conjugate: bool = False) -> Tensor:
    """``tf.transpose``: permute the axes of ``a`` (default: reverse them)."""
    g = op_builder.graph_of(a, perm)
    with g.as_default(), g.name_scope(name or "transpose") as scope:
        x = op_builder.convert_to_tensor(a, name="a")
        if perm is None:
            if x.shape.rank is not None:
                perm = list(range(x.shape.rank - 1, -1, -1))
            else:
                rank = array_ops.size(array_ops.shape(x))
                perm = math_ops.subtract(math_ops.subtract(rank, 1), range_(0, rank, 1))
        p = int_input(perm, "perm")
        return op_builder.apply1("Transpose", [x, p], {"T": x.dtype, "Tperm": p.dtype},
                                 name=scope)


def invert_permutation(x: Any, name: str | None = None) -> Tensor:
    """``tf.invert_permutation``: ``y[x[i]] = i`` for a 1-D int permutation
    ``x``."""
    p = int_input(x, "x") if not isinstance(x, Tensor) else x
    return op_builder.apply1("InvertPermutation", [p], {"T": p.dtype},
                             name=name or "InvertPermutation")


def concat(values: Sequence[Any], axis: Any, name: str = "concat") -> Tensor:
    """``tf.concat``: join ``values`` along ``axis``; a single value is returned through an
    Identity (as TF does)."""
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if not values:
        raise ValueError("concat needs at least one value")
    if len(values) == 1:
        return array_ops.identity(op_builder.convert_to_tensor(values[0]), name=name)
    g = op_builder.graph_of(values, axis)
    with g.as_default(), g.name_scope(name or "concat") as scope:
        tensors = op_builder.convert_n(values, graph=g)
        a = int_input(axis, "axis")
        return op_builder.apply1("ConcatV2", tensors + [a], {"N": len(tensors),
                                                             "T": tensors[0].dtype,
                                                             "Tidx": a.dtype}, name=scope)


def concat_offset(concat_dim: Any, shape: Sequence[Tensor], name: str | None = None
                  ) -> list[Tensor]:
    g = op_builder.graph_of(concat_dim, shape)
    with g.as_default(), g.name_scope(name or "ConcatOffset") as scope:
        dim = int_input(concat_dim, "concat_dim")
        if dim.dtype != dtypes.int32:
            dim = linalg_ops.cast(dim, dtypes.int32)
        shapes = [int_input(s, "shape") for s in shape]
        return list(op_builder.apply("ConcatOffset", [dim] + shapes, {"N": len(shapes)},
                                     name=scope).outputs)



def stack(values: Sequence[Any], axis: int = 0, name: str = "stack") -> Tensor:
    """``tf.stack``: join same-shaped tensors along a new ``axis`` (``Pack``). Values that
    hold no Tensor become one Const, as in TF."""
    values = list(values)
    if not values:
        raise ValueError("stack needs at least one value")
    if axis == 0 and not any(isinstance(v, Tensor) or hasattr(v, "_as_graph_element")
                             for v in values):
        try:
            return op_builder.convert_to_tensor(values, name=name or "stack")
        except (TypeError, ValueError):
            pass
    tensors = op_builder.convert_n(values)
    return op_builder.apply1("Pack", tensors, {"N": len(tensors), "T": tensors[0].dtype,
                                               "axis": int(axis)}, name=name or "stack")


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack"
            ) -> list[Tensor]:
    """``tf.unstack``: split ``value`` along ``axis`` (its size must be known, or pass num)."""
    x = op_builder.convert_to_tensor(value)
    if num is None:
        rank = x.shape.rank
        num = x.shape[axis] if rank is not None and -rank <= axis < rank else None
        if num is None:
            raise ValueError(f"unstack: cannot infer num from tensor '{x.name}' of shape "
                             f"{x.shape} along axis {axis}; pass num=")
    op = op_builder.apply("Unpack", [x], {"num": int(num), "T": x.dtype, "axis": int(axis)},
                          name=name or "unstack")
    return list(op.outputs)


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """``tf.tile``: repeat ``input`` ``multiples[i]`` times along dimension i."""
    g = op_builder.graph_of(input, multiples)
    with g.as_default(), g.name_scope(name or "Tile") as scope:
        x = op_builder.convert_to_tensor(input, name="input")
        m = int_input(multiples, "multiples")
        return op_builder.apply1("Tile", [x, m], {"T": x.dtype, "Tmultiples": m.dtype},
                                 name=scope)


_RANGE_HIERARCHY = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def range_(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,
           name: str | None = None) -> Tensor:
    """``tf.range``: [start, start+delta, ...) below ``limit``; ``range_(n)`` is [0, n). The
    dtype is the widest of the inputs' (int32 < int64 < float32 < float64) unless given."""
    if limit is None:
        start, limit = 0, start
    g = op_builder.graph_of(start, limit, delta)
    with g.as_default(), g.name_scope(name or "range") as scope:
        want = dtypes.as_dtype(dtype) if dtype is not None else None
        parts = []
        for value, part in ((start, "start"), (limit, "limit"), (delta, "delta")):
            if isinstance(value, Tensor):
                parts.append(value)
            else:
                parts.append(op_builder.convert_to_tensor(value, dtype=want, name=part))
        if want is None:
            for t in parts:
                if t.dtype not in _RANGE_HIERARCHY:
                    raise TypeError(f"range: '{t.name}' has dtype {t.dtype.name}; use int32, "
                                    "int64, float32 or float64 (or pass dtype=)")
            want = max((t.dtype for t in parts), key=_RANGE_HIERARCHY.index)
        parts = [linalg_ops.cast(t, want) for t in parts]
        return op_builder.apply1("Range", parts, {"Tidx": want}, name=scope)


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """``tf.slice``: ``size[i]`` elements from ``begin[i]`` in each dimension (-1: to the end)."""
    g = op_builder.graph_of(input_, begin, size)
    with g.as_default(), g.name_scope(name or "Slice") as scope:
        x = op_builder.convert_to_tensor(input_, name="input")
        if isinstance(begin, Tensor) or not isinstance(size, Tensor):
            b = int_input(begin, "begin")
            s = int_input(size, "size", dtype=None if isinstance(size, Tensor) else b.dtype)
        else:
            s = int_input(size, "size")
            b = int_input(begin, "begin", dtype=s.dtype)
        return op_builder.apply1("Slice", [x, b, s], {"T": x.dtype, "Index": b.dtype},
                                 name=scope)


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str | None = None,
        constant_values: Any = 0) -> Tensor:
    """``tf.pad`` with zeros (mode "CONSTANT"); other modes and fill values are not supported."""
    if str(mode).upper() != "CONSTANT":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported by graphflow (it needs "
                                  "MirrorPad); only mode='CONSTANT' (zero padding) is available")
    if isinstance(constant_values, Tensor) or np.any(np.asarray(constant_values) != 0):
        raise NotImplementedError("pad: only constant_values=0 is supported (PadV2 is not "
                                  "implemented); add the constant to a padded mask instead")
    g = op_builder.graph_of(tensor, paddings)
    with g.as_default(), g.name_scope(name or "Pad") as scope:
        x = op_builder.convert_to_tensor(tensor, name="input")
        p = int_input(paddings, "paddings")
        return op_builder.apply1("Pad", [x, p], {"T": x.dtype, "Tpaddings": p.dtype},
                                 name=scope)
