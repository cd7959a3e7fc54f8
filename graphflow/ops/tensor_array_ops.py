"""TF1 TensorArrays as op records: TensorArrayV3 (creation), Write/Read/Gather/Scatter/
Concat/Split/Size/Close (V3) and TensorArrayGradV3, with TensorFlow's op names, attrs,
inputs and outputs (so frozen TF1 RNN graphs load), numpy kernels that validate what
TensorFlow's kernels validate, and TensorFlow's gradient rules (``tensor_array_grad.py``).

Run time: a ``TensorArrayV3`` kernel creates a fresh ``TensorArrayResource`` at every run
(its handle output is that Python object, ``gf.resource``), so nothing leaks between runs.
Every op touching a handle is stateful (never folded); ops that keep an input (Write,
Scatter, Split) copy what they store and set ``retains_inputs``. The ``flow`` float32 scalar
only orders the ops: each op that changes the array passes its ``flow_in`` on as
``flow_out``, and readers take a flow input. The node builders (TensorFlow's
``gen_data_flow_ops`` names) live with the Python class in ``tensor_array.py``; this
module's gradient rules build with them.

Gradients: ``TensorArrayGradV3`` returns, per (forward array, ``source``) and run, one
gradient array (created on first use with the forward array's size and element shapes,
the same object afterwards) whose writes to one index add up. Read's gradient writes the
upstream gradient into it, Write's reads it back, Gather <-> Scatter, Concat <-> Split.
``source`` is the gradient call's name scope (``gradients``, ``gradients_1``, ...), so two
``gf.gradients`` calls never share an accumulator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import UnimplementedError, node_error
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape, as_shape
from graphflow.ops import array_ops, op_builder
from graphflow.ops import tensor_array as build

#: The static shape of a handle output (TensorFlow's shape function says ``Vector(2)``, the
#: legacy string handle; at run time the value is the resource object itself).
HANDLE_SHAPE = TensorShape([2])
#: The value of every flow output a creation op makes (read-only: flows only order ops).
_FLOW = np.zeros((), np.float32)
_FLOW.flags.writeable = False


def _shape_text(shape: Any) -> str:
    """TensorFlow's wording of a (partial) shape: ``[2,?]``, ``<unknown>``."""
    s = as_shape(shape)
    if s.dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in s.dims) + "]"


# ----------------------------------------------------------------------------------------
# The run-time resource
# ----------------------------------------------------------------------------------------


class _Element:
    __slots__ = ("value", "shape", "written", "read", "cleared")

    def __init__(self) -> None:
        self.value: np.ndarray | None = None  # None with written=True: zeros of ``shape``
        self.shape: tuple[int, ...] | None = None
        self.written = False
        self.read = False
        self.cleared = False


