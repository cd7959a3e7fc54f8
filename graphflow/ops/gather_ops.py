"""Indexing by index tensors: GatherV2 (+ ``embedding_lookup``, whose gradient is an
``IndexedSlices`` of the looked-up rows only — never a vocabulary-sized dense array),
UnsortedSegmentSum (+ the IndexedSlices -> Tensor conversion that densifies such
gradients), OneHot, and ArgMax/ArgMin (the index of the largest/smallest value along an
axis; integer outputs, registered non-differentiable): records (shape rule with constant
folding, numpy kernel, gradient rule) and TF1-named builders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes, tensor_util
from graphflow.framework.errors import node_error
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register, static_ints
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, comparison_ops, math_ops, op_builder
from graphflow.ops.layout_ops import concat, range_, transpose
from graphflow.ops.op_base import fold, run_error
from graphflow.ops.op_builder import int_input
from graphflow.ops.row_updates import update_rows
from graphflow.ops.strided_slice_ops import strided_slice

# ----------------------------------------------------------------------------------------
# GatherV2
# ----------------------------------------------------------------------------------------


def _bad_index(indices: np.ndarray, n: int) -> tuple[tuple[int, ...], int] | None:
    """Position and value of the first index outside [0, n), or None."""
    if indices.size == 0:
        return None
    if indices.min() >= 0 and indices.max() < n:
        return None
    flat = indices.reshape(-1)
    k = int(np.flatnonzero((flat < 0) | (flat >= n))[0])
    return tuple(int(v) for v in np.unravel_index(k, indices.shape)), int(flat[k])


def _where(pos: tuple[int, ...]) -> str:
    return "".join(f"[{p}]" for p in pos) if pos else ""


#: Index bounds are checked with one reduction (``indices_in_range``: the indices viewed as
#: unsigned, so a negative one is larger than any size). Off: a min and a max. (Copying the
#: gathered rows as opaque void items was measured too and did not pay: at the window-NER
#: step's sizes the gather waits on memory, not on numpy's per-element loop.)
FAST_ROW_GATHER = True
#: A small planned gather with int32 indices lets numpy's ``take`` check the bounds while it
#: copies (the indices viewed as uint32, so a negative one is out of bounds too) into a
#: fresh array, instead of a separate bounds reduction and a copy into the planned buffer
#: (``mode="raise"`` with ``out=`` would buffer the copy): ~1.4x faster for the window
#: classifier's 160 rows at batch 32, more when the caches are cold. Larger outputs (fresh
#: arrays would cost page faults) and int64 indices (a uint64 view would wrap back to
#: negative) keep the check and the planned buffer. Off: always the check.
CHECKED_SMALL_GATHERS = True
_SMALL_GATHER_BYTES = 1 << 16
_LARGEST = np.maximum.reduce
_UNSIGNED: dict[Any, Any] = {np.dtype(np.int32): np.dtype(np.uint32),
                             np.dtype(np.int64): np.dtype(np.uint64)}


def indices_in_range(indices: np.ndarray, n: int) -> bool:
    """Every index in [0, n): as unsigned, a negative index is larger than any n."""
    if not indices.size:
        return True
    unsigned = _UNSIGNED.get(indices.dtype) if FAST_ROW_GATHER else None
    if unsigned is not None:  # the ufunc's reduce directly: ndarray.max's wrapper costs more
        return bool(_LARGEST(indices.view(unsigned), None) < n)
    return bool(indices.min() >= 0 and indices.max() < n)


@register
class GatherV2(Op):
    """y = params[..., indices, ...] along ``axis``:
    ``y.shape = params.shape[:axis] + indices.shape + params.shape[axis+1:]``."""

    calls_blas = False

    op_type = "GatherV2"
    input_names = ("params", "indices", "axis")
    attr_defaults = {"batch_dims": 0, "Taxis": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        params, indices = ctx.inputs[:2]
        ctx.require_index(1, 2)
        if ctx.attr("batch_dims") != 0:
            ctx.fail(f"batch_dims={ctx.attr('batch_dims')} is not supported",
                     "use batch_dims=0 (gather along one axis)")
        rank = params.shape.rank
        if rank == 0:
            ctx.fail(f"{ctx.input_label(0)} must have rank >= 1")
        axis = ctx.static_axis(2, rank)
        if axis is None or indices.shape.rank is None:
            return [TensorSpec(params.dtype, TensorShape(None))]
        n = params.shape[axis]
        if indices.value is not None and n is not None:
            bad = _bad_index(np.asarray(indices.value), n)
            if bad is not None:
                ctx.fail(f"indices{_where(bad[0])} = {bad[1]} is not in [0, {n}) (dimension "
                         f"{axis} of {ctx.input_label(0)})", "indices must be in [0, size)")
        dims = list(params.shape.dims[:axis]) + list(indices.shape.dims) + \
            list(params.shape.dims[axis + 1:])
        value = fold(lambda p, i: np.take(p, i, axis=axis), params.value, indices.value)
        return [TensorSpec(params.dtype, dims, value)]

    writes_out = True

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, out = ctx.name, ctx.out[0]
        axis_value, rank = ctx.inputs[2].value, ctx.inputs[0].shape.rank

        def gather_kernel(params: np.ndarray, indices: np.ndarray, axis: Any) -> np.ndarray:
            a = int(axis)
            if not -params.ndim <= a < params.ndim:
                raise run_error(name, "GatherV2", f"axis {a} is out of range for params of "
                                f"shape {params.shape}")
            a %= params.ndim
            n = params.shape[a]
            bad = _bad_index(indices, n)
            if bad is not None:
                raise run_error(name, "GatherV2", f"indices{_where(bad[0])} = {bad[1]} is not in "
                                f"[0, {n}) (params shape {params.shape}, axis {a})")
            if out is not None:  # bounds checked above: mode="clip" avoids numpy's buffering
                return np.take(params, indices, axis=a, out=out, mode="clip")
            return np.take(params, indices, axis=a)

        if out is not None and axis_value is not None and rank is not None and \
                -rank <= int(axis_value) < rank:
            a = int(axis_value) % rank  # a planned, shape-specialized step: bind the axis now
            if CHECKED_SMALL_GATHERS and ctx.inputs[1].dtype == dtypes.int32 and \
                    out.nbytes <= _SMALL_GATHER_BYTES:

                def gather_small(params: np.ndarray, indices: np.ndarray, axis: Any
                                 ) -> np.ndarray:
                    try:  # as unsigned, a negative index is out of bounds too
                        return params.take(indices.view(np.uint32), axis=a)
                    except (IndexError, TypeError, ValueError):
                        return gather_kernel(params, indices, axis)  # the named error
                return gather_small

            def gather_rows(params: np.ndarray, indices: np.ndarray, axis: Any) -> np.ndarray:
                if not indices_in_range(indices, params.shape[a]):
                    return gather_kernel(params, indices, axis)  # raises the named error
                return params.take(indices, axis=a, out=out, mode="clip")
            return gather_rows
        return gather_kernel

    def split_kernel(self, ctx: KernelContext, submit: Callable[..., Any], at: int = 0
                     ) -> Callable[..., Any] | None:
        """A planned gather along axis 0 that copies the rows of the first ``at`` indices
        (0: half of them) on the worker thread (``submit``) and the rest here, into the
        planned output (the same bytes as one gather); the bounds are checked first, and a
        bad index gets the plain kernel's named error (a fetched output, unplanned, is a
        new array each run). None when the step is not such a gather."""
        planned, axis_value, rank = ctx.out[0], ctx.inputs[2].value, ctx.inputs[0].shape.rank
        shape = ctx.concrete(ctx.inputs[1])
        if axis_value is None or rank is None or ctx.inputs[0].dtype.np_dtype.hasobject or \
                not -rank <= int(axis_value) < rank or int(axis_value) % rank != 0 or \
                not shape or shape[0] < 2:
            return None
        whole, half = self.kernel(ctx), (at if 0 < at < shape[0] else shape[0] // 2)

        def split_gather(params: np.ndarray, indices: np.ndarray, axis: Any) -> np.ndarray:
            if indices.shape != shape or not indices_in_range(indices, params.shape[0]):
                return whole(params, indices, axis)  # raises the named error
            out = np.empty(shape + params.shape[1:], params.dtype) if planned is None \
                else planned
            top, bottom = out[:half], out[half:]
            future = submit(params.take, indices[:half], axis=0, out=top, mode="clip")
            try:
                params.take(indices[half:], axis=0, out=bottom, mode="clip")
            finally:
                future.result()  # never leave the worker writing into ``out``
            return out
        return split_gather

    def grad(self, op: Operation, g: Any) -> list[Any]:
        """d gather(params, idx, axis=0) = IndexedSlices(values=reshape(g, [-1] +
        params.shape[1:]), indices=reshape(idx, [-1]), dense_shape=shape(params)): row
        idx[k] of d params receives g's k-th row (duplicates sum when densified); only the
        looked-up rows are materialized. For axis a != 0 the gradient is dense:
        transpose(unsorted_segment_sum(g with idx's axes moved first, idx, params.shape[a]))."""
        params, indices, axis_t = op.inputs
        g = op_builder.dense(g)
        a = static_ints(axis_t.spec)
        prank, qrank = params.shape.rank, indices.shape.rank
        if a is None or (a[0] < 0 and prank is None):
            raise NotImplementedError(node_error(
                op.name, "GatherV2", "the gradient needs the axis (and for a negative axis the "
                "rank of params) known when the graph is built"))
        axis = a[0] % prank if a[0] < 0 else a[0]  # type: ignore[operator]
        if axis == 0:
            return [_rows_gradient(params, indices, g), None, None]
        if prank is None or qrank is None:
            return [_dynamic_axis_gradient(params, indices, g, axis), None, None]
        moved = list(range(axis, axis + qrank)) + list(range(axis)) + \
            list(range(axis + qrank, prank + qrank - 1))
        num = params.shape[axis] if params.shape[axis] is not None else \
            strided_slice(array_ops.shape(params), [axis], [axis + 1], [1], shrink_axis_mask=1)
        summed = unsorted_segment_sum(transpose(g, moved), indices, num)
        back = list(range(1, axis + 1)) + [0] + list(range(axis + 1, prank))
        return [transpose(summed, back), None, None]


def _dynamic_axis_gradient(params: Tensor, indices: Tensor, g: Tensor, axis: int) -> Tensor:
    """The gradient along a static axis > 0 when the ranks are known only at run time
    (TensorFlow's rule): view g as [outer..., n_indices, inner...], move the index axis
    first, segment-sum the rows into params.shape[axis] slots, move it back."""
    p_shape = array_ops.shape(params)
    outer = strided_slice(p_shape, [0], [axis], [1])
    inner = strided_slice(p_shape, [axis + 1], [0], [1], end_mask=1)
    values = array_ops.reshape(g, concat([outer, [-1], inner], 0))
    flat = array_ops.reshape(indices, [-1])
    n_dims = array_ops.size(array_ops.shape(values))
    first = concat([[axis], range_(0, axis), range_(axis + 1, n_dims)], 0)
    num = strided_slice(p_shape, [axis], [axis + 1], [1], shrink_axis_mask=1)
    summed = unsorted_segment_sum(transpose(values, first), flat, num)
    back = concat([range_(1, axis + 1), [0], range_(axis + 1, n_dims)], 0)
    return transpose(summed, back)


def _rows_gradient(params: Tensor, indices: Tensor, g: Tensor) -> IndexedSlices:
    inner = params.shape[1:]
    if params.shape.rank is not None and inner.is_fully_defined():
        values = array_ops.reshape(g, [-1] + inner.as_list())
    else:
        tail = strided_slice(array_ops.shape(params), [1], [0], [1], end_mask=1)
        values = array_ops.reshape(g, concat([[-1], tail], 0))
    flat = array_ops.reshape(indices, [-1])
    return IndexedSlices(values, flat, array_ops.shape(params),
                         static_dense_shape=params.shape)


# ----------------------------------------------------------------------------------------
# UnsortedSegmentSum and the IndexedSlices -> Tensor conversion
# ----------------------------------------------------------------------------------------


def _segment_sum(data: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """out[k] = sum of data[i] over ids[i] == k (negative ids dropped); exact with duplicates."""
    flat = ids.reshape(-1)
    inner = data.shape[ids.ndim:]
    width = int(np.prod(inner, dtype=np.int64))
    rows = data.reshape(flat.size, width)
    if flat.size and flat.min() < 0:
        keep = flat >= 0
        flat, rows = flat[keep], rows[keep]
    out = np.zeros((n, width), dtype=data.dtype)
    update_rows(np.add, out, flat, rows)
    return out.reshape((n,) + inner)


@register
class UnsortedSegmentSum(Op):
    """out[k, ...] = sum of data[i..., ...] over the positions i with segment_ids[i] == k;
    segment_ids' shape is a prefix of data's; negative ids are dropped (as in TF)."""

    calls_blas = False

    op_type = "UnsortedSegmentSum"
    input_names = ("data", "segment_ids", "num_segments")
    attr_defaults = {"Tnumsegments": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        data, ids, num = ctx.inputs
        ctx.require_dtype(0, lambda d: d.is_numeric, "numeric")
        ctx.require_index(1, 2)
        ctx.require_rank(2, 0)
        n = ctx.static_ints(2)
        n0 = None if n is None else n[0]
        if n0 is not None and n0 < 0:
            ctx.fail(f"num_segments = {n0} must be >= 0")
        if data.shape.rank is None or ids.shape.rank is None:
            return [TensorSpec(data.dtype, TensorShape(None))]
        q = ids.shape.rank
        if q > data.shape.rank or not data.shape[:q].is_compatible_with(ids.shape):
            ctx.fail(f"the shape of {ctx.input_label(1)} must be a prefix of the shape of "
                     f"{ctx.input_label(0)}", "give one segment id per leading slice of data")
        if ids.value is not None and n0 is not None:
            big = np.asarray(ids.value) >= n0
            if big.any():
                bad = np.asarray(ids.value)[big].reshape(-1)[0]
                ctx.fail(f"segment id {int(bad)} is out of range [0, {n0})",
                         "raise num_segments or fix the ids")
        dims = [n0] + list(data.shape.dims[q:])
        value = None
        if n0 is not None and (data.shape.num_elements() or 0) <= 4096:
            value = fold(lambda d, i: _segment_sum(d, i, n0), data.value, ids.value)
        return [TensorSpec(data.dtype, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name = ctx.name

        def segment_sum(data: np.ndarray, ids: np.ndarray, num: np.ndarray) -> np.ndarray:
            n = int(num)
            if data.shape[:ids.ndim] != ids.shape:
                raise run_error(name, "UnsortedSegmentSum", f"segment_ids shape {ids.shape} is "
                                f"not a prefix of data shape {data.shape}")
            if ids.size and ids.max() >= n:
                flat = ids.reshape(-1)
                k = int(np.flatnonzero(flat >= n)[0])
                pos = tuple(int(v) for v in np.unravel_index(k, ids.shape))
                raise run_error(name, "UnsortedSegmentSum", f"segment_ids{_where(pos)} = "
                                f"{int(flat[k])} is out of range [0, {n})")
            return _segment_sum(data, ids, n)
        return segment_sum

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d unsorted_segment_sum(data, ids, n) = (gather(g, ids), None, None): data[i] was
        added into segment ids[i], so it receives that segment's gradient (0 where ids[i] < 0:
        those rows were dropped)."""
        g = op_builder.dense(g)
        ids = op.inputs[1]
        known = static_ints(ids.spec)
        if known is not None and min(known, default=0) >= 0:
            return [gather(g, ids), None, None]
        gathered = gather(g, math_ops.maximum(ids, 0))
        keep = comparison_ops.greater_equal(ids, 0)
        tail = strided_slice(array_ops.shape(g), [1], [0], [1], end_mask=1)
        mask_shape = concat([array_ops.shape(ids), array_ops.ones_like(tail)], 0)
        keep = array_ops.reshape(keep, mask_shape)
        zeros = array_ops.zeros_like(gathered)
        return [comparison_ops.select_v2(keep, gathered, zeros), None, None]


def _indexed_slices_to_tensor(value: IndexedSlices, dtype: Any = None,
                              name: str | None = None) -> Tensor:
    """Densify: unsorted_segment_sum(values, indices, dense_shape[0]) (duplicates sum)."""
    if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
        raise TypeError(f"cannot convert IndexedSlices of dtype {value.dtype.name} ('{value.name}'"
                        f") to {dtypes.as_dtype(dtype).name}")
    static = value.shape
    if static.rank is not None and static[0] is not None:
        num: Any = static[0]
    elif value.dense_shape is not None:
        num = strided_slice(value.dense_shape, [0], [1], [1], shrink_axis_mask=1)
    else:
        raise ValueError(f"cannot densify IndexedSlices '{value.name}': its dense shape is "
                         "unknown")
    out = unsorted_segment_sum(value.values, value.indices, num, name=name)
    if out.shape.is_compatible_with(static):
        out.set_shape(static)
    return out


op_builder.register_tensor_conversion_function(IndexedSlices, _indexed_slices_to_tensor)


# ----------------------------------------------------------------------------------------
# OneHot
# ----------------------------------------------------------------------------------------


@register
class OneHot(Op):
    """out[..., j, ...] = on_value if indices[...] == j else off_value, with the new axis of
    size ``depth`` at ``axis`` (-1: last); out-of-range indices give all off_value."""

    calls_blas = False

    op_type = "OneHot"
    input_names = ("indices", "depth", "on_value", "off_value")
    attr_defaults = {"axis": -1, "TI": dtypes.int64}
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        idx = ctx.inputs[0]
        ctx.require_dtype(0, lambda d: d in (dtypes.uint8, dtypes.int32, dtypes.int64),
                          "uint8/int32/int64")
        ctx.require_dtype(1, lambda d: d == dtypes.int32, "int32")
        ctx.require_rank(1, 0)
        dt = ctx.require_same_dtype(2, 3)
        ctx.require_rank(2, 0)
        ctx.require_rank(3, 0)
        depth = ctx.static_ints(1)
        d = None if depth is None else depth[0]
        if d is not None and d < 0:
            ctx.fail(f"depth = {d} must be >= 0")
        axis = ctx.attr("axis")
        if idx.shape.rank is None:
            return [TensorSpec(dt, TensorShape(None))]
        r = idx.shape.rank
        if not -1 <= axis <= r:
            ctx.fail(f"axis {axis} is out of range for {ctx.input_label(0)}",
                     f"use an axis in [-1, {r}] (-1: a new last axis)")
        dims = list(idx.shape.dims)
        dims.insert(r if axis == -1 else axis, d)
        value = None
        if idx.value is not None and d is not None and np.size(idx.value) * d <= 4096:
            value = fold(lambda i, on, off: _one_hot(i, d, on, off, axis, dt.np_dtype),
                         idx.value, ctx.inputs[2].value, ctx.inputs[3].value)
        return [TensorSpec(dt, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        axis, np_dtype = ctx.attr("axis"), ctx.outputs[0].dtype.np_dtype

        def one_hot(i: np.ndarray, depth: Any, on: Any, off: Any) -> np.ndarray:
            d = int(depth)
            if d < 0:
                raise ctx.invalid(f"depth must be >= 0, got {d}", "pass a non-negative depth")
            ctx.check_size(tuple(np.shape(i)) + (d,), np_dtype)
            return _one_hot(i, d, on, off, axis, np_dtype)
        return one_hot


def _one_hot(indices: np.ndarray, depth: int, on: Any, off: Any, axis: int,
             np_dtype: Any) -> np.ndarray:
    hot = np.asarray(indices)[..., None] == np.arange(depth)
    out = np.where(hot, np.asarray(on, np_dtype), np.asarray(off, np_dtype))
    if axis != -1 and axis != out.ndim - 1:
        out = np.moveaxis(out, -1, axis)
    return out


# ----------------------------------------------------------------------------------------
# ArgMax / ArgMin
# ----------------------------------------------------------------------------------------


class _ArgReduce(Op):
    calls_blas = False
    input_names = ("input", "dimension")
    differentiable = False
    attr_defaults = {"output_type": dtypes.int64, "Tidx": dtypes.int32}
    np_fn: Callable[..., np.ndarray] = staticmethod(np.argmax)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, axis = ctx.inputs
        ctx.require_dtype(0, lambda d: d.is_numeric, "a numeric tensor")
        ctx.require_rank(1, 0)
        out_type = ctx.attr("output_type")
        if x.shape.rank is None or axis.value is None:
            return [TensorSpec(out_type, None if x.shape.rank is None
                               else [None] * (x.shape.rank - 1))]
        rank = x.shape.rank
        a = int(axis.value)
        if not -rank <= a < rank:
            ctx.fail(f"axis {a} is out of range for {ctx.input_label(0)} (rank {rank})")
        dims = [d for i, d in enumerate(x.shape.dims) if i != a % rank]
        return [TensorSpec(out_type, dims)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fn, np_dtype = self.np_fn, ctx.attr("output_type").np_dtype

        def arg_reduce(x: np.ndarray, axis: Any) -> np.ndarray:
            (a,) = ctx.check_axes(axis, max(x.ndim, 1), "axis")
            if x.ndim and x.shape[a] == 0:
                raise ctx.invalid(f"cannot take the {self.op_type} over axis {a}, which is "
                                  f"empty (input shape {x.shape})",
                                  "reduce over a non-empty axis")
            return fn(x, axis=a).astype(np_dtype, copy=False)
        return arg_reduce


@register
class ArgMax(_ArgReduce):
    """Index of the maximum along ``dimension`` (first one on ties)."""

    op_type = "ArgMax"
    np_fn = staticmethod(np.argmax)


@register
class ArgMin(_ArgReduce):
    """Index of the minimum along ``dimension`` (first one on ties)."""

    op_type = "ArgMin"
    np_fn = staticmethod(np.argmin)


# ----------------------------------------------------------------------------------------
# Builder functions
# ----------------------------------------------------------------------------------------


def gather(params: Any, indices: Any, axis: Any = None, batch_dims: int = 0,
           name: str | None = None, validate_indices: Any = None) -> Tensor:
    """``tf.gather``: slices of ``params`` at ``indices`` along ``axis`` (default 0). Indices
    outside [0, size) fail at run time, naming the node (negative indices are invalid)."""
    g = op_builder.graph_of(params, indices, axis)
    with g.as_default(), g.name_scope(name or "GatherV2") as scope:
        p = op_builder.convert_to_tensor(params, name="params")
        i = op_builder.convert_to_tensor(indices, name="indices", preferred_dtype=dtypes.int32)
        a = int_input(0 if axis is None else axis, "axis")
        return op_builder.apply1("GatherV2", [p, i, a],
                                 {"Tparams": p.dtype, "Tindices": i.dtype, "Taxis": a.dtype,
                                  "batch_dims": int(batch_dims)}, name=scope)


def embedding_lookup(params: Any, ids: Any, partition_strategy: str = "mod",
                     name: str | None = None, validate_indices: bool = True,
                     max_norm: Any = None) -> Tensor:
    """``tf.nn.embedding_lookup`` (``gf.nn.embedding_lookup``) for one (unsharded) params
    tensor: rows ``params[ids]``, a GatherV2 along axis 0 whose gradient is an IndexedSlices
    of the looked-up rows. ``partition_strategy``/``validate_indices`` only matter for
    sharded params in TF and are accepted for compatibility."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError(f"embedding_lookup: {len(params)} sharded params tensors "
                                      "are not supported; pass one tensor (gf.concat shards)")
        params = params[0]
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup: max_norm is not supported; clip the "
                                  "looked-up rows explicitly instead")
    g = op_builder.graph_of(params, ids)
    with g.as_default(), g.name_scope(name or "embedding_lookup") as scope:
        return gather(params, ids, axis=0, name=scope)


def unsorted_segment_sum(data: Any, segment_ids: Any, num_segments: Any,
                         name: str | None = None) -> Tensor:
    """``tf.unsorted_segment_sum``: out[k] = sum of data[i] over segment_ids[i] == k."""
    g = op_builder.graph_of(data, segment_ids, num_segments)
    with g.as_default(), g.name_scope(name or "UnsortedSegmentSum") as scope:
        d = op_builder.convert_to_tensor(data, name="data")
        ids = op_builder.convert_to_tensor(segment_ids, name="segment_ids",
                                           preferred_dtype=dtypes.int32)
        n = int_input(num_segments, "num_segments")
        return op_builder.apply1("UnsortedSegmentSum", [d, ids, n],
                                 {"T": d.dtype, "Tindices": ids.dtype, "Tnumsegments": n.dtype},
                                 name=scope)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None,
            axis: int | None = None, dtype: Any = None, name: str | None = None) -> Tensor:
    """``tf.one_hot``: dtype from ``dtype``, else from on/off values, else float32."""
    g = op_builder.graph_of(indices, depth, on_value, off_value)
    with g.as_default(), g.name_scope(name or "one_hot") as scope:
        idx = op_builder.convert_to_tensor(indices, name="indices", preferred_dtype=dtypes.int32)
        want = dtypes.as_dtype(dtype) if dtype is not None else None
        for v in (on_value, off_value):
            if want is None and v is not None:
                want = v.dtype if isinstance(v, Tensor) else \
                    dtypes.as_dtype(tensor_util.make_tensor_proto(v).dtype)
        want = want or dtypes.float32
        on = op_builder.convert_to_tensor(1 if on_value is None else on_value, dtype=want,
                                          name="on_value")
        off = op_builder.convert_to_tensor(0 if off_value is None else off_value, dtype=want,
                                           name="off_value")
        d = int_input(depth, "depth", dtype=None if isinstance(depth, Tensor) else dtypes.int32)
        return op_builder.apply1("OneHot", [idx, d, on, off],
                                 {"axis": -1 if axis is None else int(axis), "T": want,
                                  "TI": idx.dtype}, name=scope)


def _arg(op_type: str, x: Any, axis: Any, output_type: Any, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    with x.graph.as_default():
        a = int_input(axis, "dimension")  # a Python int, or an int32/int64 scalar Tensor
    return op_builder.apply1(op_type, [x, a], {"T": x.dtype, "Tidx": a.dtype,
                                               "output_type": dtypes.as_dtype(output_type)},
                             name=name or op_type)


def argmax(input: Any, axis: Any = None, name: str | None = None,
           output_type: Any = dtypes.int64) -> Tensor:
    """``tf.argmax`` (axis defaults to 0, as TF1's ``dimension``)."""
    return _arg("ArgMax", input, 0 if axis is None else axis, output_type, name)


def argmin(input: Any, axis: Any = None, name: str | None = None,
           output_type: Any = dtypes.int64) -> Tensor:
    """``tf.argmin``: the index of the smallest value along ``axis`` (default 0; the first
    index on ties), as ``output_type`` (int64 by default)."""
    return _arg("ArgMin", input, 0 if axis is None else axis, output_type, name)
