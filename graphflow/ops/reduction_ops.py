"""Reductions and scans: Sum, Mean, Max, Min, Prod, All, Any (the reduction indices are an
input tensor, TF's convention, and ``keep_dims`` keeps reduced axes as size 1) and the
running Cumsum, Cumprod (``(x, axis)`` with the ``exclusive``/``reverse`` attrs, which
Prod's gradient uses). ``All``/``Any`` take and return bool and, as in TensorFlow, carry no
``T`` attr. Records, gradients (each docstring states its math) and TF1-named builders.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import node_error
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, comparison_ops, layout_ops, linalg_ops, math_ops, op_builder
from graphflow.ops.op_base import fold, run_error
from graphflow.ops.op_builder import int_input

# ----------------------------------------------------------------------------------------
# Sum, Mean, Max, Min
# ----------------------------------------------------------------------------------------


def _normalize_axes(ctx: InferContext, rank: int, value: np.ndarray) -> list[int]:
    """Static reduction indices in [0, rank), sorted; an axis out of range or given twice is a
    build error (TensorFlow refuses both). A scalar input accepts axis 0 / -1 and reduces
    nothing (graphflow's gradients reduce scalars that way)."""
    axes: list[int] = []
    for a in np.asarray(value).reshape(-1):
        a = int(a)
        if not -rank <= a < max(rank, 1):
            ctx.fail(f"reduction axis {a} is out of range for {ctx.input_label(0)} (rank {rank})",
                     f"use axes in [-{rank}, {rank})")
        norm = a % rank if rank else 0
        if norm in axes and rank:
            ctx.fail(f"reduction axis {a} appears more than once in "
                     f"{np.asarray(value).reshape(-1).tolist()}", "list each axis once")
        axes.append(norm)
    return sorted(set(axes))


def _reduce_lowest(fn: Callable[..., np.ndarray], extreme: str) -> Callable[..., np.ndarray]:
    """np.max / np.min that return TensorFlow's identity on an empty reduction (the lowest
    value for max: -inf for floats; the highest for min) instead of raising."""
    def reduce(x: np.ndarray, axis: Any = None, keepdims: bool = False, out: Any = None
               ) -> np.ndarray:
        if x.size:
            return fn(x, axis=axis, keepdims=keepdims, out=out)
        info = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
        low, high = (-np.inf, np.inf) if x.dtype.kind == "f" else (info.min, info.max)
        return fn(x, axis=axis, keepdims=keepdims, out=out,
                  initial=low if extreme == "max" else high)
    return reduce


class _Reduce(Op):
    calls_blas = False
    input_names = ("input", "reduction_indices")
    writes_out = True
    attr_defaults = {"keep_dims": False, "Tidx": dtypes.int32}
    np_fn: Callable[..., np.ndarray] = staticmethod(np.sum)

    #: (what the input must be, the check): numeric for Sum/Mean/..., bool for All/Any.
    input_domain: tuple[str, Callable[[Any], bool]] = ("a numeric tensor",
                                                       lambda d: d.is_numeric)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, axes = ctx.inputs
        ctx.require_dtype(0, self.input_domain[1], self.input_domain[0])
        ctx.require_dtype(1, lambda d: d in (dtypes.int32, dtypes.int64), "int32/int64 axes")
        keep = ctx.attr("keep_dims")
        if x.shape.rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        if axes.value is None:
            shape = [None] * x.shape.rank if keep else None
            return [TensorSpec(x.dtype, TensorShape(shape))]
        norm = _normalize_axes(ctx, x.shape.rank, axes.value)
        dims = [(1 if i in norm else d) for i, d in enumerate(x.shape.dims)] if keep else \
            [d for i, d in enumerate(x.shape.dims) if i not in norm]
        value = fold(lambda v: self.np_fn(v, axis=tuple(norm), keepdims=keep), x.value)
        return [TensorSpec(x.dtype, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        keep, fn = ctx.attr("keep_dims"), self.np_fn
        # np.sum of int32 would widen to int64; pin the accumulator to the output dtype.
        extra = {"dtype": ctx.outputs[0].dtype.np_dtype} if fn in (np.sum, _mean) else {}
        axes_value, rank = ctx.inputs[1].value, ctx.inputs[0].shape.rank
        if axes_value is not None and rank is not None:  # static axes: bind them now
            axes = _kernel_axes(axes_value, rank)
            out = ctx.out[0]
            if out is not None:  # a planned buffer (only for plans with concrete shapes)
                if fn is np.sum:  # what np.sum calls, without its Python layer (~1 us)
                    dtype = extra["dtype"]
                    return lambda x, _axes: np.add.reduce(x, axes, dtype, out, keep)
                return lambda x, _axes: fn(x, axis=axes, keepdims=keep, out=out, **extra)
            return lambda x, _axes: fn(x, axis=axes, keepdims=keep, **extra)
        return lambda x, a: fn(x, axis=_checked_axes(ctx, a, np.ndim(x)), keepdims=keep,
                               **extra)


def _checked_axes(ctx: KernelContext, value: np.ndarray, rank: int) -> tuple[int, ...]:
    """Fed reduction indices, checked as TensorFlow checks them when the op runs (in range,
    no axis twice); a scalar input accepts axis 0 / -1, as the shape rule does."""
    if not rank:
        flat = np.asarray(value).reshape(-1).tolist()
        if any(int(a) not in (0, -1) for a in flat):
            raise ctx.invalid(f"reduction axes {flat} are out of range for a scalar input",
                              "a scalar has no axes to reduce; pass axis=None")
        return ()
    return tuple(sorted(ctx.check_axes(value, rank)))


def _kernel_axes(value: np.ndarray, rank: int) -> tuple[int, ...]:
    """Static reduction indices (already checked by the shape rule) as numpy wants them:
    in [0, rank), sorted. A scalar has nothing to reduce: the kernel drops axis 0."""
    if not rank:
        return ()
    return tuple(sorted({int(a) % rank for a in np.asarray(value).reshape(-1)}))


def _keep_dims_shape(t: Tensor, op: Operation) -> Tensor:
    """Reshape a reduced tensor so the reduced axes are size 1 (a no-op with keep_dims)."""
    if op.get_attr("keep_dims"):
        return t
    x, axes = op.inputs
    if axes.spec.value is None or x.shape.rank is None:
        # Axes (or rank) known only at run time, e.g. the Sum nodes that the dynamic
        # unbroadcast of a gradient builds: take the kept shape from the same reduction
        # run with keep_dims=True (one extra pass over x, the cost of the gradient itself).
        kept = _reduce("Sum", x, axes, True, "kept_dims")
        return array_ops.reshape(t, array_ops.shape(kept))
    for a in _kernel_axes(axes.spec.value, x.shape.rank):
        t = array_ops.expand_dims(t, a)
    return t


def _broadcast_back(t: Tensor, x: Tensor) -> Tensor:
    return array_ops.broadcast_to(t, array_ops.static_or_dynamic_shape(x))


@register
class Sum(_Reduce):
    """Sum over the given axes."""

    op_type = "Sum"
    np_fn = staticmethod(np.sum)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d sum(x) = g broadcast back over the reduced axes (every element counts once)."""
        x = op.inputs[0]
        return [_broadcast_back(_keep_dims_shape(g, op), x), None]


def _mean(x: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """``np.mean``, without its "Mean of empty slice" warning: the mean of nothing is NaN
    (0 / 0), silently, as in TensorFlow."""
    if np.size(x):
        return np.mean(x, axis=axis, keepdims=keepdims, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.mean(x, axis=axis, keepdims=keepdims, **kwargs)


@register
class Mean(_Reduce):
    """Mean over the given axes."""

    op_type = "Mean"
    np_fn = staticmethod(_mean)

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        """Floating-point means with static axes and a known count are a sum and one
        division (np.mean's Python layer costs more than the arithmetic on small tensors) —
        np.mean's own arithmetic: the sum in the input's dtype, then a division by the count
        as an ``np.intp``, so the bits are those of the shape-generic plan's ``np.mean``
        (multiplying by ``1/count`` instead would round differently, e.g. for 6 items)."""
        x, y = ctx.inputs[0], ctx.outputs[0]
        nx, ny = x.shape.num_elements(), y.shape.num_elements()
        if not x.dtype.is_floating or ctx.inputs[1].value is None or x.shape.rank is None \
                or not nx or not ny:
            return super().kernel(ctx)
        axes = _kernel_axes(ctx.inputs[1].value, x.shape.rank)
        keep, out = ctx.attr("keep_dims"), ctx.out[0]
        dtype, count = y.dtype.np_dtype, np.intp(nx // ny)

        def mean(v: np.ndarray, _axes: Any) -> Any:
            total = np.add.reduce(v, axes, dtype, out, keep)
            if isinstance(total, np.ndarray):
                return np.true_divide(total, count, out=total, casting="unsafe")
            return dtype.type(total / count)
        return mean

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d mean(x) = g broadcast back over the reduced axes, divided by the count reduced
        (a division, as TF's rule: multiplying by 1/count would round otherwise, and a
        static count would then give other bits than the same graph with a dynamic one)."""
        x, y = op.inputs[0], op.outputs[0]
        nx, ny = x.shape.num_elements(), y.shape.num_elements()
        if nx is not None and ny:
            count: Any = op_builder.constant(nx // ny, dtype=g.dtype, graph=op.graph)
            scaled = math_ops.realdiv(g, count)
        else:
            count = math_ops.truediv(array_ops.size(x), array_ops.size(y))
            scaled = math_ops.realdiv(g, linalg_ops.cast(count, g.dtype))
        return [_broadcast_back(_keep_dims_shape(scaled, op), x), None]


class _MinMaxReduce(_Reduce):
    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        x, axes = op.inputs
        y = _keep_dims_shape(op.outputs[0], op)
        indicators = linalg_ops.cast(comparison_ops.equal(x, y), g.dtype)
        num_selected = reduce_sum(indicators, axes, keepdims=True)
        share = math_ops.realdiv(indicators, num_selected)
        return [math_ops.multiply(share, _keep_dims_shape(g, op)), None]


@register
class Max(_MinMaxReduce):
    """Maximum over the given axes."""

    op_type = "Max"
    np_fn = staticmethod(_reduce_lowest(np.max, "max"))

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d max(x) routes g to the element(s) that won; k tied maxima each get g / k."""
        return _MinMaxReduce.grad(self, op, g)


@register
class Min(_MinMaxReduce):
    """Minimum over the given axes."""

    op_type = "Min"
    np_fn = staticmethod(_reduce_lowest(np.min, "min"))

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d min(x) routes g to the element(s) that won; k tied minima each get g / k."""
        return _MinMaxReduce.grad(self, op, g)


# ----------------------------------------------------------------------------------------
# Prod
# ----------------------------------------------------------------------------------------


def _prod(x: np.ndarray, axis: Any = None, keepdims: bool = False, out: Any = None
          ) -> np.ndarray:
    # np.prod would widen int32 to int64; the result keeps the input dtype (TF).
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype, out=out)


@register
class Prod(_Reduce):
    """Product over the given axes."""

    op_type = "Prod"
    np_fn = staticmethod(_prod)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d prod(x) / dx_i = g * prod_{j != i} x_j over x_i's reduced slice. The product of
        the others is exclusive_cumprod(x) * reverse_exclusive_cumprod(x) along the reduced
        axes (moved to the front and flattened into one when there are several), so no
        division happens and zeros in x are exact (TensorFlow's rule). Needs the reduction
        axes and the rank of x known when the graph is built."""
        x, axes = op.inputs
        if axes.spec.value is None or x.shape.rank is None:
            raise NotImplementedError(
                node_error(op.name, "Prod", f"its gradient needs constant reduction axes and an "
                           f"input of known rank (axes {axes.name}, input shape {x.shape})",
                           "reduce over Python ints, or set the input's shape with set_shape"))
        reduced = list(_kernel_axes(axes.spec.value, x.shape.rank))
        g = _broadcast_back(_keep_dims_shape(g, op), x)
        if not reduced:
            return [g, None]
        return [math_ops.multiply(g, _product_of_others(x, reduced)), None]


def _product_of_others(x: Tensor, reduced: list[int]) -> Tensor:
    """prod_{j != i} x_j over each slice along the ``reduced`` axes, for every element i."""
    if len(reduced) == 1:
        return _exclusive_both_ways(x, reduced[0])
    rank = x.shape.rank
    perm = reduced + [a for a in range(rank) if a not in reduced]
    moved = perm != list(range(rank))
    xt = layout_ops.transpose(x, perm) if moved else x
    k = len(reduced)
    if xt.shape.is_fully_defined():
        dims = xt.shape.as_list()
        flat: Any = [int(np.prod(dims[:k]))] + dims[k:]
        back: Any = dims
    else:
        back = array_ops.shape(xt)
        lead = reduce_prod(layout_ops.slice(back, [0], [k]), keepdims=True)
        flat = layout_ops.concat([lead, layout_ops.slice(back, [k], [rank - k])], 0)
    others = _exclusive_both_ways(array_ops.reshape(xt, flat), 0)
    others = array_ops.reshape(others, back)
    return layout_ops.transpose(others, np.argsort(perm).tolist()) if moved else others


def _exclusive_both_ways(x: Tensor, axis: int) -> Tensor:
    """The product of the elements before and after each element along ``axis``."""
    return math_ops.multiply(cumprod(x, axis, exclusive=True),
                             cumprod(x, axis, exclusive=True, reverse=True))


# ----------------------------------------------------------------------------------------
# All / Any
# ----------------------------------------------------------------------------------------


class _BoolReduce(_Reduce):
    """A reduction of a bool tensor (no ``T`` attr); the result is bool, no gradient."""

    attr_defaults = {"keep_dims": False, "Tidx": dtypes.int32}
    differentiable = False

    input_domain = ("a bool tensor", lambda d: d.is_bool)


@register
class ReduceAll(_BoolReduce):
    """Logical and over the given axes."""

    op_type = "All"
    np_fn = staticmethod(np.all)


@register
class ReduceAny(_BoolReduce):
    """Logical or over the given axes."""

    op_type = "Any"
    np_fn = staticmethod(np.any)


# ----------------------------------------------------------------------------------------
# Cumsum / Cumprod
# ----------------------------------------------------------------------------------------


def _scan(fn: Callable[..., np.ndarray], identity: int, x: np.ndarray, axis: int,
          exclusive: bool, reverse: bool) -> np.ndarray:
    """numpy's inclusive scan ``fn`` made exclusive (shifted by one, ``identity`` first)
    and/or reversed; the result keeps x's dtype."""
    if reverse:
        x = np.flip(x, axis)
    if exclusive:
        out = np.empty_like(x)
        head = [slice(None)] * x.ndim
        rest, src = list(head), list(head)
        head[axis], rest[axis], src[axis] = slice(0, 1), slice(1, None), slice(None, -1)
        out[tuple(head)] = identity
        fn(x[tuple(src)], axis=axis, dtype=x.dtype, out=out[tuple(rest)])
    else:
        out = fn(x, axis=axis, dtype=x.dtype)
    return np.flip(out, axis) if reverse else out


class _Scan(Op):
    calls_blas = False
    input_names = ("x", "axis")
    attr_defaults = {"exclusive": False, "reverse": False, "Tidx": dtypes.int32}
    np_fn: Callable[..., np.ndarray] = staticmethod(np.cumsum)
    identity = 0

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, axis = ctx.inputs
        ctx.require_dtype(0, lambda d: d.is_numeric, "a numeric tensor")
        ctx.require_dtype(1, lambda d: d in (dtypes.int32, dtypes.int64), "an int32/int64 axis")
        ctx.require_rank(1, 0)
        rank = x.shape.rank
        if rank == 0:
            ctx.fail(f"{ctx.input_label(0)} must have rank >= 1", "reshape a scalar to [1]")
        if axis.value is None or rank is None:
            return [TensorSpec(x.dtype, x.shape)]
        a = int(axis.value)
        if not -rank <= a < rank:
            ctx.fail(f"axis {a} is out of range for {ctx.input_label(0)} (rank {rank})",
                     f"use an axis in [-{rank}, {rank})")
        value = fold(lambda v: self._run(ctx, v, a), x.value)
        return [TensorSpec(x.dtype, x.shape, value)]

    def _run(self, ctx: Any, x: np.ndarray, axis: int) -> np.ndarray:
        return _scan(self.np_fn, self.identity, x, axis % x.ndim,
                     bool(ctx.attr("exclusive")), bool(ctx.attr("reverse")))

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        exclusive, reverse = bool(ctx.attr("exclusive")), bool(ctx.attr("reverse"))
        fn, identity, name, op_type = self.np_fn, self.identity, ctx.name, ctx.op_type

        def scan(x: np.ndarray, axis: np.ndarray) -> np.ndarray:
            a = int(axis)
            if not -x.ndim <= a < x.ndim:
                raise run_error(name, op_type, f"axis {a} is out of range for an input of "
                                f"shape {x.shape}")
            return _scan(fn, identity, x, a % x.ndim, exclusive, reverse)
        return scan


@register
class Cumsum(_Scan):
    """Running sum along ``axis`` (``exclusive``: shifted by one; ``reverse``: from the
    end)."""

    op_type = "Cumsum"
    np_fn = staticmethod(np.cumsum)
    identity = 0

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d cumsum(x) = cumsum(g) in the opposite direction, same ``exclusive``: each x_i
        feeds every later (earlier, if reversed) output."""
        axis = op.inputs[1]
        return [cumsum(g, axis, exclusive=op.get_attr("exclusive"),
                       reverse=not op.get_attr("reverse")), None]


@register
class Cumprod(_Scan):
    """Running product along ``axis`` (``exclusive``: shifted by one, starting at 1;
    ``reverse``: from the end)."""

    op_type = "Cumprod"
    np_fn = staticmethod(np.cumprod)
    identity = 1

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d cumprod(x) / dx_i = sum over the outputs y_j that include x_i of g_j y_j / x_i
        = cumsum(g * y, opposite direction, same exclusive) / x. TensorFlow's rule: exact
        where x != 0; where x == 0 the division is taken as 0 (TF's div_no_nan)."""
        x, axis = op.inputs
        exclusive, reverse = op.get_attr("exclusive"), op.get_attr("reverse")
        total = cumsum(math_ops.multiply(g, op.outputs[0]), axis, exclusive=exclusive,
                       reverse=not reverse)
        zero = comparison_ops.equal(x, array_ops.zeros_like(x))
        safe_x = comparison_ops.select_v2(zero, array_ops.ones_like(x), x)
        quotient = math_ops.realdiv(total, safe_x)
        return [comparison_ops.select_v2(zero, array_ops.zeros_like(quotient), quotient), None]


# ----------------------------------------------------------------------------------------
# Builder functions (TF1 names)
# ----------------------------------------------------------------------------------------


def _tf1_arguments(op: str, axis: Any, reduction_indices: Any, keepdims: bool,
                   keep_dims: bool | None) -> tuple[Any, bool]:
    """Fold TF1's deprecated argument names into ``(axis, keepdims)``, as TF 1.x did:
    ``reduction_indices`` is ``axis`` and ``keep_dims`` is ``keepdims`` (each warns once per
    call with a one-line DeprecationWarning; giving both spellings is TF's ValueError)."""
    if reduction_indices is not None:
        if axis is not None:
            raise ValueError(f"tf.{op}: give axis or reduction_indices, not both")
        warnings.warn(f"tf.{op}(reduction_indices=...) is deprecated (TF 1.x); use axis=",
                      DeprecationWarning, stacklevel=3)
        axis = reduction_indices
    if keep_dims is not None:
        warnings.warn(f"tf.{op}(keep_dims=...) is deprecated (TF 1.x); use keepdims=",
                      DeprecationWarning, stacklevel=3)
        keepdims = bool(keep_dims)
    return axis, bool(keepdims)


def _reduce(op_type: str, x: Any, axis: Any, keepdims: bool, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    keep = bool(keepdims)
    with x.graph.as_default():
        if axis is None:
            if x.shape.rank is not None:
                axes = op_builder.constant(np.arange(x.shape.rank, dtype=np.int32))
            else:
                axes = layout_ops.range_(0, array_ops.size(array_ops.shape(x)), 1)
        else:  # ints, an int tensor, or a list mixing ints and scalar tensors (stacked)
            axes = int_input(axis, "reduction_indices")
    return op_builder.apply1(op_type, [x, axes], {"T": x.dtype, "Tidx": axes.dtype,
                                                  "keep_dims": keep}, name=name or op_type)


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: bool | None = None) -> Tensor:
    """Sum over ``axis`` (all axes when None); ``keep_dims`` is TF1's spelling."""
    axis, keepdims = _tf1_arguments("reduce_sum", axis, reduction_indices, keepdims, keep_dims)
    return _reduce("Sum", input_tensor, axis, keepdims, name)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                name: str | None = None, reduction_indices: Any = None,
                keep_dims: bool | None = None) -> Tensor:
    """``tf.reduce_mean``: the mean over ``axis`` (all axes when None), keeping
    reduced dimensions as size 1 with ``keepdims``."""
    axis, keepdims = _tf1_arguments("reduce_mean", axis, reduction_indices, keepdims, keep_dims)
    return _reduce("Mean", input_tensor, axis, keepdims, name)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: bool | None = None) -> Tensor:
    """``tf.reduce_max``: the largest element over ``axis`` (all axes when None),
    keeping reduced dimensions as size 1 with ``keepdims``."""
    axis, keepdims = _tf1_arguments("reduce_max", axis, reduction_indices, keepdims, keep_dims)
    return _reduce("Max", input_tensor, axis, keepdims, name)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: bool | None = None) -> Tensor:
    """``tf.reduce_min``: the smallest element over ``axis`` (all axes when None),
    keeping reduced dimensions as size 1 with ``keepdims``."""
    axis, keepdims = _tf1_arguments("reduce_min", axis, reduction_indices, keepdims, keep_dims)
    return _reduce("Min", input_tensor, axis, keepdims, name)


def _axes(x: Tensor, axis: Any) -> Tensor:
    """Reduction indices as a tensor: every axis when ``axis`` is None."""
    with x.graph.as_default():
        if isinstance(axis, Tensor):
            return axis
        if axis is None:
            if x.shape.rank is None:
                return layout_ops.range_(0, array_ops.rank(x), 1)
            axis = np.arange(x.shape.rank)
        return op_builder.constant(np.asarray(axis, dtype=np.int32))


def _reduce_node(op_type: str, input_tensor: Any, axis: Any, keepdims: bool,
                 name: str | None, typed: bool) -> Tensor:
    """The Prod/All/Any node (All/Any carry no ``T`` attr); every axis when ``axis`` is
    None, through ``Rank`` when the rank is unknown."""
    x = op_builder.convert_to_tensor(input_tensor)
    axes = _axes(x, axis)
    keep = bool(keepdims)
    attrs = {"Tidx": axes.dtype, "keep_dims": keep}
    if typed:
        attrs["T"] = x.dtype
    return op_builder.apply1(op_type, [x, axes], attrs, name=name or op_type)


def reduce_prod(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                name: str | None = None, reduction_indices: Any = None,
                keep_dims: bool | None = None) -> Tensor:
    """``tf.reduce_prod``: product over ``axis`` (all axes when None)."""
    axis, keepdims = _tf1_arguments("reduce_prod", axis, reduction_indices, keepdims, keep_dims)
    return _reduce_node("Prod", input_tensor, axis, keepdims, name, typed=True)


def reduce_all(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: bool | None = None) -> Tensor:
    """``tf.reduce_all``: logical and of a bool tensor over ``axis`` (all when None)."""
    axis, keepdims = _tf1_arguments("reduce_all", axis, reduction_indices, keepdims, keep_dims)
    return _reduce_node("All", input_tensor, axis, keepdims, name, typed=False)


def reduce_any(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: bool | None = None) -> Tensor:
    """``tf.reduce_any``: logical or of a bool tensor over ``axis`` (all when None)."""
    axis, keepdims = _tf1_arguments("reduce_any", axis, reduction_indices, keepdims, keep_dims)
    return _reduce_node("Any", input_tensor, axis, keepdims, name, typed=False)


def _scan_node(op_type: str, x: Any, axis: Any, exclusive: bool, reverse: bool,
               name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    with x.graph.as_default():
        a = axis if isinstance(axis, Tensor) else \
            op_builder.constant(np.asarray(axis, dtype=np.int32))
    return op_builder.apply1(op_type, [x, a], {"T": x.dtype, "Tidx": a.dtype,
                                               "exclusive": bool(exclusive),
                                               "reverse": bool(reverse)}, name=name or op_type)


def cumsum(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
           name: str | None = None) -> Tensor:
    """``tf.cumsum``: running sum along ``axis``."""
    return _scan_node("Cumsum", x, axis, exclusive, reverse, name)


def cumprod(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
            name: str | None = None) -> Tensor:
    """``tf.cumprod``: running product along ``axis``."""
    return _scan_node("Cumprod", x, axis, exclusive, reverse, name)
