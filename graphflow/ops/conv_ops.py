"""Convolutions: Conv2D, DepthwiseConv2dNative and their input/filter backprops — records
(shape rule, numpy kernel, gradient rule) and the TF1-named builders ``conv1d``, ``conv2d``,
``depthwise_conv2d``, ``separable_conv2d`` and ``conv2d_transpose`` (re-exported as
``gf.nn``). Pooling is in ``pooling_ops``, batch normalization in ``normalization_ops``.

Attrs, formats and gradients are TensorFlow's: ``strides``/``dilations`` 4-vectors in the
``data_format`` (NHWC or NCHW), ``padding`` SAME/VALID/EXPLICIT (with
``explicit_paddings``), output sizes per ``conv_geometry``. Conv2D's gradient emits
Conv2DBackpropInput and Conv2DBackpropFilter nodes (so a trained graph exports to
TensorFlow), and each backprop's gradient is again built from these three ops.

Kernels: the padded input is viewed as windows with numpy stride tricks, copied once into
an im2col matrix and multiplied with the filter in one BLAS matmul (depthwise: one batched
matmul over channels); the input backprop multiplies and scatters the columns back with
one strided add per window position (col2im). No Python loop runs over pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

import numpy as np

from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import array_ops, op_builder
from graphflow.ops.conv_geometry import (
    Window,
    check_window_attrs,
    from_nhwc,
    from_nhwc_dims,
    nhwc_dims,
    nhwc_ints,
    spatial,
    spatial_pads,
    to_nhwc,
    window_for,
    windowed_size,
)
from graphflow.ops.op_base import FLOAT, run_error

# ----------------------------------------------------------------------------------------
# Shared attrs and shape logic
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvAttrs:
    """A conv node's validated window attrs, spatial entries only."""

    data_format: str
    strides: tuple[int, int]
    dilations: tuple[int, int]
    padding: str
    pads: tuple[int, int, int, int]  # top, bottom, left, right (EXPLICIT)

    def out_hw(self, h: int | None, w: int | None, kh: int | None, kw: int | None,
               fail: Callable[[str, str], NoReturn]) -> tuple[int | None, int | None]:
        if kh is None or kw is None:
            return None, None
        oh = windowed_size(h, kh, self.strides[0], self.dilations[0], self.padding,
                           self.pads[:2], fail, "height")[0]
        ow = windowed_size(w, kw, self.strides[1], self.dilations[1], self.padding,
                           self.pads[2:], fail, "width")[0]
        return oh, ow

    def window(self, h: int, w: int, kh: int, kw: int,
               fail: Callable[[str, str], NoReturn]) -> Window:
        return window_for(h, w, kh, kw, self.strides, self.dilations, self.padding, self.pads,
                          fail)


def conv_attrs(attr: Callable[[str], Any], fail: Callable[[str, str], NoReturn],
               vector: str = "strides", explicit_ok: bool = True,
               dilations: bool = True) -> ConvAttrs:
    fmt, strides, dil, padding, explicit = check_window_attrs(
        attr, fail, vector=vector, explicit_ok=explicit_ok, dilations=dilations)
    return ConvAttrs(fmt, spatial(strides, fmt), spatial(dil, fmt), padding,
                     spatial_pads(explicit, fmt))


def infer_fail(ctx: InferContext) -> Callable[[str, str], NoReturn]:
    def fail(message: str, fix: str) -> NoReturn:
        ctx.fail(message, fix)
        raise AssertionError  # ctx.fail raises

    return fail


def run_fail(name: str, op_type: str) -> Callable[[str, str], NoReturn]:
    """A ``Fail`` for kernels: an InvalidArgumentError naming the node."""
    def fail(message: str, fix: str) -> NoReturn:
        raise run_error(name, op_type, message, fix)

    return fail


def _dims(spec: TensorSpec) -> list[int | None]:
    dims = spec.shape.dims
    return list(dims) if dims is not None else [None] * 4


