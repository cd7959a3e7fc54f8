"""``Optimizer``: TF1's base class. ``minimize`` = ``compute_gradients`` (the gradient pass)
+ ``apply_gradients`` (one update op per variable, emitted into the graph, grouped into a
single Operation that one ``Session.run`` executes).

Stages of ``apply_gradients``:
  1. drop (None, var) pairs; fail clearly if no variable has a gradient;
  2. create slot variables (e.g. ``W/Adam``) outside any control-dependency context;
  3. under the ``<name>/`` scope (where hyper-parameter constants are made), per variable
     ``update_<var>/``: a dense update op, or for ``IndexedSlices`` gradients (embedding
     rows) a sparse update that touches only the looked-up rows;
  4. ``_finish`` groups the updates (Adam also advances its beta powers) and, with a
     ``global_step``, increments it after all updates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.compiler.gradients import gradients
from graphflow.framework.graph import GraphKeys, get_default_graph
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import (
    array_ops,
    gather_ops,
    linalg_ops,
    op_builder,
    set_ops,
    state_ops,
    variables,
)
from graphflow.ops.variables import Variable

Grad = Tensor | IndexedSlices


class Optimizer:
    """Base class; subclasses implement ``_apply_dense`` and ``_apply_sparse``."""

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    def __init__(self, use_locking: bool, name: str) -> None:
        if not name:
            raise ValueError("an optimizer needs a non-empty name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict[str, Variable]] = {}
        self._non_slot: dict[str, Variable] = {}
        self._hyper_cache: dict[Any, Tensor] = {}  # reset by each apply_gradients

    def get_name(self) -> str:
        return self._name

    # -- public API --------------------------------------------------------------------
    def compute_gradients(self, loss: Tensor, var_list: list[Any] | None = None,
                          gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                          colocate_gradients_with_ops: bool = False,
                          grad_loss: Tensor | None = None) -> list[tuple[Grad | None, Any]]:
        """Symbolic gradients of ``loss`` for each variable: a list of (gradient, variable)."""
        if not isinstance(loss, Tensor):
            raise TypeError(f"loss must be a gf.Tensor, got {type(loss).__name__}")
        var_list = list(var_list) if var_list is not None else \
            variables.trainable_variables(loss.graph)
        if not var_list:
            raise ValueError("no variables to optimize: create trainable gf.Variables or pass "
                             "var_list")
        grads = gradients([loss], var_list, grad_ys=None if grad_loss is None else [grad_loss])
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars: Any, global_step: Any = None,
                        name: str | None = None) -> Operation:
        """Emit the update ops; returns the Operation that applies them all."""
        pairs = [(g, v) for g, v in grads_and_vars]
        with_grads = [(g, v) for g, v in pairs if g is not None]
        if not with_grads:
            names = ", ".join(v.op.name for _, v in pairs)
            raise ValueError(f"no gradients provided for any variable: check that the loss "
                             f"depends on the variables ({names}) through differentiable ops")
        var_list = [v for _, v in with_grads]
        graph = var_list[0].graph
        with graph.as_default(), graph.control_dependencies(None):
            self._create_slots(var_list)
        with graph.as_default(), graph.name_scope(name or self._name) as scope:
            self._hyper_cache = {}
            updates = []
            for g, v in with_grads:
                with graph.name_scope(f"update_{v.op.name}"):
                    if isinstance(g, IndexedSlices):
                        updates.append(self._apply_sparse_duplicate_indices(g, v))
                    else:
                        g = op_builder.convert_to_tensor(g)
                        updates.append(self._apply_dense(g, v))
            train = self._finish(updates, scope)  # "Adam/" -> the op is named exactly "Adam"
            if global_step is not None:
                with graph.control_dependencies([train]):
                    train = state_ops.assign_add(global_step, np.ones((), dtype=np.int64)
                                                 .astype(global_step.dtype.np_dtype),
                                                 name="global_step_update").op
        graph.add_to_collection(GraphKeys.TRAIN_OP, train)
        return train

    def minimize(self, loss: Tensor, global_step: Any = None, var_list: list[Any] | None = None,
                 gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                 colocate_gradients_with_ops: bool = False, name: str | None = None,
                 grad_loss: Tensor | None = None) -> Operation:
        """``compute_gradients`` then ``apply_gradients``: one op that takes a training step."""
        pairs = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in pairs):
            names = ", ".join(v.op.name for _, v in pairs)
            raise ValueError(f"no gradients provided for any variable: loss '{loss.name}' does "
                             f"not depend on [{names}] through differentiable ops")
        return self.apply_gradients(pairs, global_step=global_step, name=name)

    def get_slot_names(self) -> list[str]:
        return sorted(self._slots)

    def get_slot(self, var: Any, name: str) -> Variable | None:
        return self._slots.get(name, {}).get(var.op.name)

    def variables(self) -> list[Variable]:
        slots = [v for per in self._slots.values() for v in per.values()]
        return list(self._non_slot.values()) + slots

    # -- hooks for subclasses ---------------------------------------------------------------
    def _create_slots(self, var_list: list[Any]) -> None:
        """Create per-variable state (e.g. Adam's moments); none by default."""

    def _apply_dense(self, grad: Tensor, var: Any) -> Any:
        raise NotImplementedError

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Any:
        raise NotImplementedError

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices, var: Any) -> Any:
        """Sum rows with the same index first (Unique + UnsortedSegmentSum), as TF1 does."""
        return self._apply_sparse(deduplicate(grad), var)

    def _finish(self, update_ops: list[Any], name: str) -> Operation:
        return state_ops.group(*update_ops, name=name)

    # -- helpers ----------------------------------------------------------------------------
    def _zeros_slot(self, var: Any, slot_name: str, op_name: str) -> Variable:
        return self._filled_slot(var, slot_name, op_name, 0.0)

    def _filled_slot(self, var: Any, slot_name: str, op_name: str, value: float) -> Variable:
        """The slot ``slot_name`` of ``var``, made once, filled with ``value`` (RMSProp's
        ``rms`` starts at ones, Adagrad's accumulator at its initial value)."""
        per = self._slots.setdefault(slot_name, {})
        if var.op.name not in per:
            filled = np.full(var.shape.as_list(), value, dtype=var.dtype.np_dtype)
            per[var.op.name] = Variable(filled, trainable=False,
                                        name=f"{var.op.name}/{op_name}")
        return per[var.op.name]

    def _slot(self, var: Any, name: str) -> Variable:
        """The slot ``name`` of ``var``, which ``_create_slots`` made."""
        slot = self.get_slot(var, name)
        if slot is None:
            raise KeyError(f"{type(self).__name__} has no slot '{name}' for variable "
                           f"'{var.op.name}' (slots are made by _create_slots)")
        return slot

    def _non_slot_variable(self, name: str, initial: float, like: Any) -> Variable:
        if name not in self._non_slot:
            graph = like.graph
            with graph.as_default(), graph.control_dependencies(None), \
                    graph.name_scope(None):
                self._non_slot[name] = Variable(
                    np.asarray(initial, dtype=like.dtype.np_dtype), trainable=False, name=name)
        return self._non_slot[name]

    def _hyper(self, name: str, value: Any, var: Any) -> Tensor:
        """Hyper-parameter ``name`` as a tensor of ``var``'s dtype, made once per dtype inside
        the optimizer's name scope. Python numbers become constants of that dtype directly
        (so float64 variables get a float64 learning rate, not a rounded float32 one)."""
        cache = self._hyper_cache
        key = (name, var.dtype)
        if key not in cache:
            if isinstance(value, Tensor):
                cache[key] = linalg_ops.cast(value, var.dtype)
            else:
                cache[key] = op_builder.constant(value, dtype=var.dtype, name=name)
        return cache[key]


def deduplicate(grad: IndexedSlices) -> IndexedSlices:
    """Rows with equal indices summed: (unique indices, summed values)."""
    unique_indices, positions = set_ops.unique(grad.indices)
    n = array_ops.size(unique_indices)
    summed = gather_ops.unsorted_segment_sum(grad.values, positions, n)
    return IndexedSlices(summed, unique_indices, grad.dense_shape, grad.shape)


def get_global_step(graph: Any = None) -> Variable | None:
    """``tf.train.get_global_step``: the graph's global step variable, or None
    when it has none."""
    items = (graph or get_default_graph()).get_collection(GraphKeys.GLOBAL_STEP)
    return items[0] if items else None


def create_global_step(graph: Any = None) -> Variable:
    """``tf.train.create_global_step``: create the graph's int64 global step
    variable (0); an error if it exists already."""
    g = graph or get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError("a global step already exists in this graph")
    with g.as_default(), g.name_scope(None):
        step = Variable(np.zeros((), np.int64), trainable=False, name="global_step",
                                  collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])
    return step


def get_or_create_global_step(graph: Any = None) -> Variable:
    """``tf.train.get_or_create_global_step``: the global step,
    created first if the graph has none."""
    return get_global_step(graph) or create_global_step(graph)
