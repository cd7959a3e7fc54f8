"""Activations with their fused gradient ops: Tanh/TanhGrad, Sigmoid/SigmoidGrad,
Relu/ReluGrad, Softplus, Softsign, LeakyRelu/LeakyReluGrad, Elu/EluGrad and Relu6/Relu6Grad.
Each fused gradient op (TF's op types) has a gradient of its own, so second-order gradients
work. Records with their TF1-named builders; ``graphflow.nn`` re-exports the activations as
``gf.nn`` (and ``tanh``/``sigmoid`` are also ``gf.tanh``/``gf.sigmoid``). Each gradient
docstring states its math.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import array_ops, comparison_ops, linalg_ops, math_ops, op_builder
from graphflow.ops.op_base import (
    FLOAT,
    NUMERIC,
    SameShapeBinary,
    Unary,
    bind_out,
    can_write_out,
    elementwise_row_inputs,
    fold,
    one_shape_inputs,
    same_shape_kernel,
)

# ----------------------------------------------------------------------------------------
# Tanh, Sigmoid: gradients read the forward output
# ----------------------------------------------------------------------------------------


@register
class Tanh(Unary):
    """y = tanh(x)."""

    op_type = "Tanh"
    fn = staticmethod(np.tanh)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d tanh(x) = g * (1 - y^2)  (TanhGrad reads the forward output y)."""
        return [op_builder.apply1("TanhGrad", [op.outputs[0], g], {"T": g.dtype})]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; two branches keep full precision on both sides of 0.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