def _merge(a: int | None, b: int | None) -> int | None:
    return a if a is not None else b


class _ConvBase(Op):
    """Common parts of the six convolution records (``depthwise`` picks the family)."""

    depthwise: ClassVar[bool] = False
    attr_defaults = {"explicit_paddings": [], "data_format": "NHWC",
                     "dilations": [1, 1, 1, 1], "use_cudnn_on_gpu": True}

    def attrs(self, ctx: InferContext | KernelContext, fail: Callable[[str, str], NoReturn]
              ) -> ConvAttrs:
        return conv_attrs(ctx.attr, fail)

    def out_channels(self, c: int | None, fo: int | None) -> int | None:
        """Output channels from input channels ``c`` and the filter's last dim."""
        if not self.depthwise:
            return fo
        return None if c is None or fo is None else c * fo

    def channels_out(self, c: int, fo: int) -> int:
        """``out_channels`` for concrete (run-time) sizes."""
        return c * fo if self.depthwise else fo

    def check_filter(self, c: int | None, fdims: Sequence[int | None],
                     fail: Callable[[str, str], NoReturn], what: str) -> None:
        if c is not None and fdims[2] is not None and c != fdims[2]:
            fail(f"input depth {c} does not match the filter's in_channels {fdims[2]} "
                 f"({what} [filter_height, filter_width, in_channels, "
                 f"{'channel_multiplier' if self.depthwise else 'out_channels'}] = "
                 f"{list(fdims)})",
                 "give the filter the input's channel count as its third dimension "
                 "(grouped convolutions are not supported)")

    def infer_output(self, ctx: InferContext, in_dims: list[int | None],
                     fdims: list[int | None]) -> list[int | None]:
        """The output dims (in data_format) of the forward conv of ``in_dims``."""
        fail = infer_fail(ctx)
        a = self.attrs(ctx, fail)
        n, h, w, c = nhwc_dims(in_dims, a.data_format)
        self.check_filter(c, fdims, fail, "filter")
        oh, ow = a.out_hw(h, w, fdims[0], fdims[1], fail)
        return from_nhwc_dims([n, oh, ow, self.out_channels(_merge(c, fdims[2]), fdims[3])],
                              a.data_format)

    def forward_geometry(self, a: ConvAttrs, x_shape: Sequence[int], f_shape: Sequence[int],
                         fail: Callable[[str, str], NoReturn]) -> Window:
        """Run-time checks of NHWC input and filter shapes, then the Window."""
        if len(x_shape) != 4 or len(f_shape) != 4:
            fail(f"input (NHWC shape {tuple(x_shape)}) and filter (shape {tuple(f_shape)}) "
                 "must both be 4-D", "feed 4-D values")
        self.check_filter(x_shape[3], f_shape, fail, "filter")
        return a.window(x_shape[1], x_shape[2], f_shape[0], f_shape[1], fail)

    def check_out_backprop(self, dy: np.ndarray, expected: Sequence[int],
                           fail: Callable[[str, str], NoReturn]) -> None:
        if dy.shape != tuple(expected):
            fail(f"out_backprop has NHWC shape {dy.shape}, but the convolution's output "
                 f"is {tuple(expected)}", "pass the gradient of this convolution's output")


def _float_inputs(ctx: InferContext, *indices: int) -> Any:
    dt = ctx.require_same_dtype(*indices)
    ctx.require_dtype(indices[0], FLOAT[1], FLOAT[0])
    for i in indices:
        ctx.require_rank(i, 4)
    return dt


def _sizes_input(ctx: InferContext, i: int, what: str) -> list[int | None]:
    """A 4-vector shape input (input_sizes / filter_sizes) as static dims."""
    ctx.require_index(i)
    n = ctx.vector_length(i)
    if n is not None and n != 4:
        ctx.fail(f"{what} {ctx.input_label(i)} must have 4 elements, got {n}",
                 "pass the full 4-D shape")
    dims = ctx.shape_from_value(i, what).dims if ctx.inputs[i].value is not None else None
    return list(dims) if dims is not None else [None] * 4


