"""The op registry: one record per op type, keyed by the string in ``NodeDef.op``.

An op record (a subclass of ``Op``) holds everything about one op type on one
screen: its static shape/dtype rule (``infer``), its numpy kernel factory
(``kernel``) and its gradient rule (``grad``), or ``differentiable = False``.
The gradient pass, the planner and the importer only look records up by type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, TypeAlias

import numpy as np

from graphflow.framework import attrs as attr_codec
from graphflow.framework import tensor_util
from graphflow.framework.dtypes import DType
from graphflow.framework.errors import (
    GraphBuildError,
    InvalidArgumentError,
    UnimplementedError,
    node_error,
    node_run_error,
)
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import TensorSpec
from graphflow.framework.tensor_shape import TensorShape, dims_from

if TYPE_CHECKING:
    from graphflow.framework.indexed_slices import IndexedSlices
    from graphflow.framework.tensor import Operation, Tensor
    from graphflow.proto.node_def_pb2 import NodeDef

#: The type of a gradient rule, ``Op.grad``: called as ``record.grad(op, *grads)`` with the
#: forward Operation and one upstream gradient (or None) per output of ``op``; returns one
#: gradient (a Tensor, IndexedSlices for gather-like inputs, or None) per input of ``op``.
#: The upstream gradients are left open (``...``) so a rule declares exactly as many as its
#: op has outputs (``def grad(self, op, g)``) and still overrides the base declaration.
GradRule: TypeAlias = (
    "Callable[Concatenate[Any, Operation, ...], Sequence[Tensor | IndexedSlices | None]]")


def describe(spec: TensorSpec) -> str:
    return f"{spec.dtype.name} {spec.shape}"


def static_ints(spec: TensorSpec) -> list[int] | None:
    """The statically known value of an integer tensor, flattened; None when unknown."""
    return None if spec.value is None else [int(v) for v in np.asarray(spec.value).reshape(-1)]


_MISSING = object()


class _NodeContext:
    """What shape rules and kernel factories both see: the node, its record, its attrs."""

    record: Op
    node_def: NodeDef
    inputs: list[TensorSpec]

    @property
    def name(self) -> str:
        return self.node_def.name

    @property
    def op_type(self) -> str:
        return self.node_def.op

    def _attr(self, name: str) -> Any:
        """The decoded attr, else the record's default, else ``_MISSING``."""
        if name in self.node_def.attr:
            return attr_codec.decode(self.node_def.attr[name])
        return self.record.attr_defaults.get(name, _MISSING)

    def static_ints(self, i: int) -> list[int] | None:
        """Input ``i``'s statically known integer value, flattened; None when unknown."""
        return static_ints(self.inputs[i])


