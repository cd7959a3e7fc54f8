"""MirrorPad and MirrorPadGrad (TF's op types) and the builder ``mirror_pad`` (``tf.pad`` with
mode REFLECT or SYMMETRIC; zero padding is ``Pad`` in ``layout_ops``).

REFLECT mirrors without repeating the edge (``[1, 2, 3]`` padded by 2 on the left gives
``[3, 2, 1, 2, 3]``; each pad must be < the dimension), SYMMETRIC repeats it (``[2, 1, 1, 2,
3]``; pad <= dimension). MirrorPadGrad folds a padded gradient back onto the input, one
axis at a time; its own gradient is MirrorPad again (it is linear).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import op_builder
from graphflow.ops.op_base import run_error

_MODES = {"REFLECT": "reflect", "SYMMETRIC": "symmetric"}


class _MirrorBase(Op):
    calls_blas = False
    input_names = ("input", "paddings")
    attr_defaults = {"Tpaddings": dtypes.int32}

    def pads(self, ctx: InferContext) -> tuple[str, np.ndarray | None, int | None]:
        mode = ctx.attr("mode")
        if mode not in _MODES:
            ctx.fail(f"mode must be 'REFLECT' or 'SYMMETRIC', got {mode!r}",
                     "use gf.pad for zero padding (mode 'CONSTANT')")
        ctx.require_index(1)
        pshape = ctx.require_rank(1, 2)
        x = ctx.inputs[0]
        rank = x.shape.rank if x.shape.rank is not None else (
            pshape[0] if pshape.rank == 2 else None)
        if rank is not None and pshape.rank == 2 and pshape[0] not in (None, rank):
            ctx.fail(f"paddings {ctx.input_label(1)} must have shape [{rank}, 2]",
                     "give one [before, after] pair per dimension")
        value = ctx.inputs[1].value
        if value is None or rank is None:
            return str(mode), None, rank
        return str(mode), np.asarray(value).reshape(rank, 2).astype(np.int64), rank


def _check(name: str, op_type: str, mode: str, shape: tuple[int, ...], pads: np.ndarray,
           grad: bool) -> None:
    """TF's limits: pads >= 0 and < dim (REFLECT) or <= dim (SYMMETRIC) of the input."""
    if pads.shape != (len(shape), 2) or (pads < 0).any():
        raise run_error(name, op_type, f"paddings {pads.tolist()} must be >= 0 with one "
                        f"[before, after] pair per dimension of shape {shape}")
    extra = 0 if mode == "REFLECT" else 1
    dims = [d - int(a) - int(b) for d, (a, b) in zip(shape, pads)] if grad else list(shape)
    for d, (a, b) in zip(dims, pads):
        if max(a, b) >= d + extra:
            limit = "less than" if mode == "REFLECT" else "at most"
            raise run_error(name, op_type, f"paddings {pads.tolist()} are too large for "
                            f"input dimensions {tuple(dims)} in {mode} mode (each pad must "
                            f"be {limit} its dimension)", "use smaller paddings")


