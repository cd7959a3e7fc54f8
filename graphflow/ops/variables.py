"""``gf.Variable``: a TF1 reference variable built from VariableV2 + Assign + Identity.

For ``gf.Variable(init, name="W")`` the graph gets ``W`` (VariableV2, the storage),
``W/Assign`` (the initializer, writing ``W/initial_value``) and ``W/read`` (Identity:
the value every consumer reads), exactly as TensorFlow 1.x writes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.default_session import default_session_for
from graphflow.framework.graph import Graph, GraphKeys, get_default_graph
from graphflow.framework.tensor import Operation, Tensor
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, op_builder, state_ops


class Variable:
    """A mutable tensor whose value lives in each Session (TF1 ``tf.Variable``)."""

    def __init__(self, initial_value: Any = None, trainable: bool = True,
                 name: str | None = None, dtype: Any = None, validate_shape: bool = True,
                 collections: list[str] | None = None) -> None:
        if initial_value is None:
            raise ValueError("gf.Variable needs an initial_value (an array, a tensor, or a "
                             "callable returning one)")
        graph = op_builder.graph_of(initial_value)
        with graph.as_default(), graph.name_scope(name or "Variable") as scope:
            if callable(initial_value):
                initial_value = initial_value()
            init = op_builder.convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            shape = init.shape
            if validate_shape and not shape.is_fully_defined():
                raise ValueError(f"gf.Variable '{scope[:-1]}': the initial value has shape "
                                 f"{shape}, which is not fully defined. Give a value of known "
                                 "shape, or pass validate_shape=False")
            self._variable = graph.create_op(
                "VariableV2", [], {"shape": shape if validate_shape else TensorShape(None),
                                   "dtype": init.dtype, "container": "", "shared_name": ""},
                name=scope).outputs[0]
            self._initializer_op = state_ops.assign(
                self._variable, init, validate_shape=validate_shape, name="Assign").op
            self._snapshot = array_ops.identity(self._variable, name="read")
        self._initial_value = init
        self._trainable = trainable
        keys = list(collections) if collections is not None else [GraphKeys.GLOBAL_VARIABLES]
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in keys:
            keys.append(GraphKeys.TRAINABLE_VARIABLES)
        for key in keys:
            graph.add_to_collection(key, self)

    # -- identity --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._variable.name

    @property
    def op(self) -> Operation:
        return self._variable.op

    @property
    def graph(self) -> Graph:
        return self._variable.graph

    @property
    def dtype(self) -> dtypes.DType:
        return self._variable.dtype

    @property
    def shape(self) -> TensorShape:
        return self._variable.shape

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def initializer(self) -> Operation:
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    @property
    def device(self) -> str:
        return ""

    def value(self) -> Tensor:
        """The ``<name>/read`` tensor consumers use."""
        return self._snapshot

    def read_value(self) -> Tensor:
        return self._snapshot

    def _as_graph_element(self) -> Tensor:
        return self._variable

    def _gradient_target(self) -> Tensor:
        return self._variable

    # -- updates ---------------------------------------------------------------------------
    def assign(self, value: Any, use_locking: bool = False, name: str | None = None) -> Tensor:
        return state_ops.assign(self, value, use_locking=use_locking, name=name)

    def assign_add(self, delta: Any, use_locking: bool = False, name: str | None = None
                   ) -> Tensor:
        return state_ops.assign_add(self, delta, use_locking=use_locking, name=name)

    def assign_sub(self, delta: Any, use_locking: bool = False, name: str | None = None
                   ) -> Tensor:
        return state_ops.assign_sub(self, delta, use_locking=use_locking, name=name)

    def eval(self, session: Any = None) -> np.ndarray:
        return self._variable.eval(session=session)

    def load(self, value: Any, session: Any = None) -> None:
        """Write ``value`` into this variable's storage in ``session`` without graph ops."""
        sess = default_session_for(session, self._variable)
        array = np.array(value, dtype=self.dtype.np_dtype, copy=True)
        if not self.shape.is_compatible_with(array.shape):
            raise ValueError(f"cannot load a value of shape {array.shape} into variable "
                             f"'{self.op.name}' of shape {self.shape}")
        sess.resources.cell(self.op.get_attr("shared_name") or self.op.name).value = array

    def __repr__(self) -> str:
        return f"<gf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


def _convert_variable(v: Variable, dtype: Any = None, name: str | None = None) -> Tensor:
    return v.value()


op_builder.register_tensor_conversion_function(Variable, _convert_variable)


def _delegate(operator: str) -> Any:
    def method(self: Variable, *args: Any) -> Any:
        return getattr(self.value(), operator)(*args)
    method.__name__ = operator
    return method


for _op in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
            "__truediv__", "__rtruediv__", "__matmul__", "__rmatmul__", "__neg__", "__pow__",
            "__rpow__", "__lt__", "__le__", "__gt__", "__ge__", "__getitem__", "__abs__"):
    setattr(Variable, _op, _delegate(_op))


def global_variables(graph: Graph | None = None) -> list[Variable]:
    """``tf.global_variables``: the variables of ``graph`` (default: the default
    graph), in creation order."""
    return (graph or get_default_graph()).get_collection(GraphKeys.GLOBAL_VARIABLES)


def trainable_variables(graph: Graph | None = None) -> list[Variable]:
    """``tf.trainable_variables``: the variables of ``graph`` created with
    ``trainable=True`` (what optimizers update by default)."""
    return (graph or get_default_graph()).get_collection(GraphKeys.TRAINABLE_VARIABLES)


def variables_initializer(var_list: list[Variable], name: str = "init") -> Operation:
    """One op running every variable's initializer (a NoOp with control inputs)."""
    if not var_list:
        return state_ops.no_op(name=name)
    return state_ops.group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    """``tf.global_variables_initializer()``: initializes every global variable."""
    return variables_initializer(global_variables(), name="init")