class TensorArrayResource:
    """One TensorArray of one run (TensorFlow's ``TensorArray`` resource): write-once
    elements (a gradient array adds repeated writes), reads that may clear, a partial
    element shape refined by writes when ``identical_element_shapes``."""

    def __init__(self, name: str, dtype: dtypes.DType, size: int, element_shape: TensorShape,
                 identical_element_shapes: bool, dynamic_size: bool, clear_after_read: bool,
                 multiple_writes_aggregate: bool = False, is_grad: bool = False,
                 marked_size: int = -1) -> None:
        self.name = name
        self.dtype = dtype
        self.elements = [_Element() for _ in range(size)]
        self.element_shape = element_shape
        self.identical_element_shapes = identical_element_shapes
        self.dynamic_size = dynamic_size
        self.clear_after_read = clear_after_read
        self.multiple_writes_aggregate = multiple_writes_aggregate
        self.is_grad = is_grad
        self.marked_size = marked_size
        self.closed = False
        self.gradients_disallowed = False
        self.grads: dict[str, TensorArrayResource] = {}

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"size {len(self.elements)}"
        return f"<TensorArray '{self.name}' {self.dtype.name} {state}>"

    def _fail(self, ctx: KernelContext, message: str, fix: str | None = None) -> Exception:
        return ctx.invalid(f"TensorArray {self.name}: {message}", fix)

    def check_open(self, ctx: KernelContext) -> None:
        if self.closed:
            raise self._fail(ctx, "has already been closed",
                             "do not use a TensorArray after its close() op ran")

    def size(self, ctx: KernelContext) -> int:
        self.check_open(ctx)
        return len(self.elements)

    def pack_size(self, ctx: KernelContext) -> int:
        """How many elements stack/concat read (a gradient array: the forward's split size)."""
        self.check_open(ctx)
        return self.marked_size if self.is_grad and self.marked_size >= 0 else len(self.elements)

    def set_element_shape(self, ctx: KernelContext, shape: TensorShape) -> None:
        if not self.element_shape.is_compatible_with(shape):
            raise self._fail(ctx, f"the op's element shape {_shape_text(shape)} is incompatible "
                             f"with the array's element shape {_shape_text(self.element_shape)}",
                             "pass an element_shape that matches the written elements")
        self.element_shape = self.element_shape.merge_with(shape)

    def write(self, ctx: KernelContext, index: int, value: np.ndarray, copy: bool = True) -> None:
        """TensorFlow's ``LockedWriteOrAggregate``: stores a private copy of ``value``."""
        self.check_open(ctx)
        n = len(self.elements)
        if index < 0 or (not self.dynamic_size and index >= n):
            raise self._fail(ctx, f"Tried to write to index {index} but array is not resizeable "
                             f"and size is: {n}",
                             "write indices in [0, size) or create the array with "
                             "dynamic_size=True")
        if index >= n:
            self.elements.extend(_Element() for _ in range(index + 1 - n))
        t = self.elements[index]
        if value.dtype != self.dtype.np_dtype:
            raise self._fail(ctx, f"Could not write to TensorArray index {index} because the "
                             f"value dtype is {value.dtype.name} but TensorArray dtype is "
                             f"{self.dtype.name}", f"cast the value to {self.dtype.name}")
        if not _fits(self.element_shape, value.shape):
            raise self._fail(ctx, f"Could not write to TensorArray index {index} because the "
                             f"value shape is {_shape_text(value.shape)} which is incompatible "
                             "with the TensorArray's inferred element shape: "
                             f"{_shape_text(self.element_shape)}",
                             "write elements of one shape (or set infer_shape=False)")
        if self.identical_element_shapes and not self.element_shape.is_fully_defined():
            self.element_shape = TensorShape(value.shape)
        if t.read:
            raise self._fail(ctx, f"Could not write to TensorArray index {index} because it "
                             "has already been read", "write each index before reading it")
        if t.written and not self.multiple_writes_aggregate:
            raise self._fail(ctx, f"Could not write to TensorArray index {index} because it "
                             "has already been written to",
                             "write each index once (TensorArrays are write-once)")
        if t.written:  # a gradient array: repeated writes add up
            if value.shape != t.shape:
                raise self._fail(ctx, f"Could not aggregate to TensorArray index {index} "
                                 f"because the existing shape is {_shape_text(t.shape)} but "
                                 f"the new input shape is {_shape_text(value.shape)}",
                                 "write gradients of the forward element's shape")
            if t.value is None or t.value.size == 0:
                t.value = np.array(value, copy=True) if copy else value
            else:
                t.value = t.value + value
                self.gradients_disallowed = True
            return
        t.value = np.array(value, copy=True) if copy else value
        t.shape = value.shape
        t.written = True

    def read(self, ctx: KernelContext, index: int) -> np.ndarray:
        """TensorFlow's ``LockedRead``: an unwritten element reads as zeros when its shape is
        known (a gradient array's, or a fully defined element shape), else it is an error."""
        self.check_open(ctx)
        n = len(self.elements)
        if index < 0 or (not self.is_grad and index >= n):
            raise self._fail(ctx, f"Tried to read from index {index} but array size is: {n}",
                             "read indices in [0, size)")
        if index >= n or not self.elements[index].written:
            shape: tuple[int, ...] | None = None
            if self.is_grad and index < n and self.elements[index].shape is not None:
                shape = self.elements[index].shape
            elif self.element_shape.is_fully_defined():
                shape = tuple(int(d) for d in self.element_shape.as_list())  # type: ignore[arg-type]
            else:
                raise self._fail(
                    ctx, f"Could not read from TensorArray index {index} because it has not "
                    "yet been written to (and the element shape "
                    f"{_shape_text(self.element_shape)} is not fully defined, so it cannot "
                    "read as zeros)", "write the index before reading it, or give the "
                    "TensorArray a full element_shape")
            if index >= n:
                self.elements.extend(_Element() for _ in range(index + 1 - n))
                for e in self.elements[n:]:
                    e.shape, e.written = shape, True
            else:
                t = self.elements[index]
                t.shape, t.written = shape, True
        t = self.elements[index]
        if t.cleared:
            raise self._fail(ctx, f"Could not read index {index} twice because it was cleared "
                             "after a previous read (perhaps try setting clear_after_read = "
                             "false?)", "create the TensorArray with clear_after_read=False "
                             "to read an element more than once")
        if t.value is None:
            t.value = np.zeros(t.shape or (), self.dtype.np_dtype)
        value = t.value
        if self.clear_after_read:
            t.value = None
            t.cleared = True
        t.read = True
        return value

    def gradient_array(self, ctx: KernelContext, source: str) -> TensorArrayResource:
        """The gradient array for ``source``: created on first use (TensorFlow's
        ``TensorArrayGradOp`` + ``CopyShapesFrom``), the same object afterwards."""
        self.check_open(ctx)
        grad = self.grads.get(source)
        if grad is not None:
            return grad
        self.dynamic_size = False  # once gradients are computed the forward array is fixed
        if self.gradients_disallowed:
            raise self._fail(ctx, "Unable to create a gradients TensorArray: multiple writes "
                             "were aggregated into one of its indices, so gradient "
                             "calculation is impossible",
                             "do not differentiate through a gradient TensorArray")
        grad = TensorArrayResource(
            f"{self.name}@{source}", self.dtype, len(self.elements), self.element_shape,
            self.identical_element_shapes, dynamic_size=False, clear_after_read=True,
            multiple_writes_aggregate=True, is_grad=True, marked_size=self.marked_size)
        for g, t in zip(grad.elements, self.elements):
            if t.written:  # a "soft copy": reads as zeros of the forward element's shape
                g.shape, g.written = t.shape, True
        self.grads[source] = grad
        return grad


