"""Strided slicing: StridedSlice and its gradient StridedSliceGrad — records (shape rule
with constant folding, numpy kernel, gradient rule), their TF1-named builders, and
``getitem``, which ``tensor_operators`` installs as ``Tensor.__getitem__``: a StridedSlice
with exactly the masks TF's ``_slice_helper`` sets (``x[:, 0]``, ``x[1:3]``,
``x[..., ::-1]``, ``x[None, 2]``). Slice and Pad are in ``layout_ops``.
"""

from __future__ import annotations

import builtins
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register, static_ints
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, linalg_ops, op_builder
from graphflow.ops.layout_ops import stack
from graphflow.ops.op_base import run_error
from graphflow.ops.op_builder import int_input

_pyslice = builtins.slice

# ----------------------------------------------------------------------------------------
# StridedSlice, StridedSliceGrad
# ----------------------------------------------------------------------------------------

MASK_ATTRS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


class Masks(NamedTuple):
    """The five bit masks of a strided slice; bit i refers to entry i of begin/end/strides."""

    begin: int = 0
    end: int = 0
    ellipsis: int = 0
    new_axis: int = 0
    shrink: int = 0

    @classmethod
    def of(cls, get: Callable[[str], Any]) -> Masks:
        return cls(*(int(get(a) or 0) for a in MASK_ATTRS))

    def attrs(self) -> dict[str, int]:
        return dict(zip(MASK_ATTRS, self))


def _kinds(n: int, m: Masks) -> list[str]:
    """Kind of each sparse entry: '...', 'new' (newaxis), 'index' (shrinks) or 'slice' —
    TF's priority: ellipsis over new axis over shrink."""
    kinds = []
    for i in range(n):
        bit = 1 << i
        kinds.append("..." if m.ellipsis & bit else "new" if m.new_axis & bit else
                     "index" if m.shrink & bit else "slice")
    if kinds.count("...") > 1:
        raise ValueError("a slice may contain at most one ellipsis ('...')")
    return kinds


def _numpy_index(kinds: list[str], begin: Sequence[int], end: Sequence[int],
                 strides: Sequence[int], m: Masks) -> tuple[Any, ...]:
    """The numpy basic index equal to the strided slice (numpy's and TF's slice semantics
    agree: bounds are clamped, negative values count from the end)."""
    index: list[Any] = []
    for i, kind in enumerate(kinds):
        if kind == "...":
            index.append(Ellipsis)
        elif kind == "new":
            index.append(None)
        else:
            s = int(strides[i])
            if s == 0:
                raise ValueError(f"strides[{i}] must be non-zero")
            if kind == "index":
                index.append((0 if s > 0 else -1) if m.begin >> i & 1 else int(begin[i]))
            else:
                index.append(_pyslice(None if m.begin >> i & 1 else int(begin[i]),
                                   None if m.end >> i & 1 else int(end[i]), s))
    return tuple(index)


def _sliced_shape(ctx: InferContext, dims: Sequence[int | None], kinds: list[str],
                  begin: list[int] | None, end: list[int] | None, strides: list[int] | None,
                  m: Masks) -> list[int | None]:
    """Static output dims of a strided slice of an input with ``dims`` (None = unknown)."""
    consumed = sum(k in ("index", "slice") for k in kinds)
    if consumed > len(dims):
        ctx.fail(f"the slice indexes {consumed} dimensions but {ctx.input_label(0)} has rank "
                 f"{len(dims)}", "use at most one index or slice per dimension")
    items = kinds if "..." in kinds else kinds + ["..."]
    out: list[int | None] = []
    pos = 0
    for i, kind in enumerate(items):
        if kind == "...":
            out.extend(dims[pos:pos + len(dims) - consumed])
            pos += len(dims) - consumed
            continue
        if kind == "new":
            out.append(1)
            continue
        d = dims[pos]
        pos += 1
        s = None if strides is None else strides[i]
        if s == 0:
            ctx.fail(f"strides[{i}] must be non-zero")
        if kind == "index":
            if d is not None and begin is not None and not m.begin >> i & 1 \
                    and not -d <= begin[i] < d:
                ctx.fail(f"index {begin[i]} is out of bounds for dimension {pos - 1} of "
                         f"{ctx.input_label(0)} (valid: [-{d}, {d}))")
            continue
        b_ok, e_ok = m.begin >> i & 1 or begin is not None, m.end >> i & 1 or end is not None
        if d is None or s is None or not b_ok or not e_ok:
            out.append(None)
            continue
        sl = _pyslice(None if m.begin >> i & 1 else begin[i],  # type: ignore[index]
                   None if m.end >> i & 1 else end[i], s)  # type: ignore[index]
        out.append(len(range(*sl.indices(d))))
    return out


