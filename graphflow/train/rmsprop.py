"""RMSProp (TF1's ``tf.train.RMSPropOptimizer``): ms = decay ms + (1 - decay) g^2;
mom = momentum mom + lr g / sqrt(ms + epsilon); var -= mom (centered: the denominator uses
ms - mg^2 with mg the running mean of g). Update ops ApplyRMSProp / ApplyCenteredRMSProp
and their sparse variants for IndexedSlices gradients (``training_ops``)."""

from __future__ import annotations

from typing import Any

from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Tensor
from graphflow.ops import op_builder, state_ops
from graphflow.train.optimizer import Optimizer


class RMSPropOptimizer(Optimizer):
    """``tf.train.RMSPropOptimizer(learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
    use_locking=False, centered=False, name="RMSProp")``; slots ``rms`` (starting at ones,
    as TF1), ``momentum`` and, when centered, ``mg``."""

    def __init__(self, learning_rate: Any, decay: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-10, use_locking: bool = False, centered: bool = False,
                 name: str = "RMSProp") -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._filled_slot(v, "rms", self._name, 1.0)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _inputs(self, var: Any) -> tuple[list[Tensor], list[Tensor]]:
        refs = [state_ops.as_ref(var)]
        if self._centered:
            refs.append(state_ops.as_ref(self._slot(var, "mg")))
        refs += [state_ops.as_ref(self._slot(var, "rms")),
                 state_ops.as_ref(self._slot(var, "momentum"))]
        hyper = [self._hyper("learning_rate", self._learning_rate, var),
                 self._hyper("decay", self._decay, var),
                 self._hyper("momentum", self._momentum, var),
                 self._hyper("epsilon", self._epsilon, var)]
        return refs, hyper

    def _apply_dense(self, grad: Tensor, var: Any) -> Any:
        refs, hyper = self._inputs(var)
        op = "ApplyCenteredRMSProp" if self._centered else "ApplyRMSProp"
        return op_builder.apply(op, [*refs, *hyper, grad],
                                {"T": var.dtype, "use_locking": self._use_locking})

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Any:
        refs, hyper = self._inputs(var)
        op = "SparseApplyCenteredRMSProp" if self._centered else "SparseApplyRMSProp"
        return op_builder.apply(op, [*refs, *hyper, grad.values, grad.indices],
                                {"T": var.dtype, "Tindices": grad.indices.dtype,
                                 "use_locking": self._use_locking})
