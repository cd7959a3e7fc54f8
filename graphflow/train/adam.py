"""Adam (Kingma & Ba): bias-corrected first and second moment estimates."""

from __future__ import annotations

from typing import Any

from graphflow.framework.graph import get_default_graph
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import linalg_ops, math_ops, op_builder, state_ops
from graphflow.train.optimizer import Optimizer


class AdamOptimizer(Optimizer):
    """``tf.train.AdamOptimizer(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08,
    use_locking=False, name="Adam")``; slots ``<var>/Adam`` (m) and ``<var>/Adam_1`` (v),
    plus the shared ``beta1_power``/``beta2_power`` variables."""

    def __init__(self, learning_rate: Any = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, use_locking: bool = False, name: str = "Adam") -> None:
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def _create_slots(self, var_list: list[Any]) -> None:
        first = min(var_list, key=lambda v: v.op.name)
        self._non_slot_variable("beta1_power", self._beta1, first)
        self._non_slot_variable("beta2_power", self._beta2, first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", f"{self._name}_1")

    def _hypers(self, var: Any) -> list[Tensor]:
        return [self._hyper("learning_rate", self._lr, var), self._hyper("beta1", self._beta1, var),
                self._hyper("beta2", self._beta2, var), self._hyper("epsilon", self._epsilon, var)]

    def _powers(self, var: Any) -> tuple[Tensor, Tensor]:
        b1, b2 = self._non_slot["beta1_power"], self._non_slot["beta2_power"]
        return linalg_ops.cast(b1.value(), var.dtype), linalg_ops.cast(b2.value(), var.dtype)

    def _apply_dense(self, grad: Tensor, var: Any) -> Any:
        m, v = self._slot(var, "m"), self._slot(var, "v")
        b1p, b2p = self._powers(var)
        ins = [state_ops.as_ref(var), state_ops.as_ref(m), state_ops.as_ref(v), b1p, b2p,
               *self._hypers(var), grad]
        return op_builder.apply("ApplyAdam", ins, {"T": var.dtype,
                                                   "use_locking": self._use_locking,
                                                   "use_nesterov": False})

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Any:
        """TF1's sparse Adam: m and v decay everywhere, then the rows' updates are
        scatter-added; var -= lr_t * m / (sqrt(v) + eps)."""
        graph = get_default_graph()
        m, v = self._slot(var, "m"), self._slot(var, "v")
        b1p, b2p = self._powers(var)
        lr, b1, b2, eps = self._hypers(var)
        one = op_builder.constant(1, dtype=var.dtype)
        lr_t = math_ops.multiply(lr, math_ops.truediv(math_ops.sqrt(math_ops.subtract(one, b2p)),
                                                      math_ops.subtract(one, b1p)))
        m_decayed = state_ops.assign(m, math_ops.multiply(m.value(), b1))
        with graph.control_dependencies([m_decayed]):
            m_t = state_ops.scatter_add(m, grad.indices, math_ops.multiply(
                grad.values, math_ops.subtract(one, b1)))
        v_decayed = state_ops.assign(v, math_ops.multiply(v.value(), b2))
        with graph.control_dependencies([v_decayed]):
            v_t = state_ops.scatter_add(v, grad.indices, math_ops.multiply(
                math_ops.square(grad.values), math_ops.subtract(one, b2)))
        step = math_ops.truediv(math_ops.multiply(lr_t, m_t),
                                math_ops.add(math_ops.sqrt(v_t), eps))
        update = state_ops.assign_sub(var, step)
        return state_ops.group(update, m_t, v_t)

    def _finish(self, update_ops: list[Any], name: str) -> Operation:
        """After every update: beta1_power *= beta1, beta2_power *= beta2."""
        graph = get_default_graph()
        b1, b2 = self._non_slot["beta1_power"], self._non_slot["beta2_power"]
        with graph.control_dependencies(update_ops):
            u1 = state_ops.assign(b1, math_ops.multiply(b1.value(),
                                                        self._hyper("beta1", self._beta1, b1)))
            u2 = state_ops.assign(b2, math_ops.multiply(b2.value(),
                                                        self._hyper("beta2", self._beta2, b2)))
        return state_ops.group(*update_ops, u1, u2, name=name)
