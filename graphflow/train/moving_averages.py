"""``gf.train.ExponentialMovingAverage``: TF1's shadow copies of variables, updated in-graph.

``ema = ExponentialMovingAverage(decay, num_updates=None, zero_debias=False)``;
``ema.apply(var_list)`` creates, per variable ``v``, a shadow variable
``<v>/ExponentialMovingAverage`` (not trainable, in ``GLOBAL_VARIABLES``; ``v`` joins the
``moving_average_variables`` collection) initialised to ``v``'s initial value, and returns one
op that updates every shadow once:

    shadow -= (1 - decay) * (shadow - v)        # an AssignSub per variable

With ``num_updates`` (e.g. the global step) the decay of each update is
``min(decay, (1 + num_updates) / (10 + num_updates))``, so early averages follow the variables
closely (a variable such as the global step is read when the update runs, so after an
optimizer step under ``control_dependencies`` it is that step's incremented value). A
``Tensor`` in ``var_list`` gets a zero-initialised shadow; with ``zero_debias`` its
average is divided by ``1 - decay ** t`` after t updates (TF's ``_zero_debias``: variables
``<shadow>/biased`` and ``<shadow>/local_step``). ``average(v)`` is the shadow,
``average_name(v)`` its name (what a checkpoint of averages stores), ``variables_to_restore()``
maps shadow names to the variables, so ``Saver(ema.variables_to_restore()).restore(...)``
loads averages into the model's own variables (e.g. for evaluation or export).

The usual training step: ``with gf.control_dependencies([opt_op]): train_op =
ema.apply(vars)``. Each update reads the variable through a fresh read op made inside
``apply`` (under the caller's control dependencies), so it averages the value *after* that
step's optimizer update — resource-variable semantics; TF1's reference variables read the
step's shared ``<v>/read`` snapshot instead. Everything is graphflow ops, so the graph is a
TensorFlow graph (``AssignSub``, ``Minimum``, ``Cast`` ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.graph import Graph, GraphKeys, get_default_graph
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import array_ops, linalg_ops, math_ops, op_builder, state_ops
from graphflow.ops.variables import Variable, global_variables, trainable_variables

__all__ = ["ExponentialMovingAverage", "MOVING_AVERAGE_VARIABLES", "assign_moving_average",
           "moving_average_variables"]

#: TF1's ``tf.GraphKeys.MOVING_AVERAGE_VARIABLES``: variables that have a moving average.
MOVING_AVERAGE_VARIABLES = GraphKeys.MOVING_AVERAGE_VARIABLES
_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def moving_average_variables(graph: Graph | None = None) -> list[Variable]:
    """``tf.moving_average_variables``: the variables ``ExponentialMovingAverage.apply``
    made an average of, in order."""
    return (graph or get_default_graph()).get_collection(MOVING_AVERAGE_VARIABLES)


def _read(value: Any) -> Tensor:
    """A tensor of ``value``; for a variable a fresh read of its storage (so the read runs
    under the current control dependencies)."""
    if isinstance(value, Variable):
        return array_ops.identity(value.op.outputs[0])
    return op_builder.convert_to_tensor(value)


def assign_moving_average(variable: Variable, value: Any, decay: Any,
                          zero_debias: bool = True, name: str | None = None) -> Tensor:
    """``variable -= (1 - decay) * (variable - value)`` (TF's ``assign_moving_average``);
    with ``zero_debias`` (TF's default here) the update goes to a zero-started biased copy
    and ``variable`` becomes ``biased / (1 - decay ** t)`` after ``t`` updates. Returns the
    updated value."""
    graph = variable.graph
    with graph.as_default(), graph.name_scope(name or "AssignMovingAvg") as scope:
        one_minus = linalg_ops.cast(math_ops.subtract(1.0, decay), variable.dtype,
                                    name="decay")
        value = _read(value)
        if not zero_debias:
            delta = math_ops.multiply(math_ops.subtract(variable.value(), value), one_minus)
            return state_ops.assign_sub(variable, delta, name=scope)
        return _zero_debias(variable, value, one_minus, scope)


def _zero_debias(unbiased: Variable, value: Tensor, one_minus: Tensor, name: str) -> Tensor:
    """TF's ``_zero_debias``: ``biased -= (1 - decay) * (biased - value)``, ``t += 1``,
    ``unbiased = biased / (1 - decay ** t)``."""
    graph = unbiased.graph
    shape = unbiased.shape.as_list()
    with graph.control_dependencies(None), graph.name_scope(None):
        biased = Variable(np.zeros(shape, unbiased.dtype.np_dtype), trainable=False,
                          name=f"{unbiased.op.name}/biased")
        step = Variable(np.zeros((), unbiased.dtype.np_dtype), trainable=False,
                        name=f"{unbiased.op.name}/local_step")
    update_biased = state_ops.assign_sub(
        biased, math_ops.multiply(math_ops.subtract(biased.value(), value), one_minus))
    update_step = state_ops.assign_add(step, np.ones((), unbiased.dtype.np_dtype))
    bias_factor = math_ops.subtract(1.0, math_ops.pow(math_ops.subtract(1.0, one_minus),
                                                      update_step))
    return state_ops.assign(unbiased, math_ops.truediv(update_biased, bias_factor), name=name)


class ExponentialMovingAverage:
    """``tf.train.ExponentialMovingAverage`` (TF1): see the module docstring."""

    def __init__(self, decay: float, num_updates: Any = None, zero_debias: bool = False,
                 name: str = "ExponentialMovingAverage") -> None:
        if not name:
            raise ValueError("an ExponentialMovingAverage needs a non-empty name")
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages: dict[int, Variable] = {}  # id(var or tensor) -> its shadow
        self._debiased: set[int] = set()  # id(shadow) of zero-debiased tensor averages
        self._keep: list[Any] = []  # the keys' objects, so that their ids stay theirs

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list: list[Any] | None = None) -> Operation:
        """Create the shadows of ``var_list`` (default: the trainable variables) and return
        the op that updates them all once. Float variables/tensors only (``TypeError``); a
        variable averaged twice is a ``ValueError``."""
        items = list(trainable_variables() if var_list is None else var_list)
        if not items:
            raise ValueError("ExponentialMovingAverage.apply: no variables to average "
                             "(var_list is empty and the graph has no trainable variables)")
        for item in items:
            dtype = item.dtype.base_dtype
            if dtype not in _FLOATS:
                raise TypeError(f"The variables must be half, float, or double: "
                                f"{item.name} is {dtype.name}")
            if id(item) in self._averages:
                raise ValueError(f"Moving average already computed for: {item.name}")
        graph = op_builder.graph_of(*[i.value() if isinstance(i, Variable) else i
                                      for i in items])
        with graph.as_default():
            for item in items:
                self._averages[id(item)] = self._make_shadow(graph, item)
                self._keep.append(item)
            with graph.name_scope(self._name) as scope:
                # the group op is the scope's own name, as in TF (``name=scope``)
                decay: Tensor = op_builder.convert_to_tensor(np.float32(self._decay),
                                                             name="decay")
                if self._num_updates is not None:
                    n = linalg_ops.cast(_read(self._num_updates), dtypes.float32,
                                        name="num_updates")
                    decay = math_ops.minimum(
                        decay, math_ops.truediv(math_ops.add(1.0, n), math_ops.add(10.0, n)))
                updates = []
                for item in items:
                    avg = self._averages[id(item)]
                    updates.append(assign_moving_average(
                        avg, item, decay, zero_debias=id(avg) in self._debiased))
                return state_ops.group(*updates, name=scope)

    def _make_shadow(self, graph: Graph, item: Any) -> Variable:
        """``<name>/<self.name>``: a variable's shadow starts at its initial value, a
        tensor's at zeros; made outside control dependencies and name scopes."""
        op_name = item.op.name
        with graph.control_dependencies(None), graph.name_scope(None):
            if isinstance(item, Variable):
                shadow = Variable(array_ops.identity(item.initial_value), trainable=False,
                                  name=f"{op_name}/{self._name}")
                graph.add_to_collection(MOVING_AVERAGE_VARIABLES, item)
                return shadow
            shape = item.shape
            if not shape.is_fully_defined():
                raise ValueError(f"ExponentialMovingAverage.apply: tensor '{item.name}' has "
                                 f"shape {shape}, which is not fully defined")
            shadow = Variable(np.zeros(shape.as_list(), item.dtype.np_dtype), trainable=False,
                              name=f"{op_name}/{self._name}")
            if self._zero_debias:
                self._debiased.add(id(shadow))
            return shadow

    def average(self, var: Any) -> Variable | None:
        """The shadow variable of ``var`` (None if ``apply`` did not average it)."""
        return self._averages.get(id(var))

    def average_name(self, var: Any) -> str:
        """The name of ``var``'s shadow: its op name, or for a variable not averaged yet the
        name ``apply`` would give it (``<var>/<self.name>``)."""
        avg = self.average(var)
        if avg is not None:
            return avg.op.name
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables: list[Variable] | None = None
                             ) -> dict[str, Variable]:
        """``{average_name(v): v}`` for ``moving_avg_variables`` (default: the trainable
        variables and ``moving_average_variables()``), plus ``{name: v}`` for every other
        global variable: a ``Saver`` of this dict restores averages into the variables."""
        if moving_avg_variables is None:
            chosen = trainable_variables() + moving_average_variables()
        else:
            chosen = list(moving_avg_variables)
        unique = list({id(v): v for v in chosen}.values())
        name_map = {self.average_name(v): v for v in unique}
        chosen_names = {v.name for v in unique}
        for v in global_variables():
            if v.name not in chosen_names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map