# ----------------------------------------------------------------------------------------
# Kernel helpers
# ----------------------------------------------------------------------------------------


def _array(ctx: KernelContext, handle: Any) -> TensorArrayResource:
    if not isinstance(handle, TensorArrayResource):
        raise ctx.invalid(f"input 'handle' is {type(handle).__name__}, not a TensorArray",
                          "feed this op the handle output of a TensorArrayV3 node")
    return handle


def _scalar_index(ctx: KernelContext, index: Any, what: str = "index") -> int:
    a = np.asarray(index)
    if a.ndim != 0:
        raise ctx.invalid(f"TensorArray {what} must be scalar, but had shape: "
                          f"{_shape_text(a.shape)}", f"pass one {what}")
    return int(a)


def _vector(ctx: KernelContext, values: Any, what: str) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1:
        raise ctx.invalid(f"Expected {what} to be a vector, but received shape: "
                          f"{_shape_text(a.shape)}", f"pass {what} as a 1-D tensor")
    return a


def _fits(shape: TensorShape, dims: tuple[int, ...]) -> bool:
    """``shape.is_compatible_with(dims)`` without making a TensorShape (the per-write check
    of a loop's TensorArray)."""
    known = shape.dims
    if known is None:
        return True
    if len(known) != len(dims):
        return False
    for a, b in zip(known, dims):
        if a is not None and a != b:
            return False
    return True


