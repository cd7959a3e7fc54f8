"""Layout ops: Transpose, InvertPermutation, ConcatV2, ConcatOffset, Pack, Unpack, Tile and
Range — records (shape rule with constant folding, numpy kernel, gradient rule) and their
TF1-named builders, plus the helpers the sibling families share. Those families:
``gather_ops`` (GatherV2, ``embedding_lookup``, UnsortedSegmentSum, OneHot) and
``slice_ops`` (Slice, Pad, StridedSlice, ``t[...]``). The gather builders are also
reachable as ``layout_ops.<name>`` (see ``__getattr__``).

Builders follow TF1's naming: ``transpose(x, [1, 0])`` adds ``transpose/perm`` (Const) and
``transpose`` (the op), i.e. an op's helper constants live under the op's own name scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.op_registry import InferContext, KernelContext, Op, describe, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, op_builder
from graphflow.ops.elementwise import fold

INDEX_TYPES = (dtypes.int32, dtypes.int64)
INDEX_WHAT = "int32/int64"

# ----------------------------------------------------------------------------------------
# Helpers shared by the records (also used by ``gather_ops`` and ``slice_ops``)
# ----------------------------------------------------------------------------------------


def label(ctx: InferContext, i: int, role: str) -> str:
    """``role 'tensor:0' [float32 (2, 3)]`` for input ``i`` (ops whose variadic input is not
    the last one, where ``ctx.input_label`` would name the wrong role)."""
    tensor = f" '{ctx.input_names[i]}'" if i < len(ctx.input_names) else ""
    return f"{role}{tensor} [{describe(ctx.inputs[i])}]"


def require_index(ctx: InferContext, *indices: int) -> None:
    for i in indices:
        ctx.require_dtype(i, lambda d: d in INDEX_TYPES, INDEX_WHAT)


def static_ints(spec: TensorSpec) -> list[int] | None:
    """The statically known value of an integer tensor, flattened; None when unknown."""
    return None if spec.value is None else [int(v) for v in np.asarray(spec.value).reshape(-1)]


def static_axis(ctx: InferContext, i: int, rank: int | None, extra: int = 0,
                what: str = "axis") -> int | None:
    """Input ``i`` as an axis in ``[0, rank + extra)`` (negative counts from the end), when
    it and ``rank`` are known at build time; a build error names the valid range."""
    spec = ctx.inputs[i]
    if spec.value is None:
        return None
    if np.size(spec.value) != 1:
        ctx.fail(f"{what} {ctx.input_label(i)} must be a scalar")
    if rank is None:
        return None
    a, n = int(np.asarray(spec.value).reshape(-1)[0]), rank + extra
    if not -n <= a < n:
        ctx.fail(f"{what} {a} is out of range for an input of rank {rank}",
                 f"use an {what} in [-{n}, {n})")
    return a % n


def vector_length(ctx: InferContext, i: int) -> int | None:
    """Static length of the 1-D integer input ``i`` (build error if it is not 1-D)."""
    ctx.require_rank(i, 1)
    shape = ctx.inputs[i].shape
    return None if shape.rank is None else shape[0]


def dense(g: Any) -> Tensor:
    """An upstream gradient as a dense Tensor (an IndexedSlices is scattered into zeros)."""
    return op_builder.convert_to_tensor(g) if isinstance(g, IndexedSlices) else g


def one_or_tuple(outputs: list[np.ndarray]) -> Any:
    """Kernels of multi-output ops return a tuple, but a single output bare (the plan
    assigns a one-output step's result to one slot)."""
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def run_error(name: str, op_type: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{op_type} node '{name}': {message}", name, op_type)


# ----------------------------------------------------------------------------------------
# Transpose, InvertPermutation
# ----------------------------------------------------------------------------------------


@register
class Transpose(Op):
    """y = x with permuted axes: ``y.shape[i] = x.shape[perm[i]]``."""

    op_type = "Transpose"
    input_names = ("x", "perm")
    attr_defaults = {"Tperm": dtypes.int32}
    returns_alias = True  # numpy returns a strided view

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        require_index(ctx, 1)
        n = vector_length(ctx, 1)
        perm = static_ints(ctx.inputs[1])
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
        perm = static_ints(ctx.inputs[1])
        if perm is not None:
            return lambda x, _perm: np.transpose(x, perm)
        return lambda x, p: np.transpose(x, [int(a) for a in p])

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d transpose(x, p) = transpose(g, p^-1): the inverse permutation puts every axis of
        g back where it came from (a constant when p is static, else InvertPermutation)."""
        g = dense(g)
        perm = static_ints(op.inputs[1].spec)
        if perm is not None:
            return [transpose(g, [int(a) for a in np.argsort(perm)]), None]
        return [transpose(g, invert_permutation(op.inputs[1])), None]


@register
class InvertPermutation(Op):
    """y[x[i]] = i for a permutation x of 0..n-1."""

    op_type = "InvertPermutation"
    input_names = ("x",)
    attr_defaults = {"T": dtypes.int32}
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        require_index(ctx, 0)
        n = vector_length(ctx, 0)
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

    op_type = "ConcatV2"
    input_names = ("*values", "axis")
    attr_defaults = {"Tidx": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        values, n = ctx.inputs[:-1], len(ctx.inputs) - 1
        if n < 1:
            ctx.fail("needs at least one value and an axis")
        ctx.require_dtype(n, lambda d: d in INDEX_TYPES, INDEX_WHAT)
        dt = values[0].dtype
        rank = None
        first = 0
        for i, v in enumerate(values):
            if v.dtype != dt:
                ctx.fail(f"all values must have the same dtype, got {label(ctx, 0, 'values[0]')} "
                         f"and {label(ctx, i, f'values[{i}]')}", "convert with gf.cast")
            if v.shape.rank is not None:
                if rank is None:
                    rank, first = v.shape.rank, i
                elif v.shape.rank != rank:
                    ctx.fail(f"all values must have the same rank, got "
                             f"{label(ctx, first, f'values[{first}]')} (rank {rank}) and "
                             f"{label(ctx, i, f'values[{i}]')} (rank {v.shape.rank})",
                             "reshape or expand_dims the inputs to one rank")
        if rank == 0:
            ctx.fail("cannot concatenate scalars", "use gf.stack to join scalars into a vector")
        axis = static_axis(ctx, n, rank)
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
                                 f"along axis {axis}), but {label(ctx, i, f'values[{i}]')} has "
                                 f"{d} where an earlier value has {dims[k]}",
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
        from graphflow.ops.slice_ops import slice

        g = dense(g)
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

    op_type = "ConcatOffset"
    input_names = ("concat_dim", "*shape")
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        n = len(ctx.inputs) - 1
        if n < 1:
            ctx.fail("needs concat_dim and at least one shape")
        ctx.require_dtype(0, lambda d: d in INDEX_TYPES, INDEX_WHAT)
        dt = ctx.require_same_dtype(*range(1, n + 1))
        require_index(ctx, 1)
        lengths = {vector_length(ctx, i) for i in range(1, n + 1)} - {None}
        if len(lengths) > 1:
            ctx.fail(f"all shapes must have the same length (rank), got {sorted(lengths)}")
        rank = lengths.pop() if lengths else None
        values = None
        shapes = [static_ints(s) for s in ctx.inputs[1:]]
        dim = static_ints(ctx.inputs[0])
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
        return list(unstack(dense(g), num=len(op.inputs), axis=op.get_attr("axis")))


@register
class Unpack(Op):
    """Split ``value`` along ``axis`` into ``num`` tensors with that axis removed."""

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
        parts = [array_ops.zeros_like(y) if g is None else dense(g)
                 for g, y in zip(grads, op.outputs)]
        return [stack(parts, axis=op.get_attr("axis"))]


@register
class Tile(Op):
    """y = x repeated multiples[i] times along each dimension i."""

    op_type = "Tile"
    input_names = ("input", "multiples")
    attr_defaults = {"Tmultiples": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        require_index(ctx, 1)
        n = vector_length(ctx, 1)
        rank = x.shape.rank
        if n is not None and rank is not None and n != rank:
            ctx.fail(f"multiples {ctx.input_label(1)} must have one entry per dimension of "
                     f"{ctx.input_label(0)}")
        rank = rank if rank is not None else n
        if rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        m = static_ints(ctx.inputs[1])
        if m is None:
            return [TensorSpec(x.dtype, [None] * rank)]
        if min(m, default=0) < 0:
            ctx.fail(f"multiples {m} must be >= 0")
        xdims = x.shape.dims if x.shape.rank is not None else (None,) * rank
        dims = [None if d is None else d * k for d, k in zip(xdims, m)]
        return [TensorSpec(x.dtype, dims, fold(lambda v: np.tile(v, m), x.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x, m: np.tile(x, tuple(int(k) for k in m))

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d tile(x, m) = sum over the copies: reshape g to [m_0, d_0, m_1, d_1, ...] and sum
        the m_i axes (constant shapes when static, else built from shape(x) and m)."""
        from graphflow.ops import reduction_ops

        g = dense(g)
        x, m_t = op.inputs
        m = static_ints(m_t.spec)
        if x.shape.rank == 0:
            return [g, None]
        if m is not None and x.shape.is_fully_defined():
            split = [v for pair in zip(m, x.shape.as_list()) for v in pair]
            axes = list(range(0, len(split), 2))
            return [reduction_ops.reduce_sum(array_ops.reshape(g, split), axes), None]
        pairs = transpose(stack([m_t, array_ops.shape(x, out_type=m_t.dtype)]))
        split_t = array_ops.reshape(pairs, [-1])
        axes_t = range_(0, array_ops.size(split_t, out_type=m_t.dtype), 2)
        return [reduction_ops.reduce_sum(array_ops.reshape(g, split_t), axes_t), None]


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


# Builder functions
# ----------------------------------------------------------------------------------------


def int_input(value: Any, name: str, dtype: Any = None) -> Tensor:
    """An integer index/shape input: Tensors pass through, lists containing Tensors are
    stacked, Python/numpy integers become an int32 Const (int64 if they need it)."""
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
        return op_builder.convert_to_tensor(value, dtype=dtype)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return stack(list(value), name=name)
    array = np.asarray(value)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers (or an int32/int64 tensor), got {value!r}")
    if dtype is None:
        fits = not array.size or (array.min() >= -2 ** 31 and array.max() < 2 ** 31)
        dtype = dtypes.int32 if fits else dtypes.int64
    return op_builder.constant(array.astype(dtypes.as_dtype(dtype).np_dtype), name=name)


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
                from graphflow.ops import math_ops
                rank = array_ops.size(array_ops.shape(x))
                perm = math_ops.subtract(math_ops.subtract(rank, 1), range_(0, rank, 1))
        p = int_input(perm, "perm")
        return op_builder.apply1("Transpose", [x, p], {"T": x.dtype, "Tperm": p.dtype},
                                 name=scope)


def invert_permutation(x: Any, name: str | None = None) -> Tensor:
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
            from graphflow.ops import linalg_ops
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
    from graphflow.ops import linalg_ops

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


_GATHER_BUILDERS = ("embedding_lookup", "gather", "one_hot", "unsorted_segment_sum")


def __getattr__(name: str) -> Any:
    """``layout_ops.gather`` etc.: the gather family's builders, resolved lazily because
    ``gather_ops`` imports this module's helpers (an eager import would be circular)."""
    if name in _GATHER_BUILDERS:
        from graphflow.ops import gather_ops
        return getattr(gather_ops, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