class InferContext(_NodeContext):
    """What a shape rule sees: the node's attrs and its inputs' static specs."""

    def __init__(self, record: Op, node_def: NodeDef, inputs: Sequence[TensorSpec],
                 input_names: Sequence[Any] = ()) -> None:
        self.record = record
        self.node_def = node_def
        self.inputs = inputs if isinstance(inputs, list) else list(inputs)
        self._input_names = input_names  # tensor names or Tensors; only read by messages

    @property
    def input_names(self) -> list[str]:
        return [n if isinstance(n, str) else n.name for n in self._input_names]

    def attr(self, name: str) -> Any:
        value = self._attr(name)
        if value is not _MISSING:
            return value
        self.fail(f"is missing its required attribute '{name}'",
                  "add the attribute to the NodeDef (TensorFlow's op definition lists it)")

    def input_label(self, i: int) -> str:
        names = self.record.input_names
        role = names[i] if i < len(names) else (names[-1] if names and names[-1].startswith("*")
                                                else f"input {i}")
        role = role.lstrip("*")
        tensor = f" '{self.input_names[i]}'" if i < len(self.input_names) else ""
        return f"{role}{tensor} [{describe(self.inputs[i])}]"

    def fail(self, message: str, fix: str | None = None) -> None:
        raise GraphBuildError(node_error(self.name, self.op_type, message, fix))

    def require_same_dtype(self, *indices: int) -> DType:
        idx = indices or tuple(range(len(self.inputs)))
        first = self.inputs[idx[0]].dtype
        for i in idx[1:]:
            if self.inputs[i].dtype != first:
                parts = " and ".join(self.input_label(j) for j in idx)
                self.fail(f"inputs must have the same dtype, got {parts}",
                          "convert one of them with gf.cast(x, dtype)")
        return first

    def require_dtype(self, i: int, allowed: Callable[[DType], bool], what: str) -> DType:
        dt = self.inputs[i].dtype
        if not allowed(dt):
            self.fail(f"{self.input_label(i)} must be {what}",
                      f"pass {what} (gf.cast converts between dtypes)")
        return dt

    def require_rank(self, i: int, rank: int | Sequence[int]) -> TensorShape:
        shape = self.inputs[i].shape
        ranks = (rank,) if isinstance(rank, int) else tuple(rank)
        if shape.rank is not None and shape.rank not in ranks:
            want = " or ".join(str(r) for r in ranks)
            self.fail(f"{self.input_label(i)} must have rank {want}, got rank {shape.rank}")
        return shape

    # -- helpers shared by the shape rules of several op families --------------------------

    def role_label(self, i: int, role: str) -> str:
        """``role 'tensor:0' [float32 (2, 3)]`` for input ``i`` (for ops whose variadic input
        is not the last one, where ``input_label`` would name the wrong role)."""
        tensor = f" '{self.input_names[i]}'" if i < len(self.input_names) else ""
        return f"{role}{tensor} [{describe(self.inputs[i])}]"

    def require_index(self, *indices: int) -> None:
        """Inputs ``indices`` must be int32/int64 (index, shape and axis inputs)."""
        for i in indices:
            self.require_dtype(i, lambda d: d.name in ("int32", "int64"), "int32/int64")

    def static_axis(self, i: int, rank: int | None, extra: int = 0,
                    what: str = "axis") -> int | None:
        """Input ``i`` as an axis in ``[0, rank + extra)`` (negative counts from the end),
        when it and ``rank`` are known at build time; a build error names the valid range."""
        values = self.static_ints(i)
        if values is None:
            return None
        if len(values) != 1:
            self.fail(f"{what} {self.input_label(i)} must be a scalar")
        if rank is None:
            return None
        a, n = values[0], rank + extra
        if not -n <= a < n:
            self.fail(f"{what} {a} is out of range for an input of rank {rank}",
                      f"use an {what} in [-{n}, {n})")
        return a % n

    def vector_length(self, i: int) -> int | None:
        """Static length of the 1-D integer input ``i`` (build error if it is not 1-D)."""
        shape = self.require_rank(i, 1)
        return None if shape.rank is None else shape[0]

    def shape_from_value(self, i: int, what: str = "shape") -> TensorShape:
        """The static shape that the int32/int64 shape vector input ``i`` describes, as far
        as it is known at build time (its value, else — while building — what the ops that
        compute it know: ``Shape``, ``Pack``, ``ConcatV2``, as TF1's
        ``constant_value_as_shape``)."""
        spec = self.inputs[i]
        self.require_dtype(i, lambda d: d.name in ("int32", "int64"), "an int32/int64 vector")
        if spec.value is not None:
            if spec.value.ndim != 1:
                self.fail(f"{what} {self.input_label(i)} must be a 1-D vector")
            return dims_from(spec.value)
        rank = spec.shape[0] if spec.shape.rank == 1 else None
        handle = self._input_names[i] if i < len(self._input_names) else None
        if hasattr(handle, "op"):  # building: what the ops computing the vector know
            known = tensor_util.constant_value_as_shape(handle)
            if known.rank is not None and (rank is None or known.rank == rank):
                return known
        return TensorShape(None) if rank is None else TensorShape([None] * rank)


