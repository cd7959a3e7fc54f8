"""Candidate samplers (TF's ``UniformCandidateSampler`` and ``LogUniformCandidateSampler``,
seeded through ``seed``/``seed2`` like the other random ops) and the sampled losses built
on them, composed as TF1's ``nn_impl._compute_sampled_logits``: ``nce_loss`` (logistic
loss on the true and sampled logits, log Q subtracted) and ``sampled_softmax_loss``
(softmax cross-entropy over them, accidental hits removed). The sampler's outputs are
stop-gradient; the losses' gradients reach inputs, weights (IndexedSlices rows) and biases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Tensor, TensorSpec
from graphflow.ops import (
    array_ops,
    comparison_ops,
    cross_entropy_ops,
    gather_ops,
    layout_ops,
    linalg_ops,
    math_ops,
    op_builder,
    random_ops,
    reduction_ops,
)

_FLOAT32_MAX = float(np.finfo(np.float32).max)


class _CandidateSampler(Op):
    """(sampled_candidates [num_sampled] int64, true_expected_count [batch, num_true],
    sampled_expected_count [num_sampled]) for classes in [0, range_max). With ``unique``
    the candidates are distinct and the expected count of a class of probability p after
    n draws is 1 - (1 - p)^n; otherwise num_sampled * p (TensorFlow's definitions)."""

    input_names = ("true_classes",)
    stateful = True
    differentiable = False
    attr_defaults = {"seed": 0, "seed2": 0}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_dtype(0, lambda d: d == dtypes.int64, "an int64 matrix")
        t = ctx.require_rank(0, 2)
        n, num_true = ctx.attr("num_sampled"), ctx.attr("num_true")
        range_max, unique = ctx.attr("range_max"), ctx.attr("unique")
        if range_max < 1:
            ctx.fail(f"range_max must be >= 1, got {range_max}")
        if unique and n > range_max:
            ctx.fail(f"cannot draw num_sampled = {n} unique classes from range_max = "
                     f"{range_max}", "lower num_sampled or set unique=False")
        if t.rank is not None and t[1] is not None and t[1] != num_true:
            ctx.fail(f"{ctx.input_label(0)} has {t[1]} columns but num_true = {num_true}")
        batch = t[0] if t.rank is not None else None
        return [TensorSpec(dtypes.int64, [n]), TensorSpec(dtypes.float32, [batch, num_true]),
                TensorSpec(dtypes.float32, [n])]

    def prob(self, k: np.ndarray, range_max: int) -> np.ndarray:
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, size: int, range_max: int) -> np.ndarray:
        raise NotImplementedError

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        seed, seed2 = ctx.attr("seed"), ctx.attr("seed2")
        rng = ctx.resources.op_rng(ctx.name, seed, seed2) if seed or seed2 else \
            ctx.resources.rng
        n, unique, range_max = ctx.attr("num_sampled"), ctx.attr("unique"), ctx.attr("range_max")

        def sample(true_classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            ctx.check_indices(true_classes, range_max, "true_classes")
            if unique:
                chosen: list[int] = []
                seen: set[int] = set()
                tries = 0
                while len(chosen) < n:
                    for k in self.draw(rng, max(n - len(chosen), 1), range_max).tolist():
                        tries += 1
                        if k not in seen:
                            seen.add(k)
                            chosen.append(k)
                            if len(chosen) == n:
                                break
                sampled = np.asarray(chosen, dtype=np.int64)

                def expected(k: np.ndarray) -> np.ndarray:
                    return -np.expm1(tries * np.log1p(-self.prob(k, range_max)))
            else:
                sampled = self.draw(rng, n, range_max).astype(np.int64)

                def expected(k: np.ndarray) -> np.ndarray:
                    return n * self.prob(k, range_max)
            return (sampled, expected(true_classes).astype(np.float32),
                    expected(sampled).astype(np.float32))
        return sample


@register
class UniformCandidateSampler(_CandidateSampler):
    """Classes drawn uniformly from [0, range_max)."""

    op_type = "UniformCandidateSampler"

    def prob(self, k: np.ndarray, range_max: int) -> np.ndarray:
        return np.full(np.shape(k), 1.0 / range_max)

    def draw(self, rng: np.random.Generator, size: int, range_max: int) -> np.ndarray:
        return rng.integers(0, range_max, size=size)


@register
class LogUniformCandidateSampler(_CandidateSampler):
    """Zipfian classes: P(k) = (log(k + 2) - log(k + 1)) / log(range_max + 1) (frequent
    classes have small ids, as in word vocabularies sorted by count)."""

    op_type = "LogUniformCandidateSampler"

    def prob(self, k: np.ndarray, range_max: int) -> np.ndarray:
        k = np.asarray(k, dtype=np.float64)
        return (np.log(k + 2.0) - np.log(k + 1.0)) / np.log(range_max + 1.0)

    def draw(self, rng: np.random.Generator, size: int, range_max: int) -> np.ndarray:
        u = rng.random(size)
        k = np.floor(np.exp(u * np.log(range_max + 1.0))).astype(np.int64) - 1
        return np.clip(k, 0, range_max - 1)


def _sampler(op_type: str, true_classes: Any, num_true: int, num_sampled: int, unique: bool,
             range_max: int, seed: int | None, name: str | None
             ) -> tuple[Tensor, Tensor, Tensor]:
    t = op_builder.convert_to_tensor(true_classes, dtype=dtypes.int64)
    s1, s2 = random_ops.get_seed(seed)
    op = op_builder.apply(op_type, [t], {"num_true": int(num_true),
                                         "num_sampled": int(num_sampled),
                                         "unique": bool(unique), "range_max": int(range_max),
                                         "seed": s1, "seed2": s2}, name=name or op_type)
    return op.outputs[0], op.outputs[1], op.outputs[2]


def uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                              unique: bool, range_max: int, seed: int | None = None,
                              name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``tf.random.uniform_candidate_sampler``."""
    return _sampler("UniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name)


def log_uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                  unique: bool, range_max: int, seed: int | None = None,
                                  name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``tf.random.log_uniform_candidate_sampler``."""
    return _sampler("LogUniformCandidateSampler", true_classes, num_true, num_sampled,
                    unique, range_max, seed, name)


def compute_sampled_logits(weights: Any, biases: Any, labels: Any, inputs: Any,
                           num_sampled: int, num_classes: int, num_true: int = 1,
                           sampled_values: Any = None, subtract_log_q: bool = True,
                           remove_accidental_hits: bool = False, seed: int | None = None
                           ) -> tuple[Tensor, Tensor]:
    """(logits [batch, num_true + num_sampled], labels of the same shape) as TF1's
    ``_compute_sampled_logits``; the true classes come first."""
    x = op_builder.convert_to_tensor(inputs, name="inputs")
    lab = linalg_ops.cast(op_builder.convert_to_tensor(labels, name="labels"), dtypes.int64)
    if lab.shape.rank == 1:
        lab = array_ops.reshape(lab, [-1, num_true])
    labels_flat = array_ops.reshape(lab, [-1])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(lab, num_true, num_sampled, True,
                                                       num_classes, seed=seed)
    sampled, true_expected, sampled_expected = (array_ops.stop_gradient(s)
                                                for s in sampled_values)
    true_w = gather_ops.embedding_lookup(weights, labels_flat)
    sampled_w = gather_ops.embedding_lookup(weights, sampled)
    true_b = gather_ops.embedding_lookup(biases, labels_flat)
    sampled_b = gather_ops.embedding_lookup(biases, sampled)
    sampled_logits = math_ops.add(linalg_ops.matmul(x, sampled_w, transpose_b=True), sampled_b)
    dim = x.shape[1] if x.shape.rank == 2 and x.shape[1] is not None else -1
    rows = math_ops.multiply(array_ops.expand_dims(x, 1),
                             array_ops.reshape(true_w, [-1, num_true, dim]))
    true_logits = math_ops.add(reduction_ops.reduce_sum(rows, [2]),
                               array_ops.reshape(true_b, [-1, num_true]))
    if remove_accidental_hits:
        hits = reduction_ops.reduce_any(comparison_ops.equal(
            array_ops.expand_dims(lab, 2), array_ops.reshape(sampled, [1, 1, -1])), [1])
        penalty = comparison_ops.select_v2(
            hits, op_builder.constant(-_FLOAT32_MAX, dtype=sampled_logits.dtype),
            op_builder.constant(0.0, dtype=sampled_logits.dtype))
        sampled_logits = math_ops.add(sampled_logits, penalty)
    if subtract_log_q:
        true_logits = math_ops.subtract(
            true_logits, math_ops.log(linalg_ops.cast(true_expected, true_logits.dtype)))
        sampled_logits = math_ops.subtract(
            sampled_logits, math_ops.log(linalg_ops.cast(sampled_expected,
                                                         sampled_logits.dtype)))
    out_logits = layout_ops.concat([true_logits, sampled_logits], 1)
    ones = math_ops.truediv(array_ops.ones_like(true_logits),
                            op_builder.constant(float(num_true), dtype=true_logits.dtype))
    out_labels = layout_ops.concat([ones, array_ops.zeros_like(sampled_logits)], 1)
    return out_logits, out_labels


def nce_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
             num_classes: int, num_true: int = 1, sampled_values: Any = None,
             remove_accidental_hits: bool = False, partition_strategy: str = "mod",
             name: str = "nce_loss", seed: int | None = None) -> Tensor:
    """``tf.nn.nce_loss``: per example, the logistic loss of the true classes against
    ``num_sampled`` sampled ones (log-uniform by default), shape [batch]."""
    g = op_builder.graph_of(weights, biases, labels, inputs)
    with g.as_default(), g.name_scope(name):
        logits, targets = compute_sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, seed)
        losses = cross_entropy_ops.sigmoid_cross_entropy_with_logits(
            labels=targets, logits=logits, name="sampled_losses")
        return reduction_ops.reduce_sum(losses, [1])


def sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any,
                         num_sampled: int, num_classes: int, num_true: int = 1,
                         sampled_values: Any = None, remove_accidental_hits: bool = True,
                         partition_strategy: str = "mod", name: str = "sampled_softmax_loss",
                         seed: int | None = None) -> Tensor:
    """``tf.nn.sampled_softmax_loss``: softmax cross-entropy over the true and the sampled
    classes (accidental hits removed by default), shape [batch]."""
    g = op_builder.graph_of(weights, biases, labels, inputs)
    with g.as_default(), g.name_scope(name):
        logits, targets = compute_sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, seed)
        return cross_entropy_ops.softmax_cross_entropy_with_logits_v2(
            labels=array_ops.stop_gradient(targets), logits=logits, name="sampled_losses")
