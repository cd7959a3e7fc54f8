"""``ReplicaWorker``: the body of one data-parallel Ray actor (a plain class).

``DataParallelTrainer`` wraps it with ``ray.remote`` at run time, so this module, like the
rest of ``graphflow.distributed``, imports without Ray; tests also use it in-process.
The worker calls ``build(rank)`` with a fresh default graph (the builder may also make its
own) and gets a ``Replica``; it attaches the ``GradientExchange``, and then only answers
calls: compute gradients on a shard, apply an averaged gradient, report or load its
variables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.distributed.replica import GradientExchange, GradValue, Replica
from graphflow.framework.graph import Graph


class ReplicaWorker:
    """One replica: its own graph and Session (see the module docstring)."""

    def __init__(self, build: Callable[[int], Replica], rank: int) -> None:
        self.rank = rank
        self.steps = 0
        #: Wall seconds spent inside compute and apply (the benchmark's compute share).
        self.seconds = {"compute": 0.0, "apply": 0.0}
        graph = Graph()
        with graph.as_default():
            replica = build(rank)
        if not isinstance(replica, Replica):
            raise TypeError(f"the replica build function must return a "
                            f"graphflow.distributed.Replica, got {type(replica).__name__}")
        self.exchange = GradientExchange(replica)

    def compute(self, feed: dict[str, Any]) -> tuple[float, int, dict[str, GradValue]]:
        """(loss, rows in the shard, gradients) of one shard; feeds keyed by tensor name."""
        t0 = time.perf_counter()
        loss, grads = self.exchange.compute(feed)
        self.seconds["compute"] += time.perf_counter() - t0
        return loss, _rows(feed), grads

    def apply(self, grads: dict[str, GradValue]) -> int:
        """Apply the averaged gradients; returns how many steps this worker has taken."""
        t0 = time.perf_counter()
        self.exchange.apply(grads)
        self.seconds["apply"] += time.perf_counter() - t0
        self.steps += 1
        return self.steps

    def timings(self) -> dict[str, float]:
        """Seconds spent computing gradients and applying updates so far."""
        return dict(self.seconds)

    def variables(self) -> dict[str, np.ndarray]:
        return self.exchange.values()

    def load_variables(self, values: dict[str, np.ndarray], steps: int | None = None) -> None:
        self.exchange.load(values)
        if steps is not None:
            self.steps = steps

    def signature(self) -> dict[str, tuple[tuple[int, ...], str]]:
        return self.exchange.signature()

    def digest(self) -> str:
        return self.exchange.digest()

    def run(self, fetches: Any, feed: dict[str, Any] | None = None) -> Any:
        """``Session.run`` on this replica (fetches and feeds by tensor name)."""
        return self.exchange.session.run(fetches, feed)


def _rows(feed: dict[str, Any]) -> int:
    """The batch size of a shard's feed: the leading dimension its arrays share."""
    sizes = {np.shape(v)[0] for v in feed.values() if np.ndim(v) >= 1}
    if len(sizes) != 1:
        raise ValueError(f"a shard's batched feeds must share their leading dimension, got "
                         f"{sorted(sizes) or 'no batched feed'}")
    return int(sizes.pop())
