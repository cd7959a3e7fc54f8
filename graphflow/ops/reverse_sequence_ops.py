"""ReverseSequence and ReverseV2 (TF's op types) and the builders ``reverse_sequence``
(``tf.reverse_sequence``) and ``reverse`` (``tf.reverse``).

For each batch entry ``b`` (along ``batch_dim``) the first ``seq_lengths[b]`` slices along
``seq_dim`` are reversed; the rest are copied unchanged. TF's limits are checked when the op
runs (``seq_dim != batch_dim``, one length per batch entry, each ``0 <= length <=
input.dims(seq_dim)``). The op is linear and its own inverse: the gradient is ReverseSequence
of the upstream gradient with the same lengths (``bidirectional_dynamic_rnn`` and
``static_bidirectional_rnn`` reverse their inputs and outputs with it). ReverseV2 flips whole
axes (``bidirectional_dynamic_rnn`` without sequence lengths); it too is its own gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import op_builder

__all__ = ["reverse_sequence", "reverse"]


def _reverse(x: np.ndarray, lengths: np.ndarray, seq_dim: int, batch_dim: int) -> np.ndarray:
    """The numpy kernel body: one fancy-indexed gather along ``seq_dim`` per batch row."""
    out = x.copy()
    moved = np.moveaxis(x, (batch_dim, seq_dim), (0, 1))
    dest = np.moveaxis(out, (batch_dim, seq_dim), (0, 1))  # a view: writes land in out
    for b, n in enumerate(lengths.tolist()):
        n = int(n)
        if n > 1:
            dest[b, :n] = moved[b, n - 1::-1]
    return out


@register
class ReverseSequence(Op):
    """out = input with the first seq_lengths[b] slices along seq_dim reversed, for each b
    along batch_dim."""

    calls_blas = False

    op_type = "ReverseSequence"
    input_names = ("input", "seq_lengths")
    attr_defaults = {"batch_dim": 0, "Tlen": dtypes.int64}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_index(1)
        ctx.require_rank(1, 1)
        seq_dim, batch_dim = int(ctx.attr("seq_dim")), int(ctx.attr("batch_dim"))
        rank = x.shape.rank
        if seq_dim == batch_dim:
            ctx.fail(f"seq_dim == batch_dim == {seq_dim}",
                     "pass the time axis as seq_dim and the batch axis as batch_dim")
        if rank is not None:
            for what, d in (("seq_dim", seq_dim), ("batch_dim", batch_dim)):
                if not 0 <= d < rank:
                    ctx.fail(f"{what} {d} is out of range for {ctx.input_label(0)} of rank "
                             f"{rank}", f"use a {what} in [0, {rank})")
            n = ctx.inputs[1].shape[0] if ctx.inputs[1].shape.rank == 1 else None
            b = x.shape[batch_dim]
            if n is not None and b is not None and n != b:
                ctx.fail(f"{ctx.input_label(1)} must have one length per batch entry: "
                         f"length {n} != input.dims({batch_dim}) = {b}",
                         "pass a [batch_size] vector of sequence lengths")
        return [TensorSpec(x.dtype, x.shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        seq_dim, batch_dim = int(ctx.attr("seq_dim")), int(ctx.attr("batch_dim"))

        def reverse_sequence(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
            if not (0 <= seq_dim < x.ndim and 0 <= batch_dim < x.ndim):
                raise ctx.invalid(f"seq_dim {seq_dim} / batch_dim {batch_dim} out of range "
                                  f"for an input of rank {x.ndim}")
            lengths = np.asarray(lengths)
            if lengths.ndim != 1 or lengths.shape[0] != x.shape[batch_dim]:
                raise ctx.invalid(f"Length of seq_lengths != input.dims({batch_dim}), "
                                  f"({lengths.shape[0] if lengths.ndim == 1 else lengths.shape}"
                                  f" vs. {x.shape[batch_dim]})",
                                  "pass one sequence length per batch entry")
            t = x.shape[seq_dim]
            bad = np.flatnonzero((lengths < 0) | (lengths > t))
            if bad.size:
                i = int(bad[0])
                raise ctx.invalid(f"seq_lens({i}) = {int(lengths[i])} is not in [0, "
                                  f"input.dims({seq_dim}) = {t}]",
                                  "sequence lengths must lie between 0 and the time dimension")
            return _reverse(x, lengths, seq_dim, batch_dim)

        return reverse_sequence

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d input = ReverseSequence(g, seq_lengths) (the op permutes elements and is its own
        inverse); seq_lengths gets no gradient."""
        return [_node(op_builder.dense(g), op.inputs[1], int(op.get_attr("seq_dim")),
                      int(op.get_attr("batch_dim"))), None]


