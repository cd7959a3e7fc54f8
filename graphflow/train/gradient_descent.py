"""Plain stochastic gradient descent: var -= learning_rate * grad."""

from __future__ import annotations

from typing import Any

from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Tensor
from graphflow.ops import math_ops, op_builder, state_ops
from graphflow.train.optimizer import Optimizer


class GradientDescentOptimizer(Optimizer):
    """``tf.train.GradientDescentOptimizer(learning_rate, use_locking=False, name=...)``."""

    def __init__(self, learning_rate: Any, use_locking: bool = False,
                 name: str = "GradientDescent") -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad: Tensor, var: Any) -> Any:
        lr = self._hyper("learning_rate", self._learning_rate, var)
        return op_builder.apply("ApplyGradientDescent", [state_ops.as_ref(var), lr, grad],
                                {"T": var.dtype, "use_locking": self._use_locking})

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices, var: Any) -> Any:
        """Sparse SGD needs no de-duplication: ScatterSub sums duplicate rows itself.
        var[indices[i]] -= learning_rate * values[i] touches only the looked-up rows."""
        lr = self._hyper("learning_rate", self._learning_rate, var)
        delta = math_ops.multiply(grad.values, lr)
        return state_ops.scatter_sub(var, grad.indices, delta)