def _check_spec_inputs(ctx: InferContext, first: int) -> int | None:
    """begin/end/strides at ``first..first+2``: same int dtype, 1-D, equal length."""
    ctx.require_index(first)
    ctx.require_same_dtype(first, first + 1, first + 2)
    lengths = {ctx.vector_length(i) for i in range(first, first + 3)} - {None}
    if len(lengths) > 1:
        ctx.fail(f"begin, end and strides must have the same length, got "
                 f"{ctx.input_label(first)}, {ctx.input_label(first + 1)} and "
                 f"{ctx.input_label(first + 2)}")
    return lengths.pop() if lengths else None


def _bind_index(ctx: KernelContext, first: int, m: Masks) -> tuple[Any, ...] | None:
    vals = [static_ints(ctx.inputs[i]) for i in range(first, first + 3)]
    if any(v is None for v in vals):
        return None
    return _numpy_index(_kinds(len(vals[0]), m), *vals, m)  # type: ignore[arg-type]


def _run_index(name: str, op_type: str, b: np.ndarray, e: np.ndarray, s: np.ndarray,
               m: Masks) -> tuple[Any, ...]:
    try:
        return _numpy_index(_kinds(len(b), m), b, e, s, m)
    except ValueError as err:
        raise run_error(name, op_type, str(err)) from None


@register
class StridedSlice(Op):
    """y = input[begin:end:strides] per dimension, with TF's masks for ``:``-defaults,
    ``...``, newaxis and integer indices (shrink); see ``Tensor.__getitem__``."""

    calls_blas = False

    op_type = "StridedSlice"
    input_names = ("input", "begin", "end", "strides")
    attr_defaults = dict.fromkeys(MASK_ATTRS, 0)
    returns_alias = True  # basic indexing returns a view

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        n = _check_spec_inputs(ctx, 1)
        m = Masks.of(ctx.attr)
        if n is None or x.shape.rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        try:
            kinds = _kinds(n, m)
        except ValueError as err:
            ctx.fail(str(err))
        b, e, s = (static_ints(ctx.inputs[i]) for i in (1, 2, 3))
        dims = _sliced_shape(ctx, x.shape.dims, kinds, b, e, s, m)
        value = None
        if x.value is not None and None not in (b, e, s):
            value = np.asarray(x.value[_numpy_index(kinds, b, e, s, m)])
        return [TensorSpec(x.dtype, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        m, name = Masks.of(ctx.attr), ctx.name
        index = _bind_index(ctx, 1, m)

        def take(x: np.ndarray, idx: tuple[Any, ...]) -> np.ndarray:
            try:
                out = x[idx]
            except IndexError as err:
                raise run_error(name, "StridedSlice", f"{err} (input shape {x.shape})") from None
            return out if isinstance(out, np.ndarray) else np.asarray(out)

        if index is not None:
            return lambda x, _b, _e, _s: take(x, index)
        return lambda x, b, e, s: take(x, _run_index(name, "StridedSlice", b, e, s, m))

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d x[begin:end:strides] = StridedSliceGrad(shape(x), begin, end, strides, g): g is
        written at the sliced positions of zeros shaped like x."""
        x, begin, end, strides = op.inputs
        shape = array_ops.shape(x, out_type=begin.dtype)
        m = Masks.of(op.get_attr)
        return [strided_slice_grad(shape, begin, end, strides, op_builder.dense(g), **m.attrs()),
                None, None, None]


@register
class StridedSliceGrad(Op):
    """Zeros of shape ``shape`` with ``dy`` written where StridedSlice(begin, end, strides,
    masks) would read: the gradient of StridedSlice."""

    calls_blas = False

    op_type = "StridedSliceGrad"
    input_names = ("shape", "begin", "end", "strides", "dy")
    attr_defaults = dict.fromkeys(MASK_ATTRS, 0)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_index(0)
        ctx.require_same_dtype(0, 1, 2, 3)
        _check_spec_inputs(ctx, 1)
        shape = ctx.shape_from_value(0)
        return [TensorSpec(ctx.inputs[4].dtype, shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        m, name = Masks.of(ctx.attr), ctx.name
        index = _bind_index(ctx, 1, m)

        def scatter(shape: np.ndarray, idx: tuple[Any, ...], dy: np.ndarray) -> np.ndarray:
            out = np.zeros(tuple(int(d) for d in shape), dtype=dy.dtype)
            try:
                out[idx] = dy
            except (IndexError, ValueError) as err:
                raise run_error(name, "StridedSliceGrad", f"{err} (shape {out.shape}, dy shape "
                                f"{np.shape(dy)})") from None
            return out

        if index is not None:
            return lambda shape, _b, _e, _s, dy: scatter(shape, index, dy)
        return lambda shape, b, e, s, dy: scatter(
            shape, _run_index(name, "StridedSliceGrad", b, e, s, m), dy)

    def grad(self, op: Operation, g: Any) -> list[Tensor | None]:
        """d StridedSliceGrad(shape, b, e, s, dy) = (None x 4, g[b:e:s]): the op is linear in
        dy and only copies it into place, so dy's gradient reads those places back."""
        _, begin, end, strides, _ = op.inputs
        m = Masks.of(op.get_attr)
        return [None, None, None, None,
                strided_slice(op_builder.dense(g), begin, end, strides, **m.attrs())]


# ----------------------------------------------------------------------------------------
# Builder functions
# ----------------------------------------------------------------------------------------


def strided_slice(input_: Any, begin: Any, end: Any, strides: Any = None, begin_mask: int = 0,
                  end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
                  shrink_axis_mask: int = 0, var: Any = None, name: str | None = None
                  ) -> Tensor:
    """``tf.strided_slice``: see ``StridedSlice``; strides default to ones."""
    g = op_builder.graph_of(input_, begin, end, strides)
    with g.as_default(), g.name_scope(name or "StridedSlice") as scope:
        x = op_builder.convert_to_tensor(input_, name="input")
        b = int_input(begin, "begin")
        e = int_input(end, "end", dtype=None if isinstance(end, Tensor) else b.dtype)
        if strides is None:
            s = op_builder.constant(np.ones(len(b.spec.value), b.dtype.np_dtype),
                                    name="strides") if b.spec.value is not None \
                else array_ops.ones_like(b)
        else:
            s = int_input(strides, "strides", dtype=None if isinstance(strides, Tensor)
                          else b.dtype)
        m = Masks(begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)
        return op_builder.apply1("StridedSlice", [x, b, e, s],
                                 {"T": x.dtype, "Index": b.dtype, **m.attrs()}, name=scope)


def strided_slice_grad(shape: Tensor, begin: Tensor, end: Tensor, strides: Tensor, dy: Tensor,
                       begin_mask: int = 0, end_mask: int = 0, ellipsis_mask: int = 0,
                       new_axis_mask: int = 0, shrink_axis_mask: int = 0,
                       name: str | None = None) -> Tensor:
    m = Masks(begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)
    return op_builder.apply1("StridedSliceGrad", [shape, begin, end, strides, dy],
                             {"T": dy.dtype, "Index": begin.dtype, **m.attrs()},
                             name=name or "StridedSliceGrad")


_SLICE_TYPE_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), newaxis (`None`) and "
                     "scalar int32/int64 tensors are valid indices")