def _node(x: Tensor, lengths: Tensor, seq_dim: int, batch_dim: int,
          name: str | None = None) -> Tensor:
    return op_builder.apply1("ReverseSequence", [x, lengths],
                             {"T": x.dtype, "Tlen": lengths.dtype, "seq_dim": seq_dim,
                              "batch_dim": batch_dim}, name=name or "ReverseSequence")


def reverse_sequence(input: Any, seq_lengths: Any, seq_axis: int | None = None,  # noqa: A002
                     batch_axis: int | None = None, name: str | None = None,
                     seq_dim: int | None = None, batch_dim: int | None = None) -> Tensor:
    """``tf.reverse_sequence``: reverse the first ``seq_lengths[b]`` entries along
    ``seq_axis`` of each batch row ``b`` (along ``batch_axis``, default 0). ``seq_dim`` and
    ``batch_dim`` are TF1's deprecated spellings. Negative axes count from the end."""
    if seq_axis is not None and seq_dim is not None and seq_axis != seq_dim:
        raise ValueError("reverse_sequence: pass seq_axis or seq_dim, not both")
    if batch_axis is not None and batch_dim is not None and batch_axis != batch_dim:
        raise ValueError("reverse_sequence: pass batch_axis or batch_dim, not both")
    s = seq_axis if seq_axis is not None else seq_dim
    b = batch_axis if batch_axis is not None else (batch_dim if batch_dim is not None else 0)
    if s is None:
        raise ValueError("reverse_sequence: seq_axis is required (the time axis)")
    g = op_builder.graph_of(input, seq_lengths)
    with g.as_default():
        x = op_builder.convert_to_tensor(input)
        lengths = op_builder.convert_to_tensor(seq_lengths)
        if lengths.dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"reverse_sequence: seq_lengths '{lengths.name}' must be int32 or "
                             f"int64, got {lengths.dtype.name}; cast it with gf.cast")
        rank = x.shape.rank
        if rank is not None:
            s = s + rank if s < 0 else s
            b = b + rank if b < 0 else b
        return _node(x, lengths, int(s), int(b), name=name)


@register
class ReverseV2(Op):
    """out = tensor with the order of its elements reversed along each of ``axis``."""

    calls_blas = False

    op_type = "ReverseV2"
    input_names = ("tensor", "axis")
    attr_defaults = {"Tidx": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_index(1)
        ctx.require_rank(1, 1)
        axes = ctx.static_ints(1)
        rank = x.shape.rank
        if axes is not None and rank is not None:
            seen = set()
            for a in axes:
                if not -rank <= a < rank:
                    ctx.fail(f"axis {a} is out of range for {ctx.input_label(0)} of rank "
                             f"{rank}", f"use axes in [-{rank}, {rank})")
                if a % rank in seen:
                    ctx.fail(f"axis {a} is given more than once in {list(axes)}",
                             "list each axis once")
                seen.add(a % rank)
        return [TensorSpec(x.dtype, x.shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def reverse(x: np.ndarray, axis: np.ndarray) -> np.ndarray:
            axes = ctx.check_axes(axis, max(x.ndim, 1)) if np.size(axis) else ()
            return np.flip(x, axis=axes).copy() if axes else x.copy()
        return reverse

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d tensor = ReverseV2(g, axis) (a reversal is its own inverse); axis: none."""
        g = op_builder.dense(g)
        return [op_builder.apply1("ReverseV2", [g, op.inputs[1]],
                                  {"T": g.dtype, "Tidx": op.inputs[1].dtype},
                                  name="ReverseV2"), None]


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """``tf.reverse`` (``tf.reverse_v2``): reverse ``tensor`` along the axes in ``axis``."""
    g = op_builder.graph_of(tensor, axis)
    with g.as_default():
        x = op_builder.convert_to_tensor(tensor)
        a = op_builder.int_input(axis if isinstance(axis, Tensor) or np.ndim(axis) else
                                 [axis], "axis")
    return op_builder.apply1("ReverseV2", [x, a], {"T": x.dtype, "Tidx": a.dtype},
                             name=name or "ReverseV2")