class KernelContext(_NodeContext):
    """What a kernel factory sees when the planner binds a node (once per plan)."""

    def __init__(self, record: Op, node_def: NodeDef, inputs: Sequence[TensorSpec],
                 outputs: Sequence[TensorSpec], resources: RunResources | None = None,
                 scratch_tally: list[int] | None = None) -> None:
        self.record = record
        #: ``[bytes]`` the plan's kernels keep in ``scratch`` arrays (shared by a bound plan's
        #: contexts; a plan cache counts it), or None.
        self._scratch_tally = scratch_tally
        self.node_def = node_def
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        #: The session's run-time resources (variable cells, random streams).
        self.resources = resources if resources is not None else RunResources()
        self.refs: list[Any] = []  # storage cells bound to the op's ref inputs, in order
        # Preallocated arrays (or None) per output, from the plan's memory plan; a kernel of a
        # record with ``writes_out = True`` writes its result into them and returns them.
        self.out: list[Any] = [None] * len(self.outputs)
        #: Positions (among the op's inputs) of the ``scratch_inputs`` the memory plan
        #: donated: their values die here, so the kernel may overwrite them.
        self.donated: frozenset[int] = frozenset()

    def scratch(self, shape: Any, dtype: Any) -> Any:
        """A work array the kernel keeps across runs (allocated once, when the plan is bound
        or on a kernel's first run), so steady-state runs make no temporaries of that size;
        its bytes count toward the plan's (``scratch_tally``)."""
        array = np.empty(tuple(shape), dtype=dtype)
        if self._scratch_tally is not None:
            self._scratch_tally[0] += array.nbytes
        return array

    def concrete(self, spec: Any) -> tuple[int, ...] | None:
        """``spec``'s shape as a tuple when fully known (specialized plans), else None."""
        return tuple(spec.shape.as_list()) if spec.shape.is_fully_defined() else None

    def attr(self, name: str) -> Any:
        value = self._attr(name)
        return None if value is _MISSING else value

    # -- run-time checks (what TensorFlow validates when the op runs) ----------------------

    def invalid(self, message: str, fix: str | None = None) -> InvalidArgumentError:
        """The error a kernel raises for a bad run-time value (``raise ctx.invalid(...)``):
        an InvalidArgumentError naming this node and op, the value, and the fix."""
        return node_run_error(self.name, self.op_type, message, fix)

    def check_axes(self, axes: Any, rank: int, what: str = "axis") -> tuple[int, ...]:
        """Fed or constant axes normalized to ``[0, rank)``; an error for an axis out of
        range or given twice (as TensorFlow: "Invalid reduction dimension", "duplicate")."""
        flat = np.asarray(axes).reshape(-1)
        out: list[int] = []
        for a in flat.tolist():
            a = int(a)
            if not -rank <= a < rank:
                raise self.invalid(
                    f"{what} {a} is out of range for a rank-{rank} input (valid: {-rank} to "
                    f"{rank - 1})", f"use an {what} in [{-rank}, {rank})")
            norm = a % rank
            if norm in out:
                raise self.invalid(f"{what} {a} appears more than once in {flat.tolist()}",
                                   f"list each {what} once")
            out.append(norm)
        return tuple(out)

    def check_indices(self, indices: Any, limit: int, what: str = "indices",
                      context: str = "") -> None:
        """Every index in ``[0, limit)``; the error names the first offending position (and
        ``context``, e.g. which variable's rows)."""
        flat = np.asarray(indices).reshape(-1)
        if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= limit):
            bad = int(np.flatnonzero((flat < 0) | (flat >= limit))[0])
            where = np.unravel_index(bad, np.shape(indices)) if np.ndim(indices) else ()
            at = "".join(f"[{i}]" for i in where)
            raise self.invalid(f"{what}{at} = {int(flat[bad])} is not in [0, {limit}){context}",
                               f"keep {what} within the {limit} valid positions (an id "
                               "outside the vocabulary?)")

    def check_size(self, shape: Any, dtype: Any) -> None:
        """The size guard: refuse to allocate more than the session's ``max_tensor_bytes``
        (``SessionConfig``) for one output, naming the node and the size."""
        dims = [int(d) for d in shape]
        if any(d < 0 for d in dims):
            raise self.invalid(f"dims must be >= 0, got {dims}", "pass non-negative sizes")
        limit = self.resources.max_tensor_bytes
        if limit is None:
            return
        nbytes = math.prod(dims) * np.dtype(dtype).itemsize
        if nbytes > limit:
            raise self.invalid(
                f"would allocate {format_bytes(nbytes)} for an output of shape {tuple(dims)} "
                f"({np.dtype(dtype).name}), over the limit of {format_bytes(limit)}",
                "check the sizes; raise the limit with gf.Session(config=gf.SessionConfig("
                "max_tensor_bytes=...)) if this is intended")