def _as_shape(v: np.ndarray, what: str, fail: Callable[[str, str], NoReturn]) -> tuple[int, ...]:
    shape = tuple(int(d) for d in np.asarray(v).reshape(-1))
    if len(shape) != 4 or min(shape) < 0:
        fail(f"{what} must be 4 non-negative sizes, got {list(shape)}", "pass the 4-D shape")
    return shape


# -- the numpy math (NHWC), one function per role and family ------------------------------


def _forward(win: Window, x: np.ndarray, f: np.ndarray, depthwise: bool) -> np.ndarray:
    n = x.shape[0]
    kh, kw, c, m = f.shape
    xp = win.padded(x)
    if not depthwise:
        out = win.im2col(xp) @ f.reshape(kh * kw * c, m)
        return out.reshape(n, win.out_h, win.out_w, m)
    cols = np.ascontiguousarray(win.windows(xp).transpose(5, 0, 1, 2, 3, 4)).reshape(
        c, n * win.out_h * win.out_w, kh * kw)
    out = np.matmul(cols, f.reshape(kh * kw, c, m).transpose(1, 0, 2))  # [C, P, M]
    return np.ascontiguousarray(out.transpose(1, 0, 2)).reshape(n, win.out_h, win.out_w, c * m)


def _backprop_input(win: Window, in_shape: Sequence[int], f: np.ndarray, dy: np.ndarray,
                    depthwise: bool) -> np.ndarray:
    n = in_shape[0]
    kh, kw, c, m = f.shape
    p = n * win.out_h * win.out_w
    if not depthwise:
        cols = dy.reshape(p, m) @ f.reshape(kh * kw * c, m).T
        return win.col2im(cols.reshape(n, win.out_h, win.out_w, kh, kw, c), in_shape)
    dyc = dy.reshape(p, c, m).transpose(1, 0, 2)  # [C, P, M]
    cols = np.matmul(dyc, f.reshape(kh * kw, c, m).transpose(1, 2, 0))  # [C, P, KH*KW]
    cols6 = cols.reshape(c, n, win.out_h, win.out_w, kh, kw).transpose(1, 2, 3, 4, 5, 0)
    return win.col2im(cols6, in_shape)


def _backprop_filter(win: Window, x: np.ndarray, f_shape: Sequence[int], dy: np.ndarray,
                     depthwise: bool) -> np.ndarray:
    kh, kw, c, m = f_shape
    xp = win.padded(x)
    p = x.shape[0] * win.out_h * win.out_w
    if not depthwise:
        return (win.im2col(xp).T @ dy.reshape(p, m)).reshape(kh, kw, c, m)
    cols = np.ascontiguousarray(win.windows(xp).transpose(5, 3, 4, 0, 1, 2)).reshape(
        c, kh * kw, p)
    df = np.matmul(cols, dy.reshape(p, c, m).transpose(1, 0, 2))  # [C, KH*KW, M]
    return np.ascontiguousarray(df.transpose(1, 0, 2)).reshape(kh, kw, c, m)


# ----------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------


