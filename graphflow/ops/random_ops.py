"""Random tensors: RandomUniform, RandomStandardNormal, TruncatedNormal (stateful sources).

Seeds follow TF1: with a graph-level seed (``gf.set_random_seed``) or an op seed, an op's
stream is deterministic per session; with neither it differs from run to run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.graph import get_default_graph
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Tensor, TensorSpec
from graphflow.ops import math_ops, op_builder

DEFAULT_GRAPH_SEED = 87654321


class _Random(Op):
    calls_blas = False
    input_names = ("shape",)
    stateful = True
    differentiable = False
    attr_defaults = {"seed": 0, "seed2": 0}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.attr("dtype")
        if not dt.is_floating:
            ctx.fail(f"dtype must be floating point, got {dt.name}")
        return [TensorSpec(dt, ctx.shape_from_value(0))]

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...], dtype: Any
               ) -> np.ndarray:
        """Samples of ``shape`` drawn in ``dtype`` (numpy's float32 or float64 stream)."""
        raise NotImplementedError

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        seed, seed2 = ctx.attr("seed"), ctx.attr("seed2")
        resources = ctx.resources
        rng = resources.op_rng(ctx.name, seed, seed2) if seed or seed2 else resources.rng
        np_dtype = ctx.attr("dtype").np_dtype
        # float32 tensors are drawn by numpy's float32 generators (half the random bits and
        # no conversion pass: dropout masks are sampled every training step); other dtypes
        # are drawn in float64 and converted.
        draw = np.dtype(np.float32) if np_dtype == np.float32 else np.dtype(np.float64)
        sample = self.sample
        return lambda shape: sample(rng, tuple(int(d) for d in shape), draw).astype(
            np_dtype, copy=False)


@register
class RandomUniform(_Random):
    """Uniform samples in [0, 1)."""

    op_type = "RandomUniform"

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...], dtype: Any
               ) -> np.ndarray:
        return rng.random(shape, dtype=dtype)


@register
class RandomStandardNormal(_Random):
    """Standard normal samples."""

    op_type = "RandomStandardNormal"

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...], dtype: Any
               ) -> np.ndarray:
        return rng.standard_normal(shape, dtype=dtype)


@register
class TruncatedNormal(_Random):
    """Standard normal samples redrawn until within two standard deviations."""

    op_type = "TruncatedNormal"

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...], dtype: Any
               ) -> np.ndarray:
        out = rng.standard_normal(shape, dtype=dtype)
        bad = np.abs(out) > 2
        while bad.any():
            out[bad] = rng.standard_normal(int(bad.sum()), dtype=dtype)
            bad = np.abs(out) > 2
        return out


def set_random_seed(seed: int | None) -> None:
    """Graph-level seed of the default graph (``tf.set_random_seed``)."""
    get_default_graph().seed = seed


def get_seed(op_seed: int | None) -> tuple[int, int]:
    """TF1's seed derivation: (graph seed, op seed or a per-graph counter)."""
    graph = get_default_graph()
    if graph.seed is not None:
        return graph.seed, op_seed if op_seed is not None else graph.version
    if op_seed is not None:
        return DEFAULT_GRAPH_SEED, op_seed
    return 0, 0


def _random(op_type: str, shape: Any, dtype: Any, seed: int | None, name: str) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    s1, s2 = get_seed(seed)
    shape_t = shape if isinstance(shape, Tensor) else op_builder.constant(
        np.asarray(list(shape), dtype=np.int32), name="shape")
    return op_builder.apply1(op_type, [shape_t], {"dtype": dt, "T": shape_t.dtype,
                                                  "seed": s1, "seed2": s2}, name=name)


def random_uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0,
                   dtype: Any = dtypes.float32, seed: int | None = None,
                   name: str | None = None) -> Tensor:
    """Uniform samples in [minval, maxval)."""
    with get_default_graph().name_scope(name or "random_uniform"):
        u = _random("RandomUniform", shape, dtype, seed, "RandomUniform")
        if minval == 0.0 and maxval == 1.0:
            return u
        span = op_builder.constant(maxval - minval, dtype=dtype, name="range")
        return math_ops.add(math_ops.multiply(u, span), op_builder.constant(minval, dtype=dtype),
                            name="random")


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0,
                  dtype: Any = dtypes.float32, seed: int | None = None,
                  name: str | None = None) -> Tensor:
    """``tf.random_normal``: samples of a normal distribution with ``mean`` and
    ``stddev`` in a tensor of ``shape`` (a seeded, stateful op: new values each
    run)."""
    with get_default_graph().name_scope(name or "random_normal"):
        z = _random("RandomStandardNormal", shape, dtype, seed, "RandomStandardNormal")
        return math_ops.add(math_ops.multiply(z, op_builder.constant(stddev, dtype=dtype)),
                            op_builder.constant(mean, dtype=dtype), name="random")


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0,
                     dtype: Any = dtypes.float32, seed: int | None = None,
                     name: str | None = None) -> Tensor:
    """``tf.truncated_normal``: normal samples re-drawn until within two
    standard deviations of ``mean`` (a seeded, stateful op)."""
    with get_default_graph().name_scope(name or "truncated_normal"):
        z = _random("TruncatedNormal", shape, dtype, seed, "TruncatedNormal")
        return math_ops.add(math_ops.multiply(z, op_builder.constant(stddev, dtype=dtype)),
                            op_builder.constant(mean, dtype=dtype), name="truncated_normal")