def format_bytes(n: int) -> str:
    """``4.0 TB``-style sizes (powers of 1000, as the limits are stated)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if size < 1000 or unit == "PB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.1f} PB"


def _no_gradient_rule(self: Op, op: Operation, *grads: Tensor | None
                      ) -> Sequence[Tensor | IndexedSlices | None]:
    """The gradient rule of a record that defines none (``Op.grad``)."""
    raise NotImplementedError(f"{self.op_type} has no gradient rule")


class Op:
    """Base class of op records; subclasses set ``op_type`` and implement the three parts."""

    op_type: ClassVar[str] = ""
    #: Names of the inputs, for error messages and DOT labels; "*name" marks a variadic tail.
    input_names: ClassVar[tuple[str, ...]] = ()
    #: Attribute defaults applied when a NodeDef omits them (as TF's op definitions do).
    attr_defaults: ClassVar[dict[str, Any]] = {}
    #: False: the op has no gradient and blocks gradient flow (registered as such).
    differentiable: ClassVar[bool] = True
    #: True when ``grad`` accepts an ``IndexedSlices`` upstream gradient as it is (identity
    #: ops pass a sparse embedding gradient on); otherwise the gradient pass densifies one
    #: before calling the rule.
    passes_indexed_slices: ClassVar[bool] = False
    #: True for ops whose result is not a pure function of their inputs (variables, random).
    stateful: ClassVar[bool] = False
    #: Indices of inputs that name a variable to mutate (TF1 ref inputs, e.g. Assign's ``ref``).
    ref_inputs: ClassVar[tuple[int, ...]] = ()
    #: True when the kernel may return (a view of) one of its inputs or of variable storage.
    returns_alias: ClassVar[bool] = False
    #: True when the kernel writes each result into ``ctx.out[i]`` when that is an array (a
    #: buffer the memory planner preallocated with the output's exact shape and dtype) and
    #: returns that array; the planner only plans buffers for such records.
    writes_out: ClassVar[bool] = False
    #: True when the kernel keeps a reference to an input value beyond the step (a stack
    #: push, a TensorArray write): the memory planner never puts such an input in a reused
    #: buffer, since a later step or iteration would overwrite what was kept.
    retains_inputs: ClassVar[bool] = False
    #: Input positions whose planned buffer the kernel's output may share when the input is
    #: read for the last time at this step: the kernel reads each element of that input
    #: before it writes the same element of ``ctx.out[0]`` (element-wise ufunc records need
    #: not list theirs: all of their inputs qualify).
    inplace_inputs: ClassVar[tuple[int, ...]] = ()
    #: Input positions the kernel may overwrite as work space when the memory planner
    #: donates them (``ctx.donated``: a planned buffer nothing reads after this step).
    scratch_inputs: ClassVar[tuple[int, ...]] = ()
    #: Whether the kernel may call numpy's BLAS (matrix products, linear algebra, user
    #: code), whose results can depend on BLAS's thread count. Records whose kernels never
    #: do say False; the default is True. A Session with a worker lets a plan run on BLAS's
    #: own threads only when each of its kernels either calls no BLAS or, probed through
    #: ``blas_probe``, gives there the bits it gives on one thread (``runtime/own_blas.py``).
    calls_blas: ClassVar[bool] = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        raise NotImplementedError(f"{self.op_type} has no shape rule")

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        raise NotImplementedError(f"{self.op_type} has no kernel")

    def split_kernel(self, ctx: KernelContext, submit: Callable[..., Any], at: int = 0
                     ) -> Callable[..., Any] | None:
        """A kernel computing the same result with part of the work handed to a worker
        thread through ``submit`` (``fn, *args -> future``), for a step the parallel
        schedule splits (``compiler/parallel.py``): the worker takes the first ``at`` rows
        of the output (0: half of them; ``PlanStep.share``). None (the default): this op
        cannot split, and its ``kernel`` runs."""
        return None

    def shared_kernel(self, ctx: KernelContext, share: int
                      ) -> tuple[Callable[..., Any], Callable[..., Any]] | None:
        """For an asynchronous step whose first ``share`` output rows the calling thread
        computes at the join (``PlanStep.share``): (the worker's kernel, computing the other
        rows and returning the output; the calling thread's, computing its rows from the
        same inputs), both writing into the planned output — or None (the default): the
        worker runs ``kernel`` whole."""
        return None

    def blas_probe(self, ctx: KernelContext, kernel: Callable[..., Any]
                   ) -> Callable[[], Callable[[], list[np.ndarray]]] | None:
        """For a record that ``calls_blas``: a function that makes fixed random operands
        of the kernel's input shapes and returns a runner, which calls ``kernel`` (bound with
        ``ctx``, the plan's buffers included) on them and returns copies of its results, so
        that they can be compared on two BLAS thread counts (the operands live only while
        probing) — or None (the default): the kernel cannot be probed, and a plan holding
        it always runs with BLAS on one thread in a Session with a worker."""
        return None

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        """Whether the step can be computed a block of rows at a time: per input, True when
        row i of every output reads only row i of it, False when it reads all of it — so
        that this record's kernel, bound with a block's shapes (``ctx.inputs`` and
        ``ctx.outputs`` with fewer rows; ``ctx.out`` that block of the planned outputs),
        computes those rows of the outputs from those rows of the True inputs, and writes
        nothing else. None (the default): it cannot (``compiler/row_chains.py``)."""
        return None

    def rows_match(self, ctx: KernelContext, at: int) -> bool:
        """For a record with ``row_inputs``: whether the two blocks of rows ``[:at]`` and
        ``[at:]``, each computed by the kernel bound for it, have the bits of one kernel
        call over all rows (the default: True, as element by element; a matrix product
        checks this machine's BLAS)."""
        return True

    #: The gradient rule (see ``GradRule``); the default raises NotImplementedError.
    grad: ClassVar[GradRule] = _no_gradient_rule

    @property
    def mutates(self) -> bool:
        return bool(self.ref_inputs)


_REGISTRY: dict[str, Op] = {}


def register(cls: type[Op]) -> type[Op]:
    """Class decorator: register one instance of an op record under ``cls.op_type``."""
    if not cls.op_type:
        raise ValueError(f"{cls.__name__} must set op_type")
    if cls.op_type in _REGISTRY:
        raise ValueError(f"op type {cls.op_type!r} is registered twice")
    _REGISTRY[cls.op_type] = cls()
    return cls


def get(op_type: str, node_name: str | None = None) -> Op:
    """The record for ``op_type``; UnimplementedError listing the known op types if absent."""
    try:
        return _REGISTRY[op_type]
    except KeyError:
        where = f" (node '{node_name}')" if node_name else ""
        known = ", ".join(sorted(_REGISTRY))
        raise UnimplementedError(
            f"op type '{op_type}'{where} is not registered in graphflow. Known op types: {known}",
            node_name, op_type) from None


def lookup(op_type: str) -> Op | None:
    return _REGISTRY.get(op_type)


def registered_ops() -> dict[str, Op]:
    return dict(_REGISTRY)


def override(op_type: str, record: Op) -> Op | None:
    """Replace (or add) the record for ``op_type``; returns the previous one (tests, plug-ins)."""
    previous = _REGISTRY.get(op_type)
    _REGISTRY[op_type] = record
    return previous


def restore(op_type: str, previous: Op | None) -> None:
    if previous is None:
        _REGISTRY.pop(op_type, None)
    else:
        _REGISTRY[op_type] = previous