class _Forward(_ConvBase):
    """out = conv(input, filter) (see the module docstring for the attrs)."""

    input_names = ("input", "filter")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = _float_inputs(ctx, 0, 1)
        return [TensorSpec(dt, self.infer_output(ctx, _dims(ctx.inputs[0]),
                                                 _dims(ctx.inputs[1])))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, depthwise = self.attrs(ctx, fail), self.depthwise

        def conv_kernel(x: np.ndarray, f: np.ndarray) -> np.ndarray:
            xh = to_nhwc(x, a.data_format)
            win = self.forward_geometry(a, xh.shape, f.shape, fail)
            return from_nhwc(_forward(win, xh, f, depthwise), a.data_format)

        return conv_kernel

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d input = BackpropInput(shape(input), filter, g); d filter =
        BackpropFilter(input, shape(filter), g) (TF's _Conv2DGrad)."""
        x, f = op.inputs
        names = self.backprop_types()
        return [conv_node(names[0], [_shape_of(x), f, g], op),
                conv_node(names[1], [x, _shape_of(f), g], op)]

    def backprop_types(self) -> tuple[str, str]:
        if self.depthwise:
            return ("DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropFilter")
        return ("Conv2DBackpropInput", "Conv2DBackpropFilter")


class _BackpropInput(_ConvBase):
    """out = the gradient of conv(input, filter) w.r.t. an input of shape ``input_sizes``,
    given ``out_backprop`` (the transposed convolution)."""

    input_names = ("input_sizes", "filter", "out_backprop")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = _float_inputs(ctx, 1, 2)
        in_dims = _sizes_input(ctx, 0, "input_sizes")
        dy = _dims(ctx.inputs[2])
        fmt = ctx.attr("data_format")
        expected = self.infer_output(ctx, in_dims, _dims(ctx.inputs[1]))
        for axis, (want, got) in enumerate(zip(expected, dy)):
            if want is not None and got is not None and want != got:
                ctx.fail(f"{ctx.input_label(2)} does not match the output "
                         f"{expected} ({fmt}) of a convolution of an input of shape "
                         f"{in_dims} (dimension {axis})",
                         "pass input_sizes of the input whose convolution produced "
                         "out_backprop, and the same strides/padding/dilations")
        if fmt == "NHWC":
            in_dims[0] = _merge(in_dims[0], dy[0])
        return [TensorSpec(dt, in_dims)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, depthwise = self.attrs(ctx, fail), self.depthwise

        def conv_backprop_input(sizes: np.ndarray, f: np.ndarray, dy: np.ndarray
                                ) -> np.ndarray:
            in_shape = nhwc_ints(_as_shape(sizes, "input_sizes", fail), a.data_format)
            win = self.forward_geometry(a, in_shape, f.shape, fail)
            dyh = to_nhwc(dy, a.data_format)
            self.check_out_backprop(dyh, (in_shape[0], win.out_h, win.out_w,
                                          self.channels_out(in_shape[3], f.shape[3])), fail)
            dx = _backprop_input(win, in_shape, f, dyh, depthwise)
            return from_nhwc(dx.astype(f.dtype, copy=False), a.data_format)

        return conv_backprop_input

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d filter = BackpropFilter(g, shape(filter), out_backprop); d out_backprop =
        conv(g, filter) (TF's _Conv2DBackpropInputGrad)."""
        _, f, dy = op.inputs
        fwd, _, bf = FAMILIES[self.depthwise]
        return [None, conv_node(bf, [g, _shape_of(f), dy], op), conv_node(fwd, [g, f], op)]


class _BackpropFilter(_ConvBase):
    """out = the gradient of conv(input, filter) w.r.t. a filter of shape
    ``filter_sizes``, given ``out_backprop``."""

    input_names = ("input", "filter_sizes", "out_backprop")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = _float_inputs(ctx, 0, 2)
        fdims = _sizes_input(ctx, 1, "filter_sizes")
        expected = self.infer_output(ctx, _dims(ctx.inputs[0]), fdims)
        dy = _dims(ctx.inputs[2])
        for axis, (want, got) in enumerate(zip(expected, dy)):
            if want is not None and got is not None and want != got:
                ctx.fail(f"{ctx.input_label(2)} does not match the output {expected} of the "
                         f"convolution of {ctx.input_label(0)} with a filter of shape {fdims} "
                         f"(dimension {axis})",
                         "pass the gradient of this convolution's output")
        return [TensorSpec(dt, fdims)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fail = run_fail(ctx.name, ctx.op_type)
        a, depthwise = self.attrs(ctx, fail), self.depthwise

        def conv_backprop_filter(x: np.ndarray, sizes: np.ndarray, dy: np.ndarray
                                 ) -> np.ndarray:
            f_shape = _as_shape(sizes, "filter_sizes", fail)
            xh = to_nhwc(x, a.data_format)
            win = self.forward_geometry(a, xh.shape, f_shape, fail)
            dyh = to_nhwc(dy, a.data_format)
            self.check_out_backprop(dyh, (xh.shape[0], win.out_h, win.out_w,
                                          self.channels_out(xh.shape[3], f_shape[3])), fail)
            return _backprop_filter(win, xh, f_shape, dyh, depthwise).astype(x.dtype,
                                                                               copy=False)

        return conv_backprop_filter

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d input = BackpropInput(shape(input), g, out_backprop); d out_backprop =
        conv(input, g) (TF's _Conv2DBackpropFilterGrad)."""
        x, _, dy = op.inputs
        fwd, bi, _ = FAMILIES[self.depthwise]
        return [conv_node(bi, [_shape_of(x), g, dy], op), None, conv_node(fwd, [x, g], op)]


FAMILIES = {
    False: ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"),
    True: ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
           "DepthwiseConv2dNativeBackpropFilter"),
}


_DEPTHWISE_DEFAULTS: dict[str, Any] = {"explicit_paddings": [], "data_format": "NHWC",
                                       "dilations": [1, 1, 1, 1]}


@register
class Conv2D(_Forward):
    op_type = "Conv2D"


@register
class Conv2DBackpropInput(_BackpropInput):
    op_type = "Conv2DBackpropInput"


@register
class Conv2DBackpropFilter(_BackpropFilter):
    op_type = "Conv2DBackpropFilter"


@register
class DepthwiseConv2dNative(_Forward):
    """out[..., c * M + m] = sum over the window of input[..., c] * filter[..., c, m]."""

    op_type = "DepthwiseConv2dNative"
    depthwise = True
    attr_defaults = _DEPTHWISE_DEFAULTS


@register
class DepthwiseConv2dNativeBackpropInput(_BackpropInput):
    op_type = "DepthwiseConv2dNativeBackpropInput"
    depthwise = True
    attr_defaults = _DEPTHWISE_DEFAULTS


@register
class DepthwiseConv2dNativeBackpropFilter(_BackpropFilter):
    op_type = "DepthwiseConv2dNativeBackpropFilter"
    depthwise = True
    attr_defaults = _DEPTHWISE_DEFAULTS


# ----------------------------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------------------------

_ATTR_KEYS = ("strides", "padding", "explicit_paddings", "data_format", "dilations",
              "use_cudnn_on_gpu")


def _shape_of(t: Tensor) -> Tensor:
    """``t``'s shape as an int32 tensor (a Const when static, else a Shape node)."""
    if t.shape.is_fully_defined():
        return op_builder.constant(np.asarray(t.shape.as_list(), np.int32), name="Shape")
    return array_ops.shape(t)


def conv_node(op_type: str, inputs: list[Tensor], like: Operation | dict[str, Any],
              name: str | None = None) -> Tensor:
    """One conv-family node with the window attrs of ``like`` (an Operation or a dict)."""
    if isinstance(like, Operation):
        attrs = {k: like.get_attr(k) for k in _ATTR_KEYS
                 if k in like.node_def.attr}
    else:
        attrs = dict(like)
    if op_type.startswith("Depthwise"):
        attrs.pop("use_cudnn_on_gpu", None)
    else:
        attrs.setdefault("use_cudnn_on_gpu", True)
    dt = next(t.dtype for t in inputs if t.dtype.is_floating)
    return op_builder.apply1(op_type, inputs, {"T": dt, **attrs}, name=name or op_type)


def normalize_format(data_format: Any, default: str = "NHWC") -> str:
    if data_format is None:
        return default
    fmt = data_format.decode() if isinstance(data_format, bytes) else str(data_format)
    if fmt in ("NHWC", "NCHW"):
        return fmt
    raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")


def four(value: Any, data_format: str, what: str, default: int = 1) -> list[int]:
    """TF's argument forms for strides/dilations/ksize: an int, 1 or 2 spatial entries, or
    the full 4-vector in ``data_format``."""
    if value is None:
        value = default
    if isinstance(value, (int, np.integer)):
        v = [int(value)] * 2
    else:
        v = [int(i) for i in value]
    if len(v) == 1:
        v = v * 2
    if len(v) == 2:
        return [1, v[0], v[1], 1] if data_format == "NHWC" else [1, 1, v[0], v[1]]
    if len(v) == 4:
        return v
    raise ValueError(f"{what} must be an int or a list of 1, 2 or 4 ints, got {value!r}")


def padding_attrs(padding: Any, data_format: str) -> dict[str, Any]:
    """``padding`` as TF accepts it: 'SAME', 'VALID', or explicit [[before, after]] * 4."""
    if isinstance(padding, (str, bytes)):
        p = padding.decode() if isinstance(padding, bytes) else padding
        return {"padding": p.upper()}
    pairs = [list(map(int, pair)) for pair in padding]
    if len(pairs) != 4 or any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"explicit padding must be 4 [before, after] pairs (one per "
                         f"{data_format} dimension), got {padding!r}")
    return {"padding": "EXPLICIT", "explicit_paddings": [v for pair in pairs for v in pair]}


def window_attrs(strides: Any, padding: Any, data_format: Any, dilations: Any
                 ) -> dict[str, Any]:
    fmt = normalize_format(data_format)
    return {"strides": four(strides, fmt, "strides"), **padding_attrs(padding, fmt),
            "data_format": fmt, "dilations": four(dilations, fmt, "dilations")}


def conv2d(input: Any, filter: Any = None, strides: Any = None, padding: Any = None,
           use_cudnn_on_gpu: bool = True, data_format: Any = "NHWC", dilations: Any = None,
           name: str | None = None, filters: Any = None) -> Tensor:
    """``tf.nn.conv2d``: one Conv2D node (filter [kh, kw, in_channels, out_channels])."""
    if filter is None:
        filter = filters
    if strides is None or padding is None:
        raise ValueError("conv2d: strides and padding are required")
    x, f = op_builder.convert_n([input, filter])
    attrs = {**window_attrs(strides, padding, data_format, dilations),
             "use_cudnn_on_gpu": bool(use_cudnn_on_gpu)}
    return conv_node("Conv2D", [x, f], attrs, name=name or "Conv2D")


def conv1d(value: Any = None, filters: Any = None, stride: Any = None, padding: Any = None,
           use_cudnn_on_gpu: Any = None, data_format: Any = None, name: str | None = None,
           input: Any = None, dilations: Any = None) -> Tensor:
    """``tf.nn.conv1d`` as TF1 builds it: ExpandDims of the input (axis 1 for NWC, 2 for
    NCW) and of the filter (axis 0), one Conv2D named like the scope, then Squeeze."""
    value = input if value is None else value
    fmt = "NWC" if data_format is None else str(data_format)
    if fmt not in ("NWC", "NHWC", "NCW", "NCHW"):
        raise ValueError(f"conv1d: data_format must be 'NWC' or 'NCW', got {data_format!r}")
    nwc = fmt in ("NWC", "NHWC")
    if isinstance(stride, (list, tuple)):
        stride = stride[1] if nwc else stride[-1]
    if isinstance(dilations, (list, tuple)):
        dilations = dilations[1] if nwc else dilations[-1]
    s, d = int(stride), int(1 if dilations is None else dilations)
    g = op_builder.graph_of(value, filters)
    with g.as_default(), g.name_scope(name or "conv1d") as scope:
        x = array_ops.expand_dims(op_builder.convert_to_tensor(value), 1 if nwc else 2)
        f = array_ops.expand_dims(op_builder.convert_to_tensor(filters), 0)
        conv_fmt = "NHWC" if nwc else "NCHW"
        attrs = window_attrs([1, 1, s, 1] if nwc else [1, 1, 1, s], padding, conv_fmt,
                             [1, 1, d, 1] if nwc else [1, 1, 1, d])
        attrs["use_cudnn_on_gpu"] = True if use_cudnn_on_gpu is None else bool(use_cudnn_on_gpu)
        out = conv_node("Conv2D", [x, f], attrs, name=scope)
        return array_ops.squeeze(out, [1 if nwc else 2])


def depthwise_conv2d_native(input: Any, filter: Any, strides: Any, padding: Any,
                            data_format: Any = "NHWC", dilations: Any = None,
                            name: str | None = None) -> Tensor:
    """One DepthwiseConv2dNative node (filter [kh, kw, in_channels, channel_multiplier])."""
    x, f = op_builder.convert_n([input, filter])
    return conv_node("DepthwiseConv2dNative", [x, f],
                     window_attrs(strides, padding, data_format, dilations),
                     name=name or "DepthwiseConv2dNative")


def depthwise_conv2d(input: Any, filter: Any, strides: Any, padding: Any, rate: Any = None,
                     name: str | None = None, data_format: Any = None,
                     dilations: Any = None) -> Tensor:
    """``tf.nn.depthwise_conv2d``: one DepthwiseConv2dNative node named ``depthwise`` (or
    ``name``). A ``rate`` > 1 is written as the node's ``dilations`` attr (TF1 builds
    SpaceToBatchND/BatchToSpaceND around the node instead; the result is the same)."""
    rate = dilations if rate is None else rate
    g = op_builder.graph_of(input, filter)
    with g.as_default(), g.name_scope(name or "depthwise") as scope:
        return depthwise_conv2d_native(input, filter, strides, padding,
                                       data_format=data_format, dilations=rate, name=scope)


def separable_conv2d(input: Any, depthwise_filter: Any, pointwise_filter: Any, strides: Any,
                     padding: Any, rate: Any = None, name: str | None = None,
                     data_format: Any = None, dilations: Any = None) -> Tensor:
    """``tf.nn.separable_conv2d``: a depthwise conv (``<name>/depthwise``) then a 1x1
    VALID Conv2D with the pointwise filter (the node ``<name>``)."""
    rate = dilations if rate is None else rate
    g = op_builder.graph_of(input, depthwise_filter, pointwise_filter)
    with g.as_default(), g.name_scope(name or "separable_conv2d") as scope:
        dw = depthwise_conv2d_native(input, depthwise_filter, strides, padding,
                                     data_format=data_format, dilations=rate, name="depthwise")
        return conv2d(dw, pointwise_filter, [1, 1, 1, 1], "VALID",
                      data_format=normalize_format(data_format), name=scope)


def conv2d_transpose(value: Any = None, filter: Any = None, output_shape: Any = None,
                     strides: Any = None, padding: Any = "SAME", data_format: Any = "NHWC",
                     name: str | None = None, input: Any = None, filters: Any = None,
                     dilations: Any = None) -> Tensor:
    """``tf.nn.conv2d_transpose``: Conv2DBackpropInput(output_shape, filter, value) — the
    gradient of a conv2d whose input has ``output_shape`` (filter [kh, kw, out_channels,
    in_channels])."""
    value = input if value is None else value
    filter = filters if filter is None else filter
    g = op_builder.graph_of(value, filter, output_shape)
    with g.as_default(), g.name_scope(name or "conv2d_transpose") as scope:
        x, f = op_builder.convert_n([value, filter])
        fmt = normalize_format(data_format)
        axis = 3 if fmt == "NHWC" else 1
        c, fc = (x.shape[axis] if x.shape.rank == 4 else None,
                 f.shape[3] if f.shape.rank == 4 else None)
        if c is not None and fc is not None and c != fc:
            raise ValueError(f"conv2d_transpose: input channels {c} of '{x.name}' do not "
                             f"match the filter's last dimension {fc} (filter [height, "
                             "width, output_channels, in_channels])")
        sizes = op_builder.int_input(output_shape, "output_shape")
        return conv_node("Conv2DBackpropInput", [sizes, f, x],
                         window_attrs(strides, padding, fmt, dilations), name=scope)
