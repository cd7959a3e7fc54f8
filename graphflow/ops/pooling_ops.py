"""Pooling: MaxPool, MaxPoolGrad, MaxPoolGradGrad, AvgPool and AvgPoolGrad — records and
the TF1-named builders ``max_pool``/``avg_pool`` (``max_pool2d``/``avg_pool2d``),
re-exported as ``gf.nn``.

Attrs are TensorFlow's (``ksize``/``strides`` 4-vectors in the ``data_format``, padding
SAME/VALID, and EXPLICIT for MaxPool). Max pooling ignores padded positions (they hold
-inf); its gradient routes each output's gradient to the first maximum of its window in
row-major window order, as TF's CPU kernel does. Average pooling divides by the number of
real (unpadded) elements in each window, as TF does. Kernels loop over the KH*KW window
positions, each a vectorized strided slice of the padded input — never over pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import array_ops, op_builder
from graphflow.ops.conv_geometry import (
    Window,
    from_nhwc,
    from_nhwc_dims,
    nhwc_dims,
    nhwc_ints,
    spatial,
    to_nhwc,
)
from graphflow.ops.conv_ops import (
    ConvAttrs,
    conv_attrs,
    four,
    infer_fail,
    normalize_format,
    padding_attrs,
    run_fail,
)
from graphflow.ops.op_base import FLOAT, NUMERIC

_POOL_KEYS = ("ksize", "strides", "padding", "explicit_paddings", "data_format")


class _Pool(Op):
    """Shared attrs, geometry and shape rule of the pooling records."""

    explicit_ok = True

    def attrs(self, ctx: InferContext | KernelContext, fail: Any
              ) -> tuple[ConvAttrs, tuple[int, int]]:
        a = conv_attrs(ctx.attr, fail, vector="ksize", explicit_ok=self.explicit_ok,
                       dilations=False)
        k = spatial(ctx.attr("ksize"), a.data_format)
        if a.padding == "EXPLICIT" and (max(a.pads[:2]) >= k[0] or max(a.pads[2:]) >= k[1]):
            fail(f"explicit_paddings {ctx.attr('explicit_paddings')} pad a whole window "
                 f"(ksize {ctx.attr('ksize')}): every pad must be smaller than the window",
                 "use pads below the window size")
        return a, k

    def out_dims(self, ctx: InferContext, in_dims: list[int | None]) -> list[int | None]:
        fail = infer_fail(ctx)
        a, (kh, kw) = self.attrs(ctx, fail)
        n, h, w, c = nhwc_dims(in_dims, a.data_format)
        oh, ow = a.out_hw(h, w, kh, kw, fail)
        return from_nhwc_dims([n, oh, ow, c], a.data_format)

    def geometry(self, a: ConvAttrs, k: tuple[int, int], shape: tuple[int, ...],
                 fail: Any) -> Window:
        if len(shape) != 4:
            fail(f"input must be 4-D, got shape {shape}", "feed a 4-D value")
        return a.window(shape[1], shape[2], k[0], k[1], fail)


def _dims(spec: TensorSpec) -> list[int | None]:
    dims = spec.shape.dims
    return list(dims) if dims is not None else [None] * 4


def _lowest(dtype: Any) -> Any:
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _argmax_taps(win: Window, xp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max, index of the first maximum in row-major window order) per output."""
    best = win.tap(xp, 0, 0).copy()
    arg = np.zeros(best.shape, dtype=np.int32)
    for i in range(win.kh):
        for j in range(win.kw):
            if i or j:
                t = win.tap(xp, i, j)
                better = t > best
                np.copyto(best, t, where=better)
                arg[better] = i * win.kw + j
    return best, arg


