"""Handles to graph elements: ``Operation`` (one NodeDef) and ``Tensor`` (one node output).

Both are thin views over the NodeDef stored in the Graph's GraphDef; static
facts about each output (dtype, shape, known constant value) live in a
``TensorSpec``. Arithmetic operators on ``Tensor`` are installed by
``graphflow.ops.math_ops`` (TF1 does the same), keeping this module free of op code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.framework import attrs as attr_codec
from graphflow.framework.default_session import default_session_for
from graphflow.framework.dtypes import DType
from graphflow.framework.tensor_shape import TensorShape, as_shape

if TYPE_CHECKING:
    from graphflow.framework.graph import Graph
    from graphflow.proto.node_def_pb2 import NodeDef

# Constant values up to this many elements are tracked statically (for shape rules
# that read a shape or axis input, and for constant folding).
MAX_STATIC_VALUE_SIZE = 4096


class TensorSpec:
    """Static facts about one tensor: dtype, shape, and its value when known at build time."""

    __slots__ = ("dtype", "shape", "value")

    def __init__(self, dtype: DType, shape: Any, value: np.ndarray | None = None) -> None:
        self.dtype = dtype
        self.shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
        if value is not None and np.size(value) > MAX_STATIC_VALUE_SIZE:
            value = None
        self.value = value

    def __repr__(self) -> str:
        return f"TensorSpec({self.dtype.name}, {self.shape})"


class Operation:
    """A node of the graph. ``node_def`` is the NodeDef stored in the graph's GraphDef."""

    __slots__ = ("_graph", "_node_def", "_inputs", "_control_inputs", "_outputs", "_id",
                 "_attr_cache", "_name", "_type", "__weakref__")

    def __init__(self, graph: Graph, node_def: NodeDef, inputs: list[Tensor],
                 control_inputs: list[Operation], specs: list[TensorSpec], op_id: int) -> None:
        self._graph = graph
        self._node_def = node_def
        # A stored node's name and op never change; read once (each protobuf read makes a
        # new str), the op type interned (a few dozen distinct strings shared by all ops).
        self._name = node_def.name
        self._type = sys.intern(node_def.op)
        self._inputs = tuple(inputs)
        self._control_inputs = tuple(control_inputs)
        self._outputs = tuple([Tensor(self, i, s) for i, s in enumerate(specs)])
        self._id = op_id
        self._attr_cache: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def node_def(self) -> NodeDef:
        return self._node_def

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return self._inputs

    @property
    def control_inputs(self) -> tuple[Operation, ...]:
        return self._control_inputs

    @property
    def outputs(self) -> tuple[Tensor, ...]:
        return self._outputs

    @property
    def device(self) -> str:
        return self._node_def.device

    @property
    def index(self) -> int:
        """The op's position in its graph (creation order; ``graph.operations[op.index]``)."""
        return self._id

    def values(self) -> tuple[Tensor, ...]:
        return self._outputs

    def _replace_input(self, index: int, tensor: Tensor) -> None:
        """For ``Graph.update_input`` only (a while loop's back edge)."""
        inputs = list(self._inputs)
        inputs[index] = tensor
        self._inputs = tuple(inputs)

    def _append_control_input(self, op: Operation) -> None:
        """For ``Graph.add_control_input`` only."""
        self._control_inputs = (*self._control_inputs, op)

    def get_attr(self, name: str) -> Any:
        """The decoded value of attribute ``name`` (ValueError naming the node if absent)."""
        if name not in self._attr_cache:
            if name not in self._node_def.attr:
                known = ", ".join(sorted(self._node_def.attr)) or "none"
                raise ValueError(f"node '{self.name}' ({self.type}) has no attribute '{name}'; "
                                 f"its attributes: {known}")
            self._attr_cache[name] = attr_codec.decode(self._node_def.attr[name])
        return self._attr_cache[name]

    def run(self, feed_dict: Any = None, session: Any = None) -> None:
        default_session_for(session, self).run(self, feed_dict)

    def __repr__(self) -> str:
        return f"<gf.Operation '{self.name}' type={self.type}>"


class Tensor:
    """The ``value_index``-th output of an Operation; carries static dtype and shape."""

    __slots__ = ("_op", "_value_index", "_spec", "__weakref__")
    # Make numpy defer to Tensor's reflected operators (np.ones(3) + t -> Tensor).
    __array_priority__ = 100

    def __init__(self, op: Operation, value_index: int, spec: TensorSpec) -> None:
        self._op = op
        self._value_index = value_index
        self._spec = spec

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def value_index(self) -> int:
        return self._value_index

    @property
    def graph(self) -> Graph:
        return self._op.graph

    @property
    def name(self) -> str:
        return f"{self._op.name}:{self._value_index}"

    @property
    def dtype(self) -> DType:
        return self._spec.dtype

    @property
    def shape(self) -> TensorShape:
        return self._spec.shape

    @property
    def spec(self) -> TensorSpec:
        return self._spec

    @property
    def device(self) -> str:
        return self._op.device

    def get_shape(self) -> TensorShape:
        return self._spec.shape

    def set_shape(self, shape: Any) -> None:
        """Refine the static shape (TF1 semantics: must be compatible with the inferred one)."""
        try:
            self._spec.shape = self._spec.shape.merge_with(as_shape(shape))
        except ValueError:
            raise ValueError(f"set_shape: tensor '{self.name}' has shape {self.shape}, which is "
                             f"not compatible with the requested {as_shape(shape)}") from None

    def relax_shape(self, shape: Any) -> None:
        """Make the static shape *less* specific (and forget any static value): a while
        loop's Merge takes the loop variable's shape invariant this way. ``shape`` must be
        compatible with the current shape."""
        new = as_shape(shape)
        if not new.is_compatible_with(self._spec.shape):
            raise ValueError(f"shape invariant {new} of '{self.name}' is not compatible with "
                             f"its shape {self.shape}")
        self._spec = TensorSpec(self._spec.dtype, new)

    def consumers(self) -> list[Operation]:
        return self.graph.consumers(self)

    def eval(self, feed_dict: Any = None, session: Any = None) -> Any:
        return default_session_for(session, self).run(self, feed_dict)

    def input_ref(self) -> str:
        """How a NodeDef input names this tensor: ``op`` for output 0, ``op:k`` otherwise."""
        return self._op.name if self._value_index == 0 else self.name

    def __repr__(self) -> str:
        return f"<gf.Tensor '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:  # TF1: identity, so tensors can key dicts
        return self is other

    def __bool__(self) -> bool:
        raise TypeError(f"using a gf.Tensor ('{self.name}') as a Python bool is not allowed: its "
                        "value is only known when a Session runs it. Use gf.where for element-wise "
                        "choices, or test `t is not None`")

    def __iter__(self) -> Any:
        raise TypeError(f"gf.Tensor '{self.name}' is not iterable when the graph is built; "
                        "index it with gf.gather or slicing (t[0], t[:, 1:3])")

    def __len__(self) -> int:
        raise TypeError(f"len() of gf.Tensor '{self.name}' is not defined at graph-build time; "
                        "use t.shape[0] (static) or gf.shape(t)[0] (dynamic)")

    @classmethod
    def _override_operator(cls, operator: str, func: Callable[..., Any]) -> None:
        setattr(cls, operator, func)