def _check_dtype(ctx: KernelContext, ta: TensorArrayResource, dtype: dtypes.DType,
                 verb: str = "requested") -> None:
    if ta.dtype != dtype:
        raise ctx.invalid(f"TensorArray dtype is {ta.dtype.name} but Op {verb} dtype "
                          f"{dtype.name}", "use the TensorArray's dtype")


def _value_dtype(ctx: KernelContext, ta: TensorArrayResource, value: np.ndarray) -> None:
    if value.dtype != ta.dtype.np_dtype:
        raise ctx.invalid(f"TensorArray dtype is {ta.dtype.name} but Op is trying to write "
                          f"dtype {value.dtype.name}", f"cast the value to {ta.dtype.name}")


def _unimplemented(ctx: KernelContext, message: str, fix: str) -> UnimplementedError:
    return UnimplementedError(node_error(ctx.name, ctx.op_type, message, fix), ctx.name,
                              ctx.op_type)


# ----------------------------------------------------------------------------------------
# Shape-rule helpers
# ----------------------------------------------------------------------------------------


def _is_resource(d: dtypes.DType) -> bool:
    return d == dtypes.resource


def _require_handle_and_flow(ctx: InferContext, flow: int | None) -> None:
    ctx.require_dtype(0, _is_resource, "a resource handle (a TensorArray's handle output)")
    if flow is not None:
        ctx.require_dtype(flow, lambda d: d == dtypes.float32, "float32 (a TensorArray flow)")
        ctx.require_rank(flow, 0)


def _require_int32(ctx: InferContext, i: int, rank: int) -> None:
    ctx.require_dtype(i, lambda d: d == dtypes.int32, "int32")
    ctx.require_rank(i, rank)


def _require_value_type(ctx: InferContext, i: int) -> dtypes.DType:
    t = ctx.attr("T")
    if ctx.inputs[i].dtype != t:
        ctx.fail(f"{ctx.input_label(i)} does not match its attr T={t.name}",
                 "set T to the value's dtype")
    return t


class _TensorArrayOp(Op):
    """Every TensorArray op reads or changes run-time state: never folded or pruned as pure."""

    stateful = True


def _flow_spec() -> TensorSpec:
    return TensorSpec(dtypes.float32, ())


# ----------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------


@register
class TensorArrayV3(_TensorArrayOp):
    """Creates a TensorArray of ``size`` elements of ``dtype``: outputs its handle (a fresh
    run-time object per run) and a flow scalar."""

    op_type = "TensorArrayV3"
    input_names = ("size",)
    differentiable = False
    attr_defaults = {"element_shape": TensorShape(None), "dynamic_size": False,
                     "clear_after_read": True, "identical_element_shapes": False,
                     "tensor_array_name": ""}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_int32(ctx, 0, 0)
        ctx.attr("dtype")
        n = ctx.static_ints(0)
        if n is not None and n[0] < 0:
            ctx.fail(f"size {n[0]} must be >= 0", "pass a non-negative size")
        return [TensorSpec(dtypes.resource, HANDLE_SHAPE), _flow_spec()]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        dtype, element_shape = ctx.attr("dtype"), ctx.attr("element_shape")
        dynamic, clear = bool(ctx.attr("dynamic_size")), bool(ctx.attr("clear_after_read"))
        identical = bool(ctx.attr("identical_element_shapes"))
        name = ctx.attr("tensor_array_name") or ctx.name

        def create(size: np.ndarray) -> tuple[TensorArrayResource, np.ndarray]:
            n = _scalar_index(ctx, size, "size")
            if n < 0:
                raise ctx.invalid(f"Size should be >= 0, got {n}", "pass a non-negative size")
            return TensorArrayResource(name, dtype, n, element_shape, identical, dynamic,
                                       clear), _FLOW
        return create


