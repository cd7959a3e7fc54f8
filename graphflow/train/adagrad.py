"""Adagrad (TF1's ``tf.train.AdagradOptimizer``): accum += g^2; var -= lr g / sqrt(accum),
the accumulator starting at ``initial_accumulator_value``. Update ops ApplyAdagrad and
SparseApplyAdagrad (``training_ops``)."""

from __future__ import annotations

from typing import Any

from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Tensor
from graphflow.ops import op_builder, state_ops
from graphflow.train.optimizer import Optimizer


class AdagradOptimizer(Optimizer):
    """``tf.train.AdagradOptimizer(learning_rate, initial_accumulator_value=0.1,
    use_locking=False, name="Adagrad")``; slot ``accumulator``."""

    def __init__(self, learning_rate: Any, initial_accumulator_value: float = 0.1,
                 use_locking: bool = False, name: str = "Adagrad") -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive, got "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._filled_slot(v, "accumulator", self._name, self._initial)

    def _apply_dense(self, grad: Tensor, var: Any) -> Any:
        accum = self._slot(var, "accumulator")
        return op_builder.apply("ApplyAdagrad",
                                [state_ops.as_ref(var), state_ops.as_ref(accum),
                                 self._hyper("learning_rate", self._learning_rate, var), grad],
                                {"T": var.dtype, "use_locking": self._use_locking,
                                 "update_slots": True})

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Any:
        accum = self._slot(var, "accumulator")
        return op_builder.apply("SparseApplyAdagrad",
                                [state_ops.as_ref(var), state_ops.as_ref(accum),
                                 self._hyper("learning_rate", self._learning_rate, var),
                                 grad.values, grad.indices],
                                {"T": var.dtype, "Tindices": grad.indices.dtype,
                                 "use_locking": self._use_locking, "update_slots": True})