@register
class MaxPool(_Pool):
    """out = the maximum of each window (padding never wins)."""

    op_type = "MaxPool"
    input_names = ("input",)
    attr_defaults = {"data_format": "NHWC", "explicit_paddings": []}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_dtype(0, NUMERIC[1], NUMERIC[0])
        ctx.require_rank(0, 4)
        return [TensorSpec(dt, self.out_dims(ctx, _dims(ctx.inputs[0])))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, k = self.attrs(ctx, fail)

        def max_pool(x: np.ndarray) -> np.ndarray:
            xh = to_nhwc(x, a.data_format)
            win = self.geometry(a, k, xh.shape, fail)
            xp = win.padded(xh, _lowest(x.dtype))
            best = win.tap(xp, 0, 0).copy()
            for i in range(win.kh):
                for j in range(win.kw):
                    if i or j:
                        np.maximum(best, win.tap(xp, i, j), out=best)
            return from_nhwc(best, a.data_format)

        return max_pool

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d input = MaxPoolGrad(input, output, g): each output's gradient goes to the
        first maximum of its window."""
        return [pool_node("MaxPoolGrad", [op.inputs[0], op.outputs[0], g], op)]


class _MaxPoolBackward(_Pool):
    input_names = ("orig_input", "orig_output", "grad")
    attr_defaults = {"data_format": "NHWC", "explicit_paddings": []}

    def check(self, ctx: InferContext, grad_dims: list[int | None]) -> Any:
        dt = ctx.require_same_dtype(0, 1, 2)
        ctx.require_dtype(0, NUMERIC[1], NUMERIC[0])
        for i in range(3):
            ctx.require_rank(i, 4)
        want = grad_dims
        got = _dims(ctx.inputs[2])
        for want_d, got_d in zip(want, got):
            if want_d is not None and got_d is not None and want_d != got_d:
                ctx.fail(f"{ctx.input_label(2)} must have shape {want}",
                         "pass the gradient with the pooled tensor's shape")
        return dt


@register
class MaxPoolGrad(_MaxPoolBackward):
    """out (shape of orig_input) = grad scattered to the first maximum of each window."""

    op_type = "MaxPoolGrad"

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = self.check(ctx, self.out_dims(ctx, _dims(ctx.inputs[0])))
        return [TensorSpec(dt, ctx.inputs[0].shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, k = self.attrs(ctx, fail)

        def max_pool_grad(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
            xh, gh = to_nhwc(x, a.data_format), to_nhwc(g, a.data_format)
            win = self.geometry(a, k, xh.shape, fail)
            if gh.shape != (xh.shape[0], win.out_h, win.out_w, xh.shape[3]):
                fail(f"grad has NHWC shape {gh.shape}, the pooled output is "
                     f"{(xh.shape[0], win.out_h, win.out_w, xh.shape[3])}",
                     "pass the gradient of this MaxPool's output")
            _, arg = _argmax_taps(win, win.padded(xh, _lowest(x.dtype)))
            dxp = win.padded_zeros(xh.shape, g.dtype)
            if win.out_h and win.out_w:
                for i in range(win.kh):
                    for j in range(win.kw):
                        win.tap(dxp, i, j)[...] += np.where(arg == i * win.kw + j, gh, 0)
            return from_nhwc(np.ascontiguousarray(win.crop(dxp, xh.shape)), a.data_format)

        return max_pool_grad

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d grad = MaxPoolGradGrad(orig_input, orig_output, g) (picks g at each window's
        maximum); orig_input/orig_output get zeros, as in TF (the argmax is piecewise
        constant)."""
        x, y, _ = op.inputs
        return [array_ops.zeros_like(x), array_ops.zeros_like(y),
                pool_node("MaxPoolGradGrad", [x, y, g], op)]


@register
class MaxPoolGradGrad(_MaxPoolBackward):
    """out (shape of orig_output) = grad (shaped like orig_input) read at the first
    maximum of each window."""

    op_type = "MaxPoolGradGrad"

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = self.check(ctx, _dims(ctx.inputs[0]))
        return [TensorSpec(dt, self.out_dims(ctx, _dims(ctx.inputs[0])))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, k = self.attrs(ctx, fail)

        def max_pool_grad_grad(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
            xh, gh = to_nhwc(x, a.data_format), to_nhwc(g, a.data_format)
            if gh.shape != xh.shape:
                fail(f"grad has shape {g.shape}, orig_input {x.shape}",
                     "pass a gradient shaped like orig_input")
            win = self.geometry(a, k, xh.shape, fail)
            _, arg = _argmax_taps(win, win.padded(xh, _lowest(x.dtype)))
            gp = win.padded(gh)
            out = np.zeros(arg.shape, dtype=g.dtype)
            for i in range(win.kh):
                for j in range(win.kw):
                    np.copyto(out, win.tap(gp, i, j), where=arg == i * win.kw + j)
            return from_nhwc(out, a.data_format)

        return max_pool_grad_grad

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d grad = MaxPoolGrad(orig_input, orig_output, g); the others get zeros."""
        x, y, _ = op.inputs
        return [array_ops.zeros_like(x), array_ops.zeros_like(y),
                pool_node("MaxPoolGrad", [x, y, g], op)]


class _AvgBase(_Pool):
    explicit_ok = False
    attr_defaults = {"data_format": "NHWC"}

    def counts(self, win: Window, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """The number of real (unpadded) elements in each window, [1, OH, OW, 1]."""
        ones = win.padded(np.ones((1, shape[1], shape[2], 1), dtype=dtype))
        total = np.zeros((1, win.out_h, win.out_w, 1), dtype=dtype)
        for i in range(win.kh):
            for j in range(win.kw):
                total += win.tap(ones, i, j)
        return total


@register
class AvgPool(_AvgBase):
    """out = the mean of the real (unpadded) elements of each window."""

    op_type = "AvgPool"
    input_names = ("value",)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_dtype(0, FLOAT[1], FLOAT[0])
        ctx.require_rank(0, 4)
        return [TensorSpec(dt, self.out_dims(ctx, _dims(ctx.inputs[0])))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, k = self.attrs(ctx, fail)

        def avg_pool(x: np.ndarray) -> np.ndarray:
            xh = to_nhwc(x, a.data_format)
            win = self.geometry(a, k, xh.shape, fail)
            xp = win.padded(xh)
            total = win.tap(xp, 0, 0).copy()
            for i in range(win.kh):
                for j in range(win.kw):
                    if i or j:
                        total += win.tap(xp, i, j)
            total /= self.counts(win, xh.shape, x.dtype)
            return from_nhwc(total, a.data_format)

        return avg_pool

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d value = AvgPoolGrad(shape(value), g): each window's gradient divided by its
        element count, summed back onto the window."""
        x = op.inputs[0]
        shape = op_builder.constant(np.asarray(x.shape.as_list(), np.int32), name="Shape") \
            if x.shape.is_fully_defined() else array_ops.shape(x)
        return [pool_node("AvgPoolGrad", [shape, g], op)]


@register
class AvgPoolGrad(_AvgBase):
    """out (shape orig_input_shape) = the gradient of AvgPool given ``grad``."""

    op_type = "AvgPoolGrad"
    input_names = ("orig_input_shape", "grad")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_index(0)
        dt = ctx.require_dtype(1, FLOAT[1], FLOAT[0])
        ctx.require_rank(1, 4)
        static = ctx.shape_from_value(0, "orig_input_shape").dims \
            if ctx.inputs[0].value is not None else None
        dims: list[int | None] = list(static) if static is not None else [None] * 4
        if len(dims) != 4:
            ctx.fail(f"orig_input_shape {ctx.input_label(0)} must have 4 elements",
                     "pass the 4-D shape of the pooled input")
        want, got = self.out_dims(ctx, dims), _dims(ctx.inputs[1])
        for w, gd in zip(want, got):
            if w is not None and gd is not None and w != gd:
                ctx.fail(f"{ctx.input_label(1)} must have shape {want} (the AvgPool output "
                         f"for an input of shape {dims})",
                         "pass the gradient of the AvgPool output")
        return [TensorSpec(dt, dims)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, k = self.attrs(ctx, fail)

        def avg_pool_grad(sizes: np.ndarray, g: np.ndarray) -> np.ndarray:
            shape = tuple(int(d) for d in np.asarray(sizes).reshape(-1))
            if len(shape) != 4 or min(shape) < 0:
                fail(f"orig_input_shape must be 4 non-negative sizes, got {list(shape)}",
                     "pass the 4-D shape of the pooled input")
            in_shape = nhwc_ints(shape, a.data_format)
            gh = to_nhwc(g, a.data_format)
            win = self.geometry(a, k, in_shape, fail)
            if gh.shape != (in_shape[0], win.out_h, win.out_w, in_shape[3]):
                fail(f"grad has NHWC shape {gh.shape}, the AvgPool output is "
                     f"{(in_shape[0], win.out_h, win.out_w, in_shape[3])}",
                     "pass the gradient of the AvgPool output")
            share = gh / self.counts(win, in_shape, g.dtype)
            dxp = win.padded_zeros(in_shape, g.dtype)
            if win.out_h and win.out_w:
                for i in range(win.kh):
                    for j in range(win.kw):
                        win.tap(dxp, i, j)[...] += share
            return from_nhwc(np.ascontiguousarray(win.crop(dxp, in_shape)), a.data_format)

        return avg_pool_grad

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d grad = AvgPool(g) (AvgPoolGrad is linear in grad); the shape gets none."""
        return [None, pool_node("AvgPool", [g], op)]


# ----------------------------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------------------------


def pool_node(op_type: str, inputs: list[Tensor], like: Operation | dict[str, Any],
              name: str | None = None) -> Tensor:
    """One pooling-family node with the attrs of ``like`` (an Operation or a dict)."""
    if isinstance(like, Operation):
        attrs = {k: like.get_attr(k) for k in _POOL_KEYS if k in like.node_def.attr}
    else:
        attrs = dict(like)
    if op_type.startswith("Avg"):
        attrs.pop("explicit_paddings", None)
    dt = inputs[-1].dtype
    return op_builder.apply1(op_type, inputs, {"T": dt, **attrs}, name=name or op_type)


def _pool(op_type: str, value: Any, ksize: Any, strides: Any, padding: Any,
          data_format: Any, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(value)
    fmt = normalize_format(data_format)
    attrs = {"ksize": four(ksize, fmt, "ksize"), "strides": four(strides, fmt, "strides"),
             **padding_attrs(padding, fmt), "data_format": fmt}
    if op_type == "AvgPool" and attrs["padding"] == "EXPLICIT":
        raise ValueError("avg_pool: explicit padding is not supported (TensorFlow's AvgPool "
                         "takes 'SAME' or 'VALID')")
    return pool_node(op_type, [x], attrs, name=name or op_type)


def max_pool(value: Any = None, ksize: Any = None, strides: Any = None, padding: Any = None,
             data_format: Any = "NHWC", name: str | None = None, input: Any = None
             ) -> Tensor:
    """``tf.nn.max_pool``: one MaxPool node."""
    return _pool("MaxPool", input if value is None else value, ksize, strides, padding,
                 data_format, name)


def avg_pool(value: Any = None, ksize: Any = None, strides: Any = None, padding: Any = None,
             data_format: Any = "NHWC", name: str | None = None, input: Any = None
             ) -> Tensor:
    """``tf.nn.avg_pool``: one AvgPool node."""
    return _pool("AvgPool", input if value is None else value, ksize, strides, padding,
                 data_format, name)


max_pool2d = max_pool
avg_pool2d = avg_pool