@register
class Sigmoid(Unary):
    """y = 1 / (1 + e^-x), computed without overflow."""

    op_type = "Sigmoid"
    fn = staticmethod(_sigmoid)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d sigmoid(x) = g * y * (1 - y)  (SigmoidGrad reads the forward output y)."""
        return [op_builder.apply1("SigmoidGrad", [op.outputs[0], g], {"T": g.dtype})]


# -- fused gradient kernels (TF op types), with their own gradients for higher order -----


class _ActivationGrad(SameShapeBinary):
    """Element-wise ``f(y, dy)`` used by activation gradients; inputs (y, dy), one shape."""

    input_names = ("y", "dy")
    domain = FLOAT

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        return elementwise_row_inputs(ctx)  # element by element, in blocks or not


#: TanhGrad may also write over dy when dy dies there and y does not (a plan whose inter-op
#: schedule reads y later, for dU = h^T @ delta): it then goes through blocks of rows,
#: 1 - y^2 of a block in a small work array and the block's product into dy's buffer — the
#: same bits as ``fn`` — instead of a third array the size of y (~1.1 vs ~0.4 ms for
#: (2048, 200) inside the window step: three arrays of 1.6 MB do not stay in cache). Off: y
#: only (``inplace_inputs`` is read when a plan's memory is planned).
TANH_GRAD_OVER_DY = True
_BLOCK_BYTES = 1 << 19  # the blocks of rows: ~0.5 MB (with y's and the work array's, in L2)


def _row_blocks(out: np.ndarray) -> tuple[int, list[tuple[int, int]]]:
    """Rows per block of ~``_BLOCK_BYTES`` of ``out`` (at least one) and each block's
    (start, stop)."""
    rows = max(1, min(out.shape[0], _BLOCK_BYTES // max(out.nbytes // out.shape[0], 1)))
    return rows, [(start, min(start + rows, out.shape[0]))
                  for start in range(0, out.shape[0], rows)]


@register
class TanhGrad(_ActivationGrad):
    """z = dy * (1 - y^2)."""

    op_type = "TanhGrad"

    @property
    def inplace_inputs(self) -> tuple[int, ...]:  # type: ignore[override]
        """y: ``fn_into`` reads all of y before it writes (and all of dy after); dy: the
        kernel's blocks read each block of dy before writing it."""
        return (0, 1) if TANH_GRAD_OVER_DY else (0,)

    @staticmethod
    def fn(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return dy * (1 - y * y)

    @staticmethod
    def fn_into(y: np.ndarray, dy: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``fn`` computed in the planned buffer, with no temporaries."""
        np.multiply(y, y, out=out)
        np.subtract(1, out, out=out)
        return np.multiply(out, dy, out=out)

    def unchecked_kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        out = ctx.out[0]
        if out is None or out.ndim == 0 or out.size == 0:  # nothing to go through in blocks
            return bind_out(self, ctx)
        rows, bounds = _row_blocks(out)
        into = self.fn_into
        work: list[np.ndarray] = []  # made on the first run over dy (plans over y need none)

        def tanh_grad_into(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
            if not np.may_share_memory(out, dy):  # out is y's buffer, or a buffer of its own
                return into(y, dy, out)
            if not work:
                work.append(ctx.scratch((rows,) + out.shape[1:], out.dtype))
            for start, stop in bounds:  # out is dy's buffer: a block of dy is read, then written
                t = work[0][:stop - start]
                np.multiply(y[start:stop], y[start:stop], out=t)
                np.subtract(1, t, out=t)
                np.multiply(t, dy[start:stop], out=out[start:stop])
            return out
        return tanh_grad_into

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy (1 - y^2)] = (g * dy * -2y, g * (1 - y^2))."""
        y, dy = op.inputs
        minus_two = op_builder.constant(-2, dtype=y.dtype, graph=op.graph)
        return [math_ops.multiply(math_ops.multiply(g, dy), math_ops.multiply(minus_two, y)),
                op_builder.apply1("TanhGrad", [y, g], {"T": g.dtype})]


@register
class SigmoidGrad(_ActivationGrad):
    """z = dy * y * (1 - y)."""

    op_type = "SigmoidGrad"
    inplace_inputs = (1,)  # the kernel reads dy first, then only y

    @staticmethod
    def fn(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return dy * y * (1 - y)

    @staticmethod
    def fn_into(y: np.ndarray, dy: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``fn`` in the planned buffer, in ``fn``'s order (the same bits; ``1 - y`` is one
        temporary — a plan's kernel keeps it as scratch instead)."""
        np.multiply(dy, y, out=out)
        return np.multiply(out, 1 - y, out=out)

    def unchecked_kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        """In the planned buffer (which may be dy's) a block of rows at a time: ``1 - y`` of
        a block in a small work array instead of one the size of y (the bits of ``fn``)."""
        out = ctx.out[0]
        if out is None or out.ndim == 0 or out.size == 0:  # nothing to go through in blocks
            return bind_out(self, ctx)
        rows, bounds = _row_blocks(out)
        work: list[np.ndarray] = []  # made on the first run

        def sigmoid_grad_into(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
            if not work:
                work.append(ctx.scratch((rows,) + out.shape[1:], out.dtype))
            if len(bounds) == 1:  # one block: no slices
                np.multiply(dy, y, out=out)
                np.subtract(1, y, out=work[0])
                return np.multiply(out, work[0], out=out)
            for start, stop in bounds:  # a block of dy is read before it is written
                t, block = work[0][:stop - start], out[start:stop]
                np.multiply(dy[start:stop], y[start:stop], out=block)
                np.subtract(1, y[start:stop], out=t)
                np.multiply(block, t, out=block)
            return out
        return sigmoid_grad_into

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy y (1 - y)] = (g * dy * (1 - 2y), g * y * (1 - y))."""
        y, dy = op.inputs
        one = op_builder.constant(1, dtype=y.dtype, graph=op.graph)
        two = op_builder.constant(2, dtype=y.dtype, graph=op.graph)
        return [math_ops.multiply(math_ops.multiply(g, dy),
                                  math_ops.subtract(one, math_ops.multiply(two, y))),
                op_builder.apply1("SigmoidGrad", [y, g], {"T": g.dtype})]


# ----------------------------------------------------------------------------------------
# Relu / ReluGrad
# ----------------------------------------------------------------------------------------


@register
class Relu(Unary):
    """y = max(features, 0)."""

    op_type = "Relu"
    input_names = ("features",)
    domain = NUMERIC

    @staticmethod
    def fn(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    @staticmethod
    def fn_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``fn`` in the planned buffer (the same ufunc call)."""
        return np.maximum(x, 0, out=out)

    inplace_inputs = (0,)  # element by element

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        return elementwise_row_inputs(ctx)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d relu(x) = g * (x > 0) = ReluGrad(g, y); y > 0 exactly where x > 0, so the rule
        reads the forward output as TensorFlow's does."""
        return [relu_grad(g, op.outputs[0])]


@register
class ReluGrad(Op):
    """backprops = gradients * (features > 0) (TF input order: gradients first)."""

    calls_blas = False

    op_type = "ReluGrad"
    input_names = ("gradients", "features")

    @staticmethod
    def fn(gradients: np.ndarray, features: np.ndarray) -> np.ndarray:
        return gradients * (features > 0)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return [TensorSpec(*one_shape_inputs(
            ctx, NUMERIC, "pass the upstream gradient of a Relu and that Relu's input or "
            "output"))]

    writes_out = True
    inplace_inputs = (0, 1)  # the mask is made whole before the product writes

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        out = ctx.out[0]
        if out is None:
            return same_shape_kernel(ctx, self.fn)
        return same_shape_kernel(ctx, lambda gradients, features: np.multiply(
            gradients, np.greater(features, 0), out=out))  # ``fn``'s ufunc calls

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        return elementwise_row_inputs(ctx)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy * (x > 0)] = (g * (x > 0), 0) = (ReluGrad(g, x), zeros_like(x)): the mask is
        piecewise constant in x."""
        features = op.inputs[1]
        return [relu_grad(g, features), array_ops.zeros_like(features)]


# ----------------------------------------------------------------------------------------
# Smooth activations (gradients built from existing ops)
# ----------------------------------------------------------------------------------------


def _softplus(x: np.ndarray) -> np.ndarray:
    # log(1 + e^x) = logaddexp(0, x): no overflow for large x, no log(1) rounding for small.
    return np.logaddexp(0, x)


@register
class Softplus(Unary):
    """y = ln(1 + e^x), computed as logaddexp(0, x)."""

    op_type = "Softplus"
    input_names = ("features",)
    fn = staticmethod(_softplus)

    @staticmethod
    def fn_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.logaddexp(0, x, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d ln(1 + e^x) = g * sigmoid(x)."""
        return [math_ops.multiply(g, sigmoid(op.inputs[0]))]


def _softsign(x: np.ndarray) -> np.ndarray:
    return x / (1 + np.abs(x))


@register
class Softsign(Unary):
    """y = x / (1 + |x|)."""

    op_type = "Softsign"
    input_names = ("features",)
    fn = staticmethod(_softsign)

    @staticmethod
    def fn_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.abs(x, out=out)
        np.add(out, 1, out=out)
        return np.divide(x, out, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d x/(1 + |x|) = g / (1 + |x|)^2."""
        x = op.inputs[0]
        one = op_builder.constant(1, dtype=x.dtype, graph=op.graph)
        return [math_ops.realdiv(g, math_ops.square(math_ops.add(one, math_ops.abs(x))))]


# ----------------------------------------------------------------------------------------
# Piecewise activations with fused gradient ops
# ----------------------------------------------------------------------------------------


def _leaky_relu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, x * alpha)


@register
class LeakyRelu(Unary):
    """y = x where x > 0, else alpha * x (attr ``alpha``, default 0.2)."""

    op_type = "LeakyRelu"
    input_names = ("features",)
    attr_defaults = {"alpha": 0.2}
    writes_out = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_dtype(0, FLOAT[1], FLOAT[0])
        alpha = float(ctx.attr("alpha"))
        return [TensorSpec(x.dtype, x.shape, fold(lambda v: _leaky_relu(v, alpha), x.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        alpha, out = float(ctx.attr("alpha")), ctx.out[0]
        if out is None:
            return lambda x: _leaky_relu(x, alpha)

        def leaky_relu_into(x: np.ndarray) -> np.ndarray:
            np.multiply(x, alpha, out=out)
            np.copyto(out, x, where=x > 0)
            return out
        return leaky_relu_into

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d leaky_relu(x) = g where x > 0, else alpha * g = LeakyReluGrad(g, x). It reads the
        input x: with alpha <= 0 the output's sign would not tell the branch."""
        return [leaky_relu_grad(g, op.inputs[0], alpha=op.get_attr("alpha"))]


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, np.expm1(np.minimum(x, 0)), x)


@register
class Elu(Unary):
    """y = x where x >= 0, else e^x - 1."""

    op_type = "Elu"
    input_names = ("features",)
    fn = staticmethod(_elu)

    @staticmethod
    def fn_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.minimum(x, 0, out=out)
        np.expm1(out, out=out)  # e^min(x, 0) - 1: never overflows, 0 where x >= 0
        np.copyto(out, x, where=x > 0)
        return out

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d elu(x) = g where y >= 0, else g * (y + 1) (= g e^x) = EluGrad(g, y): reads the
        forward output y."""
        return [elu_grad(g, op.outputs[0])]


@register
class Relu6(Unary):
    """y = min(max(x, 0), 6)."""

    op_type = "Relu6"
    input_names = ("features",)
    domain = NUMERIC

    @staticmethod
    def fn(x: np.ndarray) -> np.ndarray:
        return np.clip(x, 0, 6)

    @staticmethod
    def fn_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.clip(x, 0, 6, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d relu6(x) = g * (0 < x < 6) = Relu6Grad(g, y): 0 < y < 6 exactly where
        0 < x < 6, so the rule reads the forward output as TensorFlow's does."""
        return [relu6_grad(g, op.outputs[0])]


class _FusedGrad(Op):
    """``backprops = f(gradients, features)``, both of one dtype and shape (TF's *Grad
    activation ops); ``fn`` is the kernel, ``fn_into`` its planned-buffer form."""

    calls_blas = False

    input_names = ("gradients", "features")
    domain = FLOAT

    @staticmethod
    def fn(gradients: np.ndarray, features: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return [TensorSpec(*one_shape_inputs(
            ctx, self.domain, "pass the upstream gradient of the activation and that "
            "activation's input or output"))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return same_shape_kernel(ctx, self.unchecked_kernel(ctx))

    def unchecked_kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        """The kernel before the shape check (``fn`` into the planned buffer)."""
        return bind_out(self, ctx)

    @property
    def writes_out(self) -> bool:  # type: ignore[override]
        return can_write_out(self)


@register
class LeakyReluGrad(_FusedGrad):
    """backprops = gradients where features > 0, else alpha * gradients."""

    op_type = "LeakyReluGrad"
    attr_defaults = {"alpha": 0.2}
    writes_out = True  # type: ignore[assignment]

    def unchecked_kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        alpha, out = float(ctx.attr("alpha")), ctx.out[0]
        if out is None:
            return lambda g, f: np.where(f > 0, g, g * alpha)

        def leaky_relu_grad_into(g: np.ndarray, f: np.ndarray) -> np.ndarray:
            np.multiply(g, alpha, out=out)
            np.copyto(out, g, where=f > 0)
            return out
        return leaky_relu_grad_into

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy where x > 0 else alpha dy] = (LeakyReluGrad(g, x), 0): piecewise linear in
        dy with a mask that is piecewise constant in x."""
        features = op.inputs[1]
        return [leaky_relu_grad(g, features, alpha=op.get_attr("alpha")),
                array_ops.zeros_like(features)]


@register
class EluGrad(_FusedGrad):
    """backprops = gradients where outputs >= 0, else gradients * (outputs + 1)."""

    op_type = "EluGrad"
    input_names = ("gradients", "outputs")

    @staticmethod
    def fn(gradients: np.ndarray, outputs: np.ndarray) -> np.ndarray:
        return np.where(outputs < 0, gradients * (outputs + 1), gradients)

    @staticmethod
    def fn_into(gradients: np.ndarray, outputs: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.add(outputs, 1, out=out)
        np.minimum(out, 1, out=out)  # outputs + 1 where outputs < 0, else 1
        return np.multiply(out, gradients, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy where y >= 0 else dy (y + 1)] = (EluGrad(g, y), g * dy where y < 0 else 0)."""
        dy, y = op.inputs
        zeros = array_ops.zeros_like(y)
        negative = comparison_ops.less(y, zeros)
        return [elu_grad(g, y),
                comparison_ops.select_v2(negative, math_ops.multiply(g, dy), zeros)]


@register
class Relu6Grad(_FusedGrad):
    """backprops = gradients * (0 < features < 6)."""

    op_type = "Relu6Grad"
    domain = NUMERIC

    @staticmethod
    def fn(gradients: np.ndarray, features: np.ndarray) -> np.ndarray:
        return gradients * ((features > 0) & (features < 6))

    @staticmethod
    def fn_into(gradients: np.ndarray, features: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.multiply(gradients, (features > 0) & (features < 6), out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy * (0 < x < 6)] = (Relu6Grad(g, x), 0): the mask is piecewise constant."""
        features = op.inputs[1]
        return [relu6_grad(g, features), array_ops.zeros_like(features)]


# ----------------------------------------------------------------------------------------
# Builder functions (TF1 names)
# ----------------------------------------------------------------------------------------


def _unary(op_type: str, x: Any, name: str | None, attrs: dict[str, Any] | None = None
           ) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1(op_type, [x], {"T": x.dtype, **(attrs or {})},
                             name=name or op_type)


def _grad_op(op_type: str, gradients: Any, features: Any, name: str | None,
             attrs: dict[str, Any] | None = None) -> Tensor:
    g, f = op_builder.convert_n([gradients, features])
    return op_builder.apply1(op_type, [g, f], {"T": g.dtype, **(attrs or {})},
                             name=name or op_type)


def softplus(features: Any, name: str | None = None) -> Tensor:
    """``tf.nn.softplus``: ln(1 + e^x), stable for large |x|."""
    return _unary("Softplus", features, name)


def softsign(features: Any, name: str | None = None) -> Tensor:
    """``tf.nn.softsign``: x / (1 + |x|)."""
    return _unary("Softsign", features, name)


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """``tf.nn.leaky_relu``: x where x > 0, else alpha * x. Integer features are cast to
    float32 first (as TF does); ``alpha`` is a Python number (the node's attr)."""
    if isinstance(alpha, Tensor):
        raise TypeError("gf.nn.leaky_relu: alpha must be a Python number (it becomes the "
                        "LeakyRelu node's attribute), got a Tensor")
    x = op_builder.convert_to_tensor(features)
    if x.dtype.is_integer:
        x = linalg_ops.cast(x, dtypes.float32)
    return _unary("LeakyRelu", x, name, {"alpha": float(np.asarray(alpha).item())})


def elu(features: Any, name: str | None = None) -> Tensor:
    """``tf.nn.elu``: x where x >= 0, else e^x - 1."""
    return _unary("Elu", features, name)


def relu6(features: Any, name: str | None = None) -> Tensor:
    """``tf.nn.relu6``: min(max(x, 0), 6)."""
    return _unary("Relu6", features, name)


def leaky_relu_grad(gradients: Any, features: Any, alpha: float = 0.2,
                    name: str | None = None) -> Tensor:
    """TF's ``LeakyReluGrad(gradients, features)``."""
    return _grad_op("LeakyReluGrad", gradients, features, name, {"alpha": float(alpha)})


def elu_grad(gradients: Any, outputs: Any, name: str | None = None) -> Tensor:
    """TF's ``EluGrad(gradients, outputs)`` (outputs: the Elu's forward output)."""
    return _grad_op("EluGrad", gradients, outputs, name)


def relu6_grad(gradients: Any, features: Any, name: str | None = None) -> Tensor:
    """TF's ``Relu6Grad(gradients, features)`` (the Relu6's input or output)."""
    return _grad_op("Relu6Grad", gradients, features, name)


def tanh(x: Any, name: str | None = None) -> Tensor:
    """``tf.tanh`` (also ``gf.nn.tanh``): element-wise hyperbolic tangent (``Tanh``)."""
    return _unary("Tanh", x, name)


def sigmoid(x: Any, name: str | None = None) -> Tensor:
    """``tf.sigmoid`` (also ``gf.nn.sigmoid``): element-wise ``1 / (1 + exp(-x))``
    (``Sigmoid``)."""
    return _unary("Sigmoid", x, name)


def relu(features: Any, name: str | None = None) -> Tensor:
    """``tf.nn.relu``: max(features, 0)."""
    return _unary("Relu", features, name)


def relu_grad(gradients: Any, features: Any, name: str | None = None) -> Tensor:
    return _grad_op("ReluGrad", gradients, features, name)
