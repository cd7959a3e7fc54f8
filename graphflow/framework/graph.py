"""``Graph``: the builder's container around one ``GraphDef``.

The GraphDef is the graph: every op the builder creates is appended to it as a
NodeDef (with TF's input and attr conventions), after its record's shape rule
has accepted it. The Graph adds what a GraphDef cannot hold: name scopes,
control-dependency contexts, collections, unique-name counters and the
``Operation``/``Tensor`` handles. Graphs are append-only.
"""

from __future__ import annotations

import contextlib
import gc
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from graphflow.framework import attrs as attr_codec
from graphflow.framework import device_spec, node_validation, op_registry
from graphflow.framework.errors import GraphBuildError, GraphflowError, NotFoundError, node_error
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.proto import graph_pb2, node_def_pb2

#: GraphDef producer version written by graphflow (TensorFlow 1.15 wrote 134; >= 22
#: means "reduction indices are an input", "scalar strict", and so on).
PRODUCER_VERSION = 134
MIN_CONSUMER_VERSION = 0

_VALID_SCOPE = re.compile(r"^[A-Za-z0-9_.\-/>]*$")


class GraphKeys:
    """Standard collection names (TF1's ``tf.GraphKeys``)."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    TRAIN_OP = "train_op"
    GLOBAL_STEP = "global_step"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    UPDATE_OPS = "update_ops"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"


class Graph:
    """A TensorFlow-1-style computation graph backed by a ``GraphDef`` protobuf."""

    def __init__(self) -> None:
        self._graph_def = graph_pb2.GraphDef()
        self._graph_def.versions.producer = PRODUCER_VERSION
        self._graph_def.versions.min_consumer = MIN_CONSUMER_VERSION
        self._ops: list[Operation] = []
        self._ops_by_name: dict[str, Operation] = {}
        self._consumers: dict[int, list[Operation]] = {}  # op id -> consumer ops
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._control_stack: list[list[Operation] | None] = []
        self._device = ""  # the NodeDef.device of new nodes (``device()``; run on CPU)
        self._collections: dict[str, list[Any]] = {}
        #: The control-flow context new ops are created in (a while-loop body or a cond
        #: branch, ``ops.control_flow_ops``); None at the top level. It maps the inputs of
        #: a new op (capturing outer tensors into the loop or branch) and gives input-less
        #: ops their control pivot.
        self._cf_context: Any = None
        self._op_contexts: dict[int, Any] = {}  # op index -> context it was created in
        self._gradient_sources: list[str] = []  # name scopes of the running gradient passes
        self._finalized = False
        self.seed: int | None = None

    # -- contexts --------------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        """Make this the default graph inside a ``with`` block, in the calling thread (as
        in TF1, the default graph is a property of the current thread: another thread
        still sees its own, or the global default graph)."""
        stack = _default_stack()
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """TF1 name scopes: ``"a"`` opens ``a/`` (or ``a_1/`` if taken), ``"a/"`` re-enters
        exactly, ``None`` or ``""`` resets to the root. Yields the scope string (with ``/``)."""
        old = self._name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            if not _VALID_SCOPE.match(name):
                raise ValueError(f"'{name}' is not a valid name scope (use letters, digits, "
                                 "'_', '.', '-' and '/')")
            new = name[:-1]
        else:
            if not _VALID_SCOPE.match(name):
                raise ValueError(f"'{name}' is not a valid name scope (use letters, digits, "
                                 "'_', '.', '-' and '/')")
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield new + "/" if new else ""
        finally:
            self._name_stack = old

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def device(self, device_name: str | None) -> Iterator[None]:
        """TF1's ``tf.device``: nodes created inside record ``device_name`` (canonical,
        merged with an outer ``device()``; ``None`` or ``""`` clears it) in
        ``NodeDef.device``. graphflow runs every node on the CPU: the string is kept for
        TensorFlow and tools, never used for placement."""
        if device_name is not None and not isinstance(device_name, str):
            raise TypeError("device() takes a device string such as '/cpu:0'; device "
                            "functions (replica_device_setter) are not supported: graphflow "
                            "runs every node on the local CPU")
        old = self._device
        self._device = device_spec.merge(old, device_name) if device_name else ""
        try:
            yield
        finally:
            self._device = old

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Sequence[Any] | None) -> Iterator[None]:
        """Ops created inside run after ``control_inputs``; ``None`` clears outer contexts —
        the control dependencies and, as in TF1, the control-flow context (so a variable
        made inside a while loop's body lives outside the loop)."""
        if control_inputs is None:
            self._control_stack.append(None)
            old_context, self._cf_context = self._cf_context, None
            try:
                yield
            finally:
                self._cf_context = old_context
                self._control_stack.pop()
            return
        else:
            ops = []
            for c in control_inputs:
                if hasattr(c, "_as_graph_element"):  # Variable
                    c = c._as_graph_element()
                if isinstance(c, Tensor):
                    c = c.op
                if not isinstance(c, Operation):
                    raise TypeError(f"control_dependencies() takes Operations or Tensors, got "
                                    f"{type(c).__name__}: {c!r}")
                self.check_same_graph(c, "control_dependencies")
                ops.append(c)
            self._control_stack.append(ops)
        try:
            yield
        finally:
            self._control_stack.pop()

    def _current_control_inputs(self) -> list[Operation]:
        out: list[Operation] = []
        for frame in reversed(self._control_stack):
            if frame is None:
                break
            out.extend(frame)
        return out

    # -- names -----------------------------------------------------------------------------
    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """``name`` under the current scope, suffixed ``_1``, ``_2``... if already used
        (case-insensitively, exactly as TensorFlow's ``Graph.unique_name``)."""
        if self._name_stack:
            name = f"{self._name_stack}/{name}"
        name_key = name.lower()
        i = self._names_in_use.get(name_key, 0)
        if mark_as_used:
            self._names_in_use[name_key] = i + 1
        if i > 0:
            base_key = name_key
            while name_key in self._names_in_use:
                name_key = f"{base_key}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[name_key] = 1
            name = f"{name}_{i - 1}"
        return name

    # -- node creation ---------------------------------------------------------------------
    def create_op(self, op_type: str, inputs: Sequence[Tensor], attrs: dict[str, Any] | None = None,
                  name: str | None = None, control_inputs: Sequence[Operation] = ()) -> Operation:
        """Add a node built from Python values; runs the op's shape rule first."""
        if self._finalized:
            raise RuntimeError("this Graph is finalized and cannot be modified")
        cf_context = self._cf_context
        if cf_context is not None:  # inside a loop body / cond branch: capture outer values
            inputs = cf_context.map_inputs(list(inputs))
        exact = name is not None and name.endswith("/")  # a scope name: use it exactly (TF)
        node_name = name[:-1] if exact and name else self.unique_name(name or op_type,
                                                                      mark_as_used=False)
        node_validation.check_node_name(node_name, op_type)
        node = self._graph_def.node.add()  # filled in place; removed again if rejected
        try:
            node.name = node_name
            node.op = op_type
            if self._device:
                node.device = self._device
            node_inputs = node.input
            for i, t in enumerate(inputs):
                if not isinstance(t, Tensor):
                    raise TypeError(f"{op_type} node '{node_name}': input {i} must be a "
                                    f"gf.Tensor, got {type(t).__name__}")
                if t.graph is not self:
                    self.check_same_graph(t, node_name)
                node_inputs.append(t.input_ref())
            controls: list[Operation] = list(control_inputs)
            if self._control_stack:
                # As TF: a control input on an op that already is a data input is redundant.
                data_ops = {id(t.op) for t in inputs}
                context = [c for c in self._current_control_inputs() if id(c) not in data_ops]
                controls = _dedupe(context + controls)
            if cf_context is not None and not inputs and not controls:
                pivot = cf_context.control_pivot()
                if pivot is not None:  # a constant inside a loop body runs once per iteration
                    controls = [pivot]
            for c in controls:
                self.check_same_graph(c, node_name)
                node_inputs.append("^" + c.name)
            if attrs:
                node_attr = node.attr
                for key, value in attrs.items():
                    attr_codec.encode_into(node_attr[key], value)
            op = self._register_node(node, list(inputs), controls, built=True)
        except BaseException:
            del self._graph_def.node[-1]
            raise
        if cf_context is not None:
            self._op_contexts[op.index] = cf_context
        if exact:
            self._names_in_use.setdefault(node_name.lower(), 1)
        else:  # mark the name taken only now: a node its shape rule rejects uses none
            self.unique_name(name or op_type)
        return op

    def add_node_def(self, node: node_def_pb2.NodeDef, inputs: Sequence[Tensor],
                     control_inputs: Sequence[Operation], name: str | None = None,
                     input_refs: Sequence[str] | None = None) -> Operation:
        """Append a copy of a complete NodeDef (the importer's path): ``inputs`` and
        ``control_inputs`` are the handles its input strings resolve to, ``name`` renames it
        and ``input_refs`` rewrites its input strings. Runs the same path as ``create_op``
        (attr defaults, shape rule, handles) and marks the name used."""
        node_validation.check_node_name(name if name is not None else node.name, node.op)
        node_validation.check_inputs_syntax(node, node.input)
        stored = self._graph_def.node.add()
        stored.CopyFrom(node)
        if name is not None:
            stored.name = name
        if input_refs is not None:
            del stored.input[:]
            stored.input.extend(input_refs)
        try:
            op = self._register_node(stored, list(inputs), list(control_inputs))
        except BaseException:
            del self._graph_def.node[-1]
            raise
        self._names_in_use.setdefault(op.name.lower(), 1)
        return op

    def _register_node(self, node: node_def_pb2.NodeDef, inputs: list[Tensor],
                       control_inputs: list[Operation], built: bool = False) -> Operation:
        """For a NodeDef already stored as the graph's last node: check it against its op
        record, fill attr defaults, run the op's shape rule, and create the Operation/Tensor
        handles. ``built``: ``create_op`` encoded its attrs from Python values just now."""
        name = node.name
        if name in self._ops_by_name:
            raise GraphBuildError(f"duplicate node name '{name}' ({node.op}); node names "
                                  "must be unique in a graph")
        record = op_registry.get(node.op, name)
        node_validation.check_node(node, record, len(inputs), trusted_tensors=built)
        if record.attr_defaults:
            node_attr = node.attr
            for key, value in record.attr_defaults.items():
                if key not in node_attr:
                    attr_codec.encode_into(node_attr[key], value)
        ctx = op_registry.InferContext(record, node, [t.spec for t in inputs], inputs)
        try:
            specs = record.infer(ctx)
        except GraphflowError:
            raise
        except (ArithmeticError, AttributeError, IndexError, KeyError, TypeError,
                ValueError) as err:
            # A shape rule met an input it did not anticipate (a malformed attr or constant
            # value): say which node, and what it saw, instead of the bare exception.
            inputs_text = ", ".join(ctx.input_label(i) for i in range(len(inputs))) or "none"
            raise GraphBuildError(node_error(
                name, node.op, f"its shape rule cannot handle this node "
                f"({type(err).__name__}: {err}); inputs: [{inputs_text}]",
                f"check the node's inputs and attrs against TensorFlow's definition of "
                f"{node.op}")) from err
        for s in specs:
            if not isinstance(s, TensorSpec):
                raise TypeError(f"shape rule of {node.op} returned {specs!r}, not TensorSpecs")
        op = Operation(self, node, inputs, control_inputs, specs, len(self._ops))
        self._ops.append(op)
        self._ops_by_name[name] = op
        consumers = self._consumers
        seen: set[int] = set()
        for t in inputs:
            src = t.op
            if src.index not in seen:
                seen.add(src.index)
                consumers.setdefault(src.index, []).append(op)
        return op

    # -- control flow (the builders are in ops.control_flow_ops) ---------------------------
    @property
    def control_flow_context(self) -> Any:
        """The control-flow context new ops are created in (None at the top level)."""
        return self._cf_context

    @contextlib.contextmanager
    def control_flow_context_as(self, context: Any) -> Iterator[None]:
        """Create ops inside ``context`` (None: structurally, with no capture or pivot)."""
        old = self._cf_context
        self._cf_context = context
        try:
            yield
        finally:
            self._cf_context = old

    @contextlib.contextmanager
    def gradient_pass(self, scope: str) -> Iterator[None]:
        """Mark a gradient pass running under name scope ``scope`` (``gf.gradients`` does):
        gradient rules that must agree across the pass (TensorArray gradient arrays) read it
        as ``gradient_source``, wherever inside the pass they are built."""
        self._gradient_sources.append(scope)
        try:
            yield
        finally:
            self._gradient_sources.pop()

    @property
    def gradient_source(self) -> str | None:
        """The name scope of the innermost running gradient pass (None: none runs)."""
        return self._gradient_sources[-1] if self._gradient_sources else None

    def context_of(self, op: Operation) -> Any:
        """The control-flow context ``op`` was created in (None: the top level)."""
        return self._op_contexts.get(op.index)

    def set_context_of(self, op: Operation, context: Any) -> None:
        """Record that ``op`` belongs to ``context`` (an Enter made from the outer context)."""
        self._op_contexts[op.index] = context

    def update_input(self, op: Operation, index: int, tensor: Tensor) -> None:
        """Replace data input ``index`` of ``op`` by ``tensor`` — only for the one back edge
        of a while loop (a Merge reading the NextIteration made after it); the dtype must
        stay the same."""
        if op.type not in ("Merge", "RefMerge"):
            raise GraphBuildError(node_error(
                op.name, op.type, "only a Merge's input can be replaced (the back edge of a "
                "while loop); graphs are otherwise append-only"))
        self.check_same_graph(tensor, op.name)
        old = op.inputs[index]
        if old.dtype != tensor.dtype:
            raise GraphBuildError(node_error(
                op.name, op.type, f"input {index} has dtype {old.dtype.name}; cannot replace "
                f"it by '{tensor.name}' ({tensor.dtype.name})"))
        op._replace_input(index, tensor)
        op.node_def.input[index] = tensor.input_ref()
        users = self._consumers.setdefault(tensor.op.index, [])
        if op not in users:
            users.append(op)

    def add_control_input(self, op: Operation, control: Operation) -> None:
        """Make ``op`` run after ``control`` (TF1's ``op._add_control_input``; the gradient of
        a while loop uses it to keep the forward loop's stack pushes in the plan)."""
        self.check_same_graph(control, op.name)
        if control in op.control_inputs:
            return
        op._append_control_input(control)
        op.node_def.input.append("^" + control.name)

    def check_same_graph(self, element: Tensor | Operation, where: str) -> None:
        """ValueError naming ``where`` unless ``element`` belongs to this graph."""
        if element.graph is not self:
            raise ValueError(f"{element!r} belongs to a different Graph than '{where}'. Build "
                             "every tensor of a computation inside the same `with "
                             "graph.as_default():` block (or import it with "
                             "gf.import_graph_def)")

    def consumers(self, tensor: Tensor) -> list[Operation]:
        """The ops that read ``tensor`` as a data input, in creation order."""
        return [op for op in self._consumers.get(tensor.op.index, ())
                if any(t is tensor for t in op.inputs)]

    # -- lookup ----------------------------------------------------------------------------
    def get_operations(self) -> list[Operation]:
        """A list (a copy) of the graph's operations in creation order."""
        return list(self._ops)

    @property
    def operations(self) -> Sequence[Operation]:
        """A read-only view of the operations in creation order (``operations[op.index]`` is
        ``op``); no copy is made."""
        return _ReadOnlyList(self._ops)

    @property
    def graph_def(self) -> graph_pb2.GraphDef:
        """The graph's own GraphDef (no copy): read it, never modify it — nodes enter only
        through ``create_op`` and ``add_node_def``. ``as_graph_def()`` returns a copy."""
        return self._graph_def

    def op_by_name(self, name: str) -> Operation | None:
        """The operation named ``name``, or None (``get_operation_by_name`` raises instead)."""
        return self._ops_by_name.get(name)

    def get_operation_by_name(self, name: str) -> Operation:
        try:
            return self._ops_by_name[name]
        except KeyError:
            # NotFoundError is a KeyError (as TF raises) whose str() is the plain message.
            raise NotFoundError(f"the graph has no operation named '{name}'"
                                f"{_suggest(name, self._ops_by_name)}", name) from None

    def get_tensor_by_name(self, name: str) -> Tensor:
        op_name, sep, index = name.rpartition(":")
        if not sep or not index.isdigit():
            raise ValueError(f"'{name}' is not a tensor name: tensor names look like "
                             f"'op_name:0' (did you mean '{name}:0'?)")
        op = self.get_operation_by_name(op_name)
        i = int(index)
        if i >= len(op.outputs):
            raise ValueError(f"operation '{op_name}' ({op.type}) has {len(op.outputs)} "
                             f"output(s), so '{name}' does not exist")
        return op.outputs[i]

    def as_graph_element(self, obj: Any, allow_tensor: bool = True,
                         allow_operation: bool = True) -> Tensor | Operation:
        """Resolve a Tensor, Operation, Variable or name (``"op"`` / ``"op:0"``)."""
        if hasattr(obj, "_as_graph_element"):
            obj = obj._as_graph_element()
        if isinstance(obj, (Tensor, Operation)):
            self.check_same_graph(obj, "this session's graph")
            if isinstance(obj, Tensor) and not allow_tensor:
                raise TypeError(f"expected an Operation, got tensor '{obj.name}'")
            if isinstance(obj, Operation) and not allow_operation:
                raise TypeError(f"expected a Tensor, got operation '{obj.name}'")
            return obj
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                return self.get_tensor_by_name(obj)
            if allow_operation:
                return self.get_operation_by_name(obj)
            raise ValueError(f"'{obj}' names an operation; use '{obj}:0' for its first output")
        raise TypeError(f"cannot interpret {type(obj).__name__} {obj!r} as a graph element "
                        "(expected a Tensor, Operation, Variable or name string)")

    # -- GraphDef --------------------------------------------------------------------------
    def as_graph_def(self, add_shapes: bool = False) -> graph_pb2.GraphDef:
        """A copy of the graph's GraphDef; ``add_shapes`` adds TF's ``_output_shapes`` attrs."""
        out = graph_pb2.GraphDef()
        out.CopyFrom(self._graph_def)
        if add_shapes:
            for op, node in zip(self._ops, out.node):
                node.attr["_output_shapes"].CopyFrom(
                    attr_codec.encode([t.shape for t in op.outputs]) if op.outputs
                    else attr_codec.encode([]))
        return out

    @property
    def graph_def_versions(self) -> Any:
        return self._graph_def.versions

    @property
    def version(self) -> int:
        """Number of nodes (graphs are append-only, so this increases with every change)."""
        return len(self._ops)

    def finalize(self) -> None:
        self._finalized = True

    @property
    def finalized(self) -> bool:
        return self._finalized

    # -- collections -----------------------------------------------------------------------
    def add_to_collection(self, name: str, value: Any) -> None:
        self._collections.setdefault(name, []).append(value)

    def get_collection(self, name: str, scope: str | None = None) -> list[Any]:
        items = list(self._collections.get(name, ()))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [v for v in items if hasattr(v, "name") and pattern.match(v.name)]

    def get_collection_ref(self, name: str) -> list[Any]:
        return self._collections.setdefault(name, [])

    def get_all_collection_keys(self) -> list[str]:
        return sorted(self._collections)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while adding thousands of nodes at once
    (import, the gradient pass): the graph's handles form no garbage cycles, and full
    collections over a large graph would otherwise dominate the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _ReadOnlyList(Sequence[Operation]):
    """A list seen through the Sequence interface only (no append, no item assignment)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Operation]) -> None:
        self._items = items

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._items)


def _dedupe(ops: list[Operation]) -> list[Operation]:
    seen: set[int] = set()
    out = []
    for op in ops:
        if id(op) not in seen:
            seen.add(id(op))
            out.append(op)
    return out


def _suggest(name: str, names: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=3)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


_default_graph = Graph()
class _ThreadGraphs(threading.local):
    """Per thread: the graphs it has entered with ``as_default()``, innermost last."""

    def __init__(self) -> None:
        self.graphs: list[Graph] = []


_thread_graphs = _ThreadGraphs()


def _default_stack() -> list[Graph]:
    return _thread_graphs.graphs


def get_default_graph() -> Graph:
    """The innermost graph the calling thread entered with ``as_default()``, else the
    global default graph."""
    stack = _default_stack()
    return stack[-1] if stack else _default_graph


def reset_default_graph() -> None:
    """Replace the global default graph with a new, empty one (TF1 semantics)."""
    global _default_graph
    if _default_stack():
        raise AssertionError("do not call gf.reset_default_graph() inside a `with "
                             "graph.as_default():` block; exit the block first")
    _default_graph = Graph()


@contextlib.contextmanager
def name_scope(name: str | None, default_name: str | None = None,
               values: Any = None) -> Iterator[str]:
    """``gf.name_scope``: open a name scope on the default graph (see ``Graph.name_scope``)."""
    with get_default_graph().name_scope(name if name is not None else default_name) as scope:
        yield scope


def control_dependencies(control_inputs: Sequence[Any] | None) -> Any:
    """``tf.control_dependencies`` on the default graph: ops created inside
    the ``with`` block run after ``control_inputs`` (None clears the
    enclosing contexts)."""
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name: str | None) -> Any:
    """``tf.device`` on the default graph (recorded in ``NodeDef.device``; runs on CPU)."""
    return get_default_graph().device(device_name)


def add_to_collection(name: str, value: Any) -> None:
    """``tf.add_to_collection`` on the default graph."""
    get_default_graph().add_to_collection(name, value)


def get_collection(key: str, scope: str | None = None) -> list[Any]:
    """``tf.get_collection`` on the default graph (``scope``: a regex on item names)."""
    return get_default_graph().get_collection(key, scope)