@register
class MirrorPad(_MirrorBase):
    """out = input padded with mirror images of itself (mode REFLECT or SYMMETRIC)."""

    op_type = "MirrorPad"

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        mode, pads, rank = self.pads(ctx)
        if rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        dims: list[int | None] = list(x.shape.dims) if x.shape.dims is not None \
            else [None] * rank
        if pads is None:
            return [TensorSpec(x.dtype, [None] * rank)]
        extra = 0 if mode == "REFLECT" else 1
        for d, (a, b) in zip(dims, pads):
            if d is not None and max(a, b) >= d + extra:
                ctx.fail(f"paddings {pads.tolist()} are too large for {ctx.input_label(0)} in "
                         f"{mode} mode", "use pads below the dimension (REFLECT) or at most "
                         "it (SYMMETRIC)")
        return [TensorSpec(x.dtype, [None if d is None else d + int(a) + int(b)
                                     for d, (a, b) in zip(dims, pads)])]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, mode = ctx.name, ctx.attr("mode")

        def mirror_pad(x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
            pads = np.asarray(paddings).reshape(-1, 2).astype(np.int64)
            _check(name, "MirrorPad", mode, x.shape, pads, grad=False)
            return np.pad(x, pads, mode=_MODES[mode])  # type: ignore[call-overload]

        return mirror_pad

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d input = MirrorPadGrad(g, paddings): each padded element's gradient is added to
        the input element it mirrors."""
        return [_node("MirrorPadGrad", op_builder.dense(g), op.inputs[1],
                      op.get_attr("mode")), None]


def _fold(g: np.ndarray, pads: np.ndarray, mode: str) -> np.ndarray:
    out = g
    shift = 1 if mode == "REFLECT" else 0
    for axis, (a, b) in enumerate(pads):
        a, b = int(a), int(b)
        n = out.shape[axis] - a - b
        core = np.take(out, np.arange(a, a + n), axis=axis).copy()
        idx: list[Any] = [slice(None)] * out.ndim
        if a:
            left = np.flip(np.take(out, np.arange(0, a), axis=axis), axis)
            idx[axis] = slice(shift, shift + a)
            core[tuple(idx)] += left
        if b:
            right = np.flip(np.take(out, np.arange(a + n, a + n + b), axis=axis), axis)
            idx[axis] = slice(n - shift - b, n - shift)
            core[tuple(idx)] += right
        out = core
    return out


@register
class MirrorPadGrad(_MirrorBase):
    """out = the gradient of MirrorPad w.r.t. its input, given the padded gradient."""

    op_type = "MirrorPadGrad"

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        _, pads, rank = self.pads(ctx)
        if rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        dims: list[int | None] = list(x.shape.dims) if x.shape.dims is not None \
            else [None] * rank
        if pads is None:
            return [TensorSpec(x.dtype, [None] * rank)]
        out = [None if d is None else d - int(a) - int(b) for d, (a, b) in zip(dims, pads)]
        if any(d is not None and d < 0 for d in out):
            ctx.fail(f"paddings {pads.tolist()} exceed {ctx.input_label(0)}",
                     "pass the gradient of the MirrorPad output")
        return [TensorSpec(x.dtype, out)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, mode = ctx.name, ctx.attr("mode")

        def mirror_pad_grad(g: np.ndarray, paddings: np.ndarray) -> np.ndarray:
            pads = np.asarray(paddings).reshape(-1, 2).astype(np.int64)
            _check(name, "MirrorPadGrad", mode, g.shape, pads, grad=True)
            return _fold(g, pads, mode)

        return mirror_pad_grad

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d g = MirrorPad(g_out, paddings) (MirrorPadGrad is linear)."""
        return [_node("MirrorPad", op_builder.dense(g), op.inputs[1], op.get_attr("mode")),
                None]


def _node(op_type: str, x: Tensor, paddings: Tensor, mode: str,
          name: str | None = None) -> Tensor:
    return op_builder.apply1(op_type, [x, paddings], {"T": x.dtype, "Tpaddings": paddings.dtype,
                                                      "mode": mode}, name=name or op_type)


def mirror_pad(tensor: Any, paddings: Any, mode: str = "REFLECT",
               name: str | None = None) -> Tensor:
    """``tf.pad(tensor, paddings, mode)`` for mode REFLECT or SYMMETRIC: one MirrorPad."""
    m = str(mode).upper()
    if m not in _MODES:
        raise ValueError(f"mirror_pad: mode must be 'REFLECT' or 'SYMMETRIC', got {mode!r} "
                         "(gf.pad does zero padding)")
    x = op_builder.convert_to_tensor(tensor)
    with x.graph.as_default():
        p = op_builder.int_input(paddings, "paddings")
    return _node("MirrorPad", x, p, m, name=name or "MirrorPad")