@register
class TensorArrayWriteV3(_TensorArrayOp):
    """Writes ``value`` at ``index`` (once per index); ``flow_out`` = ``flow_in``."""

    op_type = "TensorArrayWriteV3"
    input_names = ("handle", "index", "value", "flow_in")
    retains_inputs = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 3)
        _require_int32(ctx, 1, 0)
        _require_value_type(ctx, 2)
        return [_flow_spec()]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def write(handle: Any, index: Any, value: Any, flow_in: Any) -> Any:
            ta = _array(ctx, handle)
            i = _scalar_index(ctx, index)
            v = np.asarray(value)
            _value_dtype(ctx, ta, v)
            ta.write(ctx, i, v)
            return flow_in
        return write

    def grad(self, op: Operation, flow: Any) -> list[Any]:
        """d value = read(grad_array, index) after every gradient write reached flow (the
        upstream flow gradient); d flow_in = that flow (orders the earlier writes' reads)."""
        handle, index, value, _ = op.inputs
        flow = _barrier(op, flow)
        g_handle, g_flow = build.gradient_array(handle, flow, _grad_source(op))
        grad = build.tensor_array_read_v3(g_handle, index, g_flow, value.dtype)
        return [None, None, grad, flow]


@register
class TensorArrayReadV3(_TensorArrayOp):
    """The element at ``index`` (zeros for an unwritten one whose shape is known)."""

    op_type = "TensorArrayReadV3"
    input_names = ("handle", "index", "flow_in")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 2)
        _require_int32(ctx, 1, 0)
        return [TensorSpec(ctx.attr("dtype"), TensorShape(None))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        dtype = ctx.attr("dtype")

        def read(handle: Any, index: Any, flow_in: Any) -> np.ndarray:
            ta = _array(ctx, handle)
            i = _scalar_index(ctx, index)
            _check_dtype(ctx, ta, dtype)
            return ta.read(ctx, i)
        return read

    def grad(self, op: Operation, g: Any) -> list[Any]:
        """d array[index] += g: write g at index of the gradient array (created after the
        forward flow); the write's flow is the gradient of flow_in."""
        handle, index, flow = op.inputs
        if g is None:
            return [None, None, None]
        g_handle, g_flow = build.gradient_array(handle, flow, _grad_source(op))
        return [None, None, build.tensor_array_write_v3(g_handle, index, g, g_flow)]


@register
class TensorArrayGatherV3(_TensorArrayOp):
    """The elements at ``indices`` stacked: shape ``[len(indices)] + element_shape``."""

    op_type = "TensorArrayGatherV3"
    input_names = ("handle", "indices", "flow_in")
    attr_defaults = {"element_shape": TensorShape(None)}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 2)
        _require_int32(ctx, 1, 1)
        n = ctx.inputs[1].shape[0] if ctx.inputs[1].shape.rank == 1 else None
        shape = TensorShape([n]).concatenate(ctx.attr("element_shape"))
        return [TensorSpec(ctx.attr("dtype"), shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        dtype, element_shape = ctx.attr("dtype"), ctx.attr("element_shape")

        def gather(handle: Any, indices: Any, flow_in: Any) -> np.ndarray:
            ta = _array(ctx, handle)
            _check_dtype(ctx, ta, dtype)
            ta.set_element_shape(ctx, element_shape)
            idx = _vector(ctx, indices, "indices")
            if idx.size == 0:
                if not element_shape.is_fully_defined():
                    raise _unimplemented(
                        ctx, f"TensorArray has size zero, but element shape "
                        f"{_shape_text(element_shape)} is not fully defined. Currently only "
                        "static shapes are supported when packing zero-size TensorArrays",
                        "give the TensorArray a full element_shape")
                ta.check_open(ctx)
                return np.zeros([0] + element_shape.as_list(), dtype.np_dtype)
            values = [ta.read(ctx, int(i)) for i in idx]
            first = values[0].shape
            if not element_shape.is_compatible_with(first):
                raise ctx.invalid(f"TensorArray was passed element_shape "
                                  f"{_shape_text(element_shape)} which does not match the "
                                  f"Tensor at index 0: {_shape_text(first)}")
            for k, v in enumerate(values[1:], 1):
                if v.shape != first:
                    raise ctx.invalid(f"TensorArray has inconsistent shapes.  Index 0 has "
                                      f"shape: {_shape_text(first)} but index {k} has shape: "
                                      f"{_shape_text(v.shape)}",
                                      "stack only elements of one shape (concat joins "
                                      "elements of different lengths)")
            return np.stack(values)
        return gather

    def grad(self, op: Operation, g: Any) -> list[Any]:
        """d array[indices[k]] += g[k]: scatter g into the gradient array."""
        handle, indices, flow = op.inputs
        if g is None:
            return [None, None, None]
        g_handle, g_flow = build.gradient_array(handle, flow, _grad_source(op))
        return [None, None, build.tensor_array_scatter_v3(g_handle, indices, g, g_flow)]


@register
class TensorArrayScatterV3(_TensorArrayOp):
    """Writes ``value[k]`` at ``indices[k]``; ``flow_out`` = ``flow_in``."""

    op_type = "TensorArrayScatterV3"
    input_names = ("handle", "indices", "value", "flow_in")
    retains_inputs = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 3)
        _require_int32(ctx, 1, 1)
        _require_value_type(ctx, 2)
        value = ctx.inputs[2].shape
        if value.rank == 0:
            ctx.fail(f"{ctx.input_label(2)} must be at least a vector",
                     "scatter a value whose first dimension runs over the indices")
        n = ctx.inputs[1].shape[0] if ctx.inputs[1].shape.rank == 1 else None
        if n is not None and value.rank is not None and value[0] is not None and n != value[0]:
            ctx.fail(f"Expected len(indices) == values.shape[0], but saw: {n} vs. {value[0]}",
                     "give one index per row of the value")
        return [_flow_spec()]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def scatter(handle: Any, indices: Any, value: Any, flow_in: Any) -> Any:
            ta = _array(ctx, handle)
            v = np.asarray(value)
            _value_dtype(ctx, ta, v)
            if v.ndim == 0:
                raise ctx.invalid("Input value for unpack must be at least a vector but "
                                  "received shape: []", "scatter a value of rank >= 1")
            idx = _vector(ctx, indices, "indices")
            if idx.size != v.shape[0]:
                raise ctx.invalid(f"Expected len(indices) == values.shape[0], but saw: "
                                  f"{idx.size} vs. {v.shape[0]}", "give one index per row")
            size = ta.size(ctx)
            top = int(idx.max()) if idx.size else -1
            if ta.dynamic_size and size < top + 1:
                size = top + 1
            if top >= size:
                raise ctx.invalid(f"Max scatter index must be < array size ({top} vs. {size})",
                                  "scatter to indices in [0, size)")
            rows = np.array(v, copy=True)  # one private copy; the elements are its rows
            for k, i in enumerate(idx.tolist()):
                ta.write(ctx, int(i), rows[k], copy=False)
            return flow_in
        return scatter

    def grad(self, op: Operation, flow: Any) -> list[Any]:
        """d value = gather(grad_array, indices) after the gradient writes (flow)."""
        handle, indices, value, _ = op.inputs
        flow = _barrier(op, flow)
        g_handle, g_flow = build.gradient_array(handle, flow, _grad_source(op))
        grad = build.tensor_array_gather_v3(g_handle, indices, g_flow, value.dtype)
        return [None, None, grad, flow]


@register
class TensorArrayConcatV3(_TensorArrayOp):
    """All elements concatenated along axis 0, and each element's length (int64)."""

    op_type = "TensorArrayConcatV3"
    input_names = ("handle", "flow_in")
    attr_defaults = {"element_shape_except0": TensorShape(None)}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 1)
        shape = TensorShape([None]).concatenate(ctx.attr("element_shape_except0"))
        return [TensorSpec(ctx.attr("dtype"), shape), TensorSpec(dtypes.int64, (None,))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        dtype, except0 = ctx.attr("dtype"), ctx.attr("element_shape_except0")

        def concat(handle: Any, flow_in: Any) -> tuple[np.ndarray, np.ndarray]:
            ta = _array(ctx, handle)
            _check_dtype(ctx, ta, dtype)
            n = ta.pack_size(ctx)
            if n == 0:
                if not except0.is_fully_defined():
                    raise _unimplemented(
                        ctx, f"TensorArray has size zero, but element_shape_except0 "
                        f"{_shape_text(except0)} is not fully defined. Currently only static "
                        "shapes are supported when concatenating zero-size TensorArrays",
                        "give the TensorArray a full element_shape")
                return (np.zeros([0] + except0.as_list(), dtype.np_dtype),
                        np.zeros(0, np.int64))
            values = [ta.read(ctx, i) for i in range(n)]
            for k, v in enumerate(values):
                if v.ndim == 0:
                    raise ctx.invalid(f"Concat saw a scalar shape at index {k} but requires at "
                                      "least vectors.  Did you mean to call pack?",
                                      "use stack() for scalar elements")
            rest = values[0].shape[1:]
            if not except0.is_compatible_with(rest):
                raise ctx.invalid(f"TensorArray was passed element_shape_except0 "
                                  f"{_shape_text(except0)} but index 0 has (excepting dimension "
                                  f"0) shape: {_shape_text(rest)} which does not match.")
            for k, v in enumerate(values[1:], 1):
                if v.shape[1:] != rest:
                    raise ctx.invalid(f"TensorArray has inconsistent shapes.  Index 0 has "
                                      f"(excepting dimension 0) shape: {_shape_text(rest)} but "
                                      f"index {k} has (excepting dimension 0) shape: "
                                      f"{_shape_text(v.shape[1:])}",
                                      "concat only elements that agree past dimension 0")
            lengths = np.array([v.shape[0] for v in values], np.int64)
            return np.concatenate(values), lengths
        return concat

    def grad(self, op: Operation, g: Any, lengths_grad: Any) -> list[Any]:
        """d array = split(g, lengths): each element receives its rows of g."""
        handle, flow = op.inputs
        if g is None:
            return [None, None]
        g_handle, g_flow = build.gradient_array(handle, flow, _grad_source(op))
        return [None, build.tensor_array_split_v3(g_handle, g, op.outputs[1], g_flow)]


@register
class TensorArraySplitV3(_TensorArrayOp):
    """Writes consecutive row blocks of ``value`` (``lengths[i]`` rows each) as the
    elements; the array's size must equal ``len(lengths)`` unless it is dynamic."""

    op_type = "TensorArraySplitV3"
    input_names = ("handle", "value", "lengths", "flow_in")
    retains_inputs = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 3)
        _require_value_type(ctx, 1)
        if ctx.inputs[1].shape.rank == 0:
            ctx.fail(f"{ctx.input_label(1)} must be at least a vector",
                     "split a value of rank >= 1")
        ctx.require_dtype(2, lambda d: d == dtypes.int64, "int64")
        ctx.require_rank(2, 1)
        return [_flow_spec()]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def split(handle: Any, value: Any, lengths: Any, flow_in: Any) -> Any:
            ta = _array(ctx, handle)
            v = np.asarray(value)
            lens = _vector(ctx, lengths, "lengths")
            if lens.size and int(lens.min()) < 0:
                raise ctx.invalid(f"lengths must be >= 0, got {lens.tolist()}",
                                  "pass non-negative lengths")
            total = int(lens.sum())
            if v.ndim == 0:
                raise ctx.invalid("Expected value to be at least a vector, but received "
                                  "shape: []", "split a value of rank >= 1")
            if total != v.shape[0]:
                raise ctx.invalid(f"Expected sum of lengths to be equal to values.shape[0], "
                                  f"but sum of lengths is {total} and value's shape is: "
                                  f"{_shape_text(v.shape)}", "make the lengths add up to the "
                                  "value's first dimension")
            size = ta.size(ctx)
            if ta.dynamic_size and size < lens.size:
                size = lens.size
            if size != lens.size:
                raise ctx.invalid(f"TensorArray's size is not equal to the size of lengths "
                                  f"({size} vs. {lens.size}), and the TensorArray is not "
                                  "marked as dynamically resizeable",
                                  "give one length per element")
            _value_dtype(ctx, ta, v)
            rows = np.array(v, copy=True)
            if not ta.is_grad:
                ta.marked_size = size
            start = 0
            for i, n in enumerate(lens.tolist()):
                ta.write(ctx, i, rows[start:start + int(n)], copy=False)
                start += int(n)
            return flow_in
        return split

    def grad(self, op: Operation, flow: Any) -> list[Any]:
        """d value = concat(grad_array) after the gradient writes (flow)."""
        handle, value, _, _ = op.inputs
        flow = _barrier(op, flow)
        g_handle, g_flow = build.gradient_array(handle, flow, _grad_source(op))
        grad, _ = build.tensor_array_concat_v3(g_handle, g_flow, value.dtype)
        return [None, grad, None, flow]


