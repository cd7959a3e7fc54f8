"""Momentum: accum = momentum * accum + grad; var -= learning_rate * accum."""

from __future__ import annotations

from typing import Any

from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Tensor
from graphflow.ops import op_builder, state_ops
from graphflow.train.optimizer import Optimizer


class MomentumOptimizer(Optimizer):
    """``tf.train.MomentumOptimizer(learning_rate, momentum, use_locking=False,
    name="Momentum", use_nesterov=False)``; slot ``<var>/Momentum``."""

    def __init__(self, learning_rate: Any, momentum: Any, use_locking: bool = False,
                 name: str = "Momentum", use_nesterov: bool = False) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _attrs(self, var: Any) -> dict[str, Any]:
        return {"T": var.dtype, "use_locking": self._use_locking,
                "use_nesterov": self._use_nesterov}

    def _apply_dense(self, grad: Tensor, var: Any) -> Any:
        accum = self._slot(var, "momentum")
        return op_builder.apply("ApplyMomentum",
                                [state_ops.as_ref(var), state_ops.as_ref(accum),
                                 self._hyper("learning_rate", self._learning_rate, var), grad,
                                 self._hyper("momentum", self._momentum, var)], self._attrs(var))

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Any:
        accum = self._slot(var, "momentum")
        attrs = {**self._attrs(var), "Tindices": grad.indices.dtype}
        return op_builder.apply("SparseApplyMomentum",
                                [state_ops.as_ref(var), state_ops.as_ref(accum),
                                 self._hyper("learning_rate", self._learning_rate, var),
                                 grad.values, grad.indices,
                                 self._hyper("momentum", self._momentum, var)], attrs)