def _check_index(idx: Any) -> None:
    if isinstance(idx, (bool, np.bool_)):
        raise TypeError(f"{_SLICE_TYPE_ERROR}, got the bool {idx!r} (boolean masks are not "
                        "supported: use gf.where or gf.gather)")
    if isinstance(idx, numbers.Integral):
        return
    if isinstance(idx, Tensor) and idx.dtype in (dtypes.int32, dtypes.int64) and \
            idx.shape.rank in (0, None):
        return
    hint = " (use gf.gather to select several positions)" if isinstance(
        idx, (list, tuple, np.ndarray, Tensor)) else ""
    raise TypeError(f"{_SLICE_TYPE_ERROR}, got {idx!r}{hint}")


def getitem(tensor: Tensor, slice_spec: Any) -> Tensor:
    """``tensor[slice_spec]``: a StridedSlice with the masks TF's ``_slice_helper`` sets
    (``x[:, 0]``, ``x[1:3]``, ``x[..., ::-1]``, ``x[None, 2]``)."""
    if not isinstance(slice_spec, (list, tuple)):
        slice_spec = [slice_spec]
    begin: list[Any] = []
    end: list[Any] = []
    strides: list[Any] = []
    m = dict.fromkeys(("begin", "end", "ellipsis", "new_axis", "shrink"), 0)
    for index, s in enumerate(slice_spec):
        bit = 1 << index
        if isinstance(s, _pyslice):
            for value, out, key, default in ((s.start, begin, "begin", 0),
                                             (s.stop, end, "end", 0),
                                             (s.step, strides, None, 1)):
                if value is not None:
                    _check_index(value)
                    out.append(value)
                else:
                    out.append(default)
                    if key:
                        m[key] |= bit
        elif s is Ellipsis or s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            m["ellipsis" if s is Ellipsis else "new_axis"] |= bit
        else:
            _check_index(s)
            begin.append(s)
            end.append(s + 1)
            strides.append(1)
            m["shrink"] |= bit
    g = tensor.graph
    with g.as_default(), g.name_scope("strided_slice") as scope:
        if begin:
            packed = [stack(v, name="stack") for v in (begin, end, strides)]
            if any(p.dtype == dtypes.int64 for p in packed):
                packed = [linalg_ops.cast(p, dtypes.int64) for p in packed]
        else:
            empty = op_builder.constant(np.zeros(0, np.int32), name="Const")
            packed = [empty, empty, empty]
        return strided_slice(tensor, *packed, begin_mask=m["begin"], end_mask=m["end"],
                             ellipsis_mask=m["ellipsis"], new_axis_mask=m["new_axis"],
                             shrink_axis_mask=m["shrink"], name=scope)