@register
class TensorArraySizeV3(_TensorArrayOp):
    """The current number of elements (int32 scalar)."""

    op_type = "TensorArraySizeV3"
    input_names = ("handle", "flow_in")
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 1)
        return [TensorSpec(dtypes.int32, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def size(handle: Any, flow_in: Any) -> np.ndarray:
            return np.array(_array(ctx, handle).size(ctx), np.int32)
        return size


@register
class TensorArrayCloseV3(_TensorArrayOp):
    """Drops the elements; later ops on the array fail."""

    op_type = "TensorArrayCloseV3"
    input_names = ("handle",)
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, None)
        return []

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def close(handle: Any) -> None:
            ta = _array(ctx, handle)
            ta.elements = []
            ta.closed = True
        return close


@register
class TensorArrayGradV3(_TensorArrayOp):
    """The gradient array of the forward array for ``source`` (one per run and source);
    ``flow_out`` = ``flow_in``."""

    op_type = "TensorArrayGradV3"
    input_names = ("handle", "flow_in")
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle_and_flow(ctx, 1)
        if not isinstance(ctx.attr("source"), str):
            ctx.fail("attr 'source' must be a string", "store source as a string attr")
        return [TensorSpec(dtypes.resource, HANDLE_SHAPE), _flow_spec()]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        source = ctx.attr("source")

        def grad(handle: Any, flow_in: Any) -> tuple[TensorArrayResource, Any]:
            return _array(ctx, handle).gradient_array(ctx, source), flow_in
        return grad


# ----------------------------------------------------------------------------------------
# Gradient helpers
# ----------------------------------------------------------------------------------------


def _barrier(op: Operation, flow: Any) -> Tensor:
    """The upstream flow gradient, made to run after ``op`` itself (TF's ``write_barrier``);
    a missing flow gradient is replaced by the op's own flow."""
    flow_out = array_ops.identity(op.outputs[0], name="flow_out")
    if flow is None:
        return flow_out
    with op.graph.control_dependencies([flow_out.op]):
        return array_ops.identity(op_builder.dense(flow), name="write_barrier")


_SCOPE_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/>]")


def _grad_source(op: Operation) -> str:
    """The gradient call this rule runs in, so the gradient arrays of two ``gf.gradients``
    calls never mix: TF's rule (the scope up to its last component starting with
    ``gradients``: ``gradients``, ``gradients_1``, ``train/gradients`` — the same inside a
    while loop's backward loop), else the name scope above ``<op>_grad``, else the whole
    current scope."""
    running = op.graph.gradient_source  # the gf.gradients call building this rule
    if running is not None:
        return running
    scope = op.graph.get_name_scope()
    tokens = scope.split("/")
    hits = [k for k, t in enumerate(tokens) if t.startswith("gradients")]
    if hits:  # TF's rule; also right inside a while loop's gradient (gradients/<loop>_grad/...)
        return "/".join(tokens[:hits[-1] + 1])
    marker = "/" + _SCOPE_UNSAFE.sub("_", op.name) + "_grad"
    i = scope.rfind(marker)
    if i > 0:
        return scope[:i]
    return scope or "gradients"
