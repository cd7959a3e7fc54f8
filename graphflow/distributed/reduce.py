"""Averaging the workers' gradients (the reduce of the all-reduce), in numpy.

With a mean loss, the gradient of a batch split into shards of ``n_i`` rows is the weighted
average ``sum_i (n_i / N) g_i`` of the shards' gradients (equal shards: the plain mean):

* dense gradients: that weighted sum, computed in the gradient's dtype;
* ``IndexedSlices`` (embedding rows): the rows of every shard, each shard's scaled by its
  weight, concatenated with their indices. Scattering those rows gives exactly the weighted
  sum of the dense gradients, and the optimizer sums duplicate indices as it always does.

``nbytes`` measures what one step moves: the benchmark and docs quote it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.distributed.replica import GradValue
from graphflow.framework.indexed_slices import IndexedSlicesValue


def shard_weights(sizes: Sequence[int]) -> list[float]:
    """``n_i / sum(n)`` per shard; fails on an empty batch."""
    total = sum(sizes)
    if total <= 0:
        raise ValueError(f"a training step needs at least one example, got shard sizes "
                         f"{list(sizes)}")
    return [n / total for n in sizes]


def average_gradients(shards: Sequence[dict[str, GradValue]],
                      weights: Sequence[float]) -> dict[str, GradValue]:
    """The weighted average of the shards' gradients (module docstring), per variable."""
    if not shards or len(shards) != len(weights):
        raise ValueError(f"{len(shards)} gradient sets for {len(weights)} weights")
    names = list(shards[0])
    for i, s in enumerate(shards[1:], 1):
        if list(s) != names:
            raise ValueError(f"shard {i} has gradients for {sorted(s)}, shard 0 for "
                             f"{sorted(names)}: every replica must train the same variables")
    out: dict[str, GradValue] = {}
    for name in names:
        parts = [s[name] for s in shards]
        if all(isinstance(p, IndexedSlicesValue) for p in parts):
            rows = [p for p in parts if isinstance(p, IndexedSlicesValue)]
            out[name] = IndexedSlicesValue(
                np.concatenate([_scaled(p.values, w) for p, w in zip(rows, weights)]),
                np.concatenate([p.indices for p in rows]),
                rows[0].dense_shape)
        elif any(isinstance(p, IndexedSlicesValue) for p in parts):
            raise TypeError(f"variable '{name}': some shards sent rows (IndexedSlices) and "
                            "some a dense gradient")
        else:
            dense = [np.asarray(p) for p in parts]
            acc = _scaled(dense[0], weights[0])
            for p, w in zip(dense[1:], weights[1:]):
                acc += _scaled(p, w)
            out[name] = acc
    return out


def _scaled(a: np.ndarray, w: float) -> np.ndarray:
    """``w * a`` as a new array of ``a``'s dtype (``w == 1`` copies exactly)."""
    return np.multiply(a, a.dtype.type(w), dtype=a.dtype) if a.dtype.kind in "fc" else \
        a * w


def nbytes(grads: dict[str, GradValue]) -> int:
    """Bytes of one gradient set: dense arrays, or rows plus indices."""
    total = 0
    for g in grads.values():
        if isinstance(g, IndexedSlicesValue):
            total += g.values.nbytes + g.indices.nbytes
        else:
            total += np.asarray(g).nbytes
    return total
