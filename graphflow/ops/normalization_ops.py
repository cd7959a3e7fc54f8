"""Batch normalization: FusedBatchNorm/V2/V3 and FusedBatchNormGrad/V2/V3 — records and the
TF1-named builders ``fused_batch_norm`` and ``batch_normalization`` (re-exported as
``gf.nn``).

Semantics are TensorFlow's CPU kernels. Inputs (x, scale, offset, mean, variance), the
channel axis from ``data_format`` (NHWC or NCHW), statistics over every other axis.

- Training (``is_training``): y = (x - m) / sqrt(v + eps) * scale + offset with the batch
  mean m and the biased batch variance v; output ``batch_mean`` = m and ``batch_variance``
  = v * n / (n - 1) (Bessel-corrected, n = elements per channel), or their running
  averages ``(1 - f) * mean + f * m`` when ``exponential_avg_factor`` f != 1;
  ``reserve_space_1/2`` = m and the biased v (what the gradient needs).
- Inference: the given mean and variance normalize; they are also the outputs 1-4.

V3 adds ``reserve_space_3`` (empty on CPU). The gradient of y is FusedBatchNormGrad*
(TF's op types, so graphs export); in inference mode the gradients of mean and variance,
which TF leaves out, are added from elementary ops so nothing is silently zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from graphflow.framework.errors import node_error
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import math_ops, op_builder
from graphflow.ops.conv_ops import normalize_format, run_fail
from graphflow.ops.op_base import FLOAT


def _channel_axis(fmt: str, rank: int) -> int:
    return rank - 1 if fmt == "NHWC" else 1


def _bcast(v: np.ndarray, axis: int, rank: int) -> np.ndarray:
    shape = [1] * rank
    shape[axis] = -1
    return v.reshape(shape)


class _FusedBase(Op):
    version: ClassVar[int] = 1
    attr_defaults = {"epsilon": 0.0001, "data_format": "NHWC", "is_training": True,
                     "exponential_avg_factor": 1.0}

    def check_format(self, ctx: InferContext) -> str:
        fmt = ctx.attr("data_format")
        if fmt not in ("NHWC", "NCHW"):
            ctx.fail(f"data_format must be 'NHWC' or 'NCHW', got {fmt!r}",
                     "use 'NHWC' (channels last) or 'NCHW' (channels on axis 1)")
        eps = ctx.attr("epsilon")
        if not isinstance(eps, float) or not eps >= 0:
            ctx.fail(f"epsilon must be a non-negative float, got {eps!r}", "e.g. 0.001")
        if "exponential_avg_factor" in self.attr_defaults:
            factor = ctx.attr("exponential_avg_factor")
            if not isinstance(factor, float) or not 0 <= factor <= 1:
                ctx.fail(f"exponential_avg_factor must be a float in [0, 1], got {factor!r}",
                         "use 1.0 (batch statistics) or a running-average weight")
        if not isinstance(ctx.attr("is_training"), bool):
            ctx.fail(f"is_training must be a bool, got {ctx.attr('is_training')!r}",
                     "set it to true (batch statistics) or false (given mean/variance)")
        return str(fmt)

    def check_vectors(self, ctx: InferContext, indices: tuple[int, ...], c: int | None,
                      optional: tuple[int, ...] = ()) -> int | None:
        """Inputs ``indices`` are [C] vectors (``optional`` ones may also be empty)."""
        for i in indices:
            shape = ctx.require_rank(i, 1)
            n = shape[0] if shape.rank == 1 else None
            if n is None or (n == 0 and i in optional):
                continue
            if c is not None and n != c:
                ctx.fail(f"{ctx.input_label(i)} must have {c} elements (one per channel)",
                         "pass one value per channel of x")
            c = n
        return c

    def outputs_count(self) -> int:
        return 6 if self.version == 3 else 5


@register
class FusedBatchNorm(_FusedBase):
    """(y, batch_mean, batch_variance, reserve_space_1, reserve_space_2) (see the module
    docstring)."""

    op_type = "FusedBatchNorm"
    input_names = ("x", "scale", "offset", "mean", "variance")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        fmt = self.check_format(ctx)
        dt = ctx.require_dtype(0, FLOAT[1], FLOAT[0])
        ctx.require_rank(0, 4)
        u = ctx.require_same_dtype(1, 2, 3, 4)
        ctx.require_dtype(1, FLOAT[1], FLOAT[0])
        x = ctx.inputs[0]
        c = x.shape[_channel_axis(fmt, 4)] if x.shape.rank == 4 else None
        training = bool(ctx.attr("is_training"))
        factor = ctx.attr("exponential_avg_factor")
        empty_ok = (3, 4) if training and factor == 1.0 else ()
        c = self.check_vectors(ctx, (1, 2, 3, 4), c, empty_ok)
        outs = [TensorSpec(dt, x.shape)] + [TensorSpec(u, (c,)) for _ in range(4)]
        if self.version == 3:
            outs.append(TensorSpec(u, (0,)))
        return outs

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        fmt, eps = ctx.attr("data_format"), float(ctx.attr("epsilon"))
        training, factor = bool(ctx.attr("is_training")), float(ctx.attr(
            "exponential_avg_factor"))
        v3 = self.version == 3

        def fused_batch_norm(x: np.ndarray, scale: np.ndarray, offset: np.ndarray,
                             mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, ...]:
            if x.ndim != 4:
                fail(f"x must be 4-D, got shape {x.shape}", "feed a 4-D value")
            axis = _channel_axis(fmt, 4)
            c = x.shape[axis]
            for what, v in (("scale", scale), ("offset", offset), ("mean", mean),
                            ("variance", var)):
                allowed = (c,) if not (training and factor == 1.0 and what in
                                       ("mean", "variance")) else (c, 0)
                if v.ndim != 1 or v.shape[0] not in allowed:
                    fail(f"{what} has shape {v.shape}, x has {c} channels",
                         "pass one value per channel")
            u = scale.dtype
            xu = x.astype(u, copy=False)
            axes = tuple(a for a in range(4) if a != axis)
            if training:
                m = xu.mean(axis=axes)
                v = np.square(xu - _bcast(m, axis, 4)).mean(axis=axes)
                n = x.size // max(c, 1)
                unbiased = v * (n / max(n - 1, 1))
                if factor != 1.0:
                    out_mean = (1 - factor) * mean + factor * m
                    out_var = (1 - factor) * var + factor * unbiased
                else:
                    out_mean, out_var = m, unbiased
            else:
                m, v = mean, var
                out_mean, out_var = mean.copy(), var.copy()
            inv = 1 / np.sqrt(v + eps)
            y = (xu - _bcast(m, axis, 4)) * _bcast(inv * scale, axis, 4) + _bcast(offset,
                                                                                 axis, 4)
            outs = [y.astype(x.dtype, copy=False), out_mean.astype(u), out_var.astype(u),
                    np.array(m, dtype=u), np.array(v, dtype=u)]
            if v3:
                outs.append(np.zeros((0,), dtype=u))
            return tuple(outs)

        return fused_batch_norm

    def grad(self, op: Operation, g: Tensor, *rest: Tensor | None) -> list[Tensor | None]:
        """d x, d scale, d offset = FusedBatchNormGrad(g, x, scale, reserve_space_1,
        reserve_space_2) in training (the saved batch statistics), with the given mean and
        variance in inference; there, d mean = -d offset * scale / sqrt(var + eps) and
        d variance = -d scale * scale / (2 (var + eps)) (elementary ops). Upstream
        gradients of the statistics outputs are not supported (as in TF, which ignores
        them; graphflow refuses rather than dropping them)."""
        if any(r is not None for r in rest):
            raise NotImplementedError(node_error(
                op.name, op.type, "gradients through its batch_mean/batch_variance/reserve "
                "outputs are not supported (only through y)",
                "differentiate y only, or compute the moments with gf.reduce_mean"))
        x, scale, _, mean, var = op.inputs
        training = bool(op.get_attr("is_training"))
        if g is None:
            return [None] * 5
        saved = [op.outputs[3], op.outputs[4]] if training else [mean, var]
        if self.version == 3:
            saved.append(op.outputs[5])
        grad_type = {1: "FusedBatchNormGrad", 2: "FusedBatchNormGradV2",
                     3: "FusedBatchNormGradV3"}[self.version]
        attrs = {"T": x.dtype, "epsilon": op.get_attr("epsilon"),
                 "data_format": op.get_attr("data_format"), "is_training": training}
        if self.version > 1:
            attrs["U"] = scale.dtype
        grads = op_builder.apply(grad_type, [g, x, scale] + saved, attrs,
                                 name=grad_type).outputs
        dx, dscale, doffset = grads[0], grads[1], grads[2]
        if training:
            return [dx, dscale, doffset, None, None]
        eps = op_builder.constant(op.get_attr("epsilon"), dtype=var.dtype)
        var_eps = math_ops.add(var, eps)
        dmean = math_ops.negative(math_ops.multiply(doffset, math_ops.multiply(
            scale, math_ops.rsqrt(var_eps))))
        half = op_builder.constant(-0.5, dtype=var.dtype)
        dvar = math_ops.multiply(math_ops.multiply(dscale, scale),
                                 math_ops.realdiv(half, var_eps))
        return [dx, dscale, doffset, dmean, dvar]


@register
class FusedBatchNormV2(FusedBatchNorm):
    op_type = "FusedBatchNormV2"
    version = 2


@register
class FusedBatchNormV3(FusedBatchNorm):
    op_type = "FusedBatchNormV3"
    version = 3


@register
class FusedBatchNormGrad(_FusedBase):
    """(x_backprop, scale_backprop, offset_backprop, two empty outputs): the gradient of
    FusedBatchNorm's y given y_backprop, from the saved (training) or given (inference)
    statistics reserve_space_1 (mean) and reserve_space_2 (variance)."""

    op_type = "FusedBatchNormGrad"
    input_names: ClassVar[tuple[str, ...]] = ("y_backprop", "x", "scale", "reserve_space_1",
                                              "reserve_space_2")
    attr_defaults = {"epsilon": 0.0001, "data_format": "NHWC", "is_training": True}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        fmt = self.check_format(ctx)
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, FLOAT[1], FLOAT[0])
        ctx.require_rank(0, 4)
        ctx.require_rank(1, 4)
        u = ctx.require_same_dtype(2, 3, 4)
        x = ctx.inputs[1]
        c = x.shape[_channel_axis(fmt, 4)] if x.shape.rank == 4 else None
        c = self.check_vectors(ctx, (2, 3, 4), c)
        dy = ctx.inputs[0]
        if not dy.shape.is_compatible_with(x.shape):
            ctx.fail(f"{ctx.input_label(0)} must have the shape of {ctx.input_label(1)}",
                     "pass the gradient of this batch norm's y")
        return [TensorSpec(dt, x.shape), TensorSpec(u, (c,)), TensorSpec(u, (c,)),
                TensorSpec(u, (0,)), TensorSpec(u, (0,))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        fmt, eps = ctx.attr("data_format"), float(ctx.attr("epsilon"))
        training = bool(ctx.attr("is_training"))

        def fused_batch_norm_grad(dy: np.ndarray, x: np.ndarray, scale: np.ndarray,
                                  mean: np.ndarray, var: np.ndarray, *_: np.ndarray
                                  ) -> tuple[np.ndarray, ...]:
            if x.ndim != 4 or dy.shape != x.shape:
                fail(f"y_backprop {dy.shape} and x {x.shape} must be 4-D of one shape",
                     "pass the gradient of this batch norm's y")
            axis = _channel_axis(fmt, 4)
            c = x.shape[axis]
            if any(v.shape != (c,) for v in (scale, mean, var)):
                fail(f"scale/mean/variance must have {c} elements, got {scale.shape}, "
                     f"{mean.shape}, {var.shape}", "pass one value per channel")
            u = scale.dtype
            axes = tuple(a for a in range(4) if a != axis)
            dyu, xu = dy.astype(u, copy=False), x.astype(u, copy=False)
            inv = 1 / np.sqrt(var + eps)
            xhat = (xu - _bcast(mean, axis, 4)) * _bcast(inv, axis, 4)
            doffset = dyu.sum(axis=axes)
            dscale = (dyu * xhat).sum(axis=axes)
            if training:
                n = x.size // max(c, 1)
                dx = _bcast(scale * inv, axis, 4) * (
                    dyu - _bcast(doffset / n, axis, 4) - xhat * _bcast(dscale / n, axis, 4))
            else:
                dx = dyu * _bcast(scale * inv, axis, 4)
            empty = np.zeros((0,), dtype=u)
            return (dx.astype(x.dtype, copy=False), dscale.astype(u), doffset.astype(u),
                    empty, empty.copy())

        return fused_batch_norm_grad

    def grad(self, op: Operation, *grads: Tensor | None) -> list[Tensor | None]:
        """Not implemented: second-order gradients through batch normalization."""
        raise NotImplementedError(node_error(
            op.name, op.type, "has no gradient in graphflow (second-order gradients "
            "through fused batch normalization are not supported)",
            "use gf.nn.batch_normalization (elementary ops) where second derivatives are "
            "needed"))


@register
class FusedBatchNormGradV2(FusedBatchNormGrad):
    op_type = "FusedBatchNormGradV2"


@register
class FusedBatchNormGradV3(FusedBatchNormGrad):
    op_type = "FusedBatchNormGradV3"
    input_names = ("y_backprop", "x", "scale", "reserve_space_1", "reserve_space_2",
                   "reserve_space_3")


# ----------------------------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------------------------


def fused_batch_norm(x: Any, scale: Any, offset: Any = None, mean: Any = None,
                     variance: Any = None, epsilon: float = 0.001, data_format: Any = "NHWC",
                     is_training: bool = True, name: str | None = None,
                     exponential_avg_factor: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """``tf.compat.v1.nn.fused_batch_norm``: one FusedBatchNormV3 node; returns (y,
    batch_mean, batch_variance). ``offset`` defaults to zeros; in training without running
    averages ``mean``/``variance`` may be omitted (empty). epsilon is raised to TF's
    minimum 1.001e-5."""
    xt = op_builder.convert_to_tensor(x)
    fmt = normalize_format(data_format)
    with xt.graph.as_default():
        s = op_builder.convert_to_tensor(scale)
        u = s.dtype
        c = s.shape[0] if s.shape.rank == 1 else None
        if offset is None:
            if c is None:
                raise ValueError("fused_batch_norm: offset=None needs the static length of "
                                 "scale")
            offset = np.zeros(c, u.np_dtype)
        if mean is None or variance is None:
            if not is_training or exponential_avg_factor != 1.0:
                raise ValueError("fused_batch_norm: mean and variance are required for "
                                 "inference and for running averages")
            mean = variance = np.zeros((0,), u.np_dtype)
        o, m, v = (op_builder.convert_to_tensor(t, dtype=u) for t in (offset, mean, variance))
        attrs = {"T": xt.dtype, "U": u, "epsilon": float(max(epsilon, 1.001e-5)),
                 "data_format": fmt, "is_training": bool(is_training),
                 "exponential_avg_factor": float(exponential_avg_factor)}
        outs = op_builder.apply("FusedBatchNormV3", [xt, s, o, m, v], attrs,
                                name=name or "FusedBatchNormV3").outputs
    return outs[0], outs[1], outs[2]


def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any,
                        variance_epsilon: float, name: str | None = None) -> Tensor:
    """``tf.nn.batch_normalization`` as TF builds it (scope ``batchnorm``):
    inv = rsqrt(variance + eps) [* scale]; x * inv + (offset - mean * inv)."""
    g = op_builder.graph_of(x, mean, variance, offset, scale)
    with g.as_default(), g.name_scope(name or "batchnorm"):
        xt = op_builder.convert_to_tensor(x)
        var = op_builder.convert_to_tensor(variance, dtype=xt.dtype)
        inv = math_ops.rsqrt(math_ops.add(var, op_builder.constant(variance_epsilon,
                                                                   dtype=var.dtype)))
        if scale is not None:
            inv = math_ops.multiply(inv, op_builder.convert_to_tensor(scale, dtype=xt.dtype))
        shift = math_ops.multiply(op_builder.convert_to_tensor(mean, dtype=xt.dtype), inv)
        shift = math_ops.subtract(op_builder.convert_to_tensor(offset, dtype=xt.dtype), shift) \
            if offset is not None else math_ops.negative(shift)
        return math_ops.add(math_ops.multiply(xt, inv), shift)

