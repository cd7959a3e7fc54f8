"""Synchronous data-parallel training over N Ray actors.

``DataParallelTrainer(build, num_workers)`` starts one ``ReplicaWorker`` actor per rank; each
builds the same training graph (``build(rank)`` returns a ``Replica``) in its own process with
its own Session. Then:

  1. rank 0's variables (or ``initial_values``) are broadcast, so every replica starts equal;
  2. each ``step(batch)`` splits the batch into N shards along axis 0; every worker computes
     its shard's loss and gradients (dense arrays and ``IndexedSlices`` rows);
  3. the driver averages them (``reduce.average_gradients``: weights = shard sizes) and puts
     the average into Ray's object store once;
  4. every worker applies that same average with the same optimizer graph, so the variables
     stay identical on every worker after every step (``in_sync`` checks it by hash).

The reported loss is the shard-size weighted mean of the shards' losses: with a mean loss,
the full batch's loss, as in single-process training. Step 4's applies are not waited for:
each actor runs its calls in order, so the next step's compute follows its apply; a failure
in either is reported at the next call, with the worker's rank and the step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.distributed import cluster
from graphflow.distributed.reduce import average_gradients, nbytes, shard_weights
from graphflow.distributed.replica import Replica
from graphflow.distributed.worker import ReplicaWorker

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class WorkerFailedError(RuntimeError):
    """A data-parallel worker died or raised; ``rank`` and ``step`` say which and when."""

    def __init__(self, rank: int, num_workers: int, step: int, phase: str, cause: str,
                 died: bool) -> None:
        self.rank, self.step, self.phase, self.died = rank, step, phase, died
        what = "died" if died else "failed"
        super().__init__(
            f"data-parallel worker rank {rank} of {num_workers} {what} at step {step} "
            f"(while {phase}): {cause}")


class DataParallelTrainer:
    """The driver of synchronous data-parallel training (see the module docstring)."""

    def __init__(self, build: Callable[[int], Replica], num_workers: int, *,
                 initial_values: dict[str, np.ndarray] | None = None, steps: int = 0,
                 cpus_per_worker: float = 1.0, address: str | None = None,
                 timeout: float | None = 600.0) -> None:
        if num_workers < 1:
            raise ValueError(f"num_workers must be >= 1, got {num_workers}")
        self._started = cluster.connect(address)
        self._ray = cluster.require_ray()
        self.num_workers = num_workers
        self.steps = steps
        self.timeout = timeout
        #: Gradient bytes the last step moved: up (workers -> driver), down (the average to
        #: every worker) and their sum.
        self.last_step_bytes = self.last_step_bytes_up = self.last_step_bytes_down = 0
        self._pending: list[tuple[int, Any]] = []
        have = cluster.cluster_cpus()
        if have < num_workers * cpus_per_worker:
            self._shutdown_ray()
            raise ValueError(
                f"the Ray cluster has {have:g} CPUs but {num_workers} workers need "
                f"{num_workers * cpus_per_worker:g} ({cpus_per_worker:g} each): use fewer "
                "workers, a smaller cpus_per_worker, or a larger cluster (--address)")
        actor = self._ray.remote(num_cpus=cpus_per_worker, max_restarts=0)(ReplicaWorker)
        self.workers: list[Any] = [actor.remote(build, rank) for rank in range(num_workers)]
        try:
            signatures = self._gather([(r, w.signature.remote())
                                       for r, w in enumerate(self.workers)], "building")
            for r in range(1, num_workers):
                if signatures[r] != signatures[0]:
                    raise ValueError(f"replica {r} built other variables than replica 0: "
                                     f"{_signature_difference(signatures[0], signatures[r])}")
            if initial_values is None:
                initial_values = self._gather([(0, self.workers[0].variables.remote())],
                                              "reading its variables")[0]
            self.load_variables(initial_values, steps)
        except BaseException:
            self.close()
            raise

    # -- training --------------------------------------------------------------------------
    def step(self, batch: dict[str, Any], constants: dict[str, Any] | None = None) -> float:
        """One synchronous step on ``batch`` (tensor name -> array, split along axis 0 into
        ``num_workers`` shards); ``constants`` go unchanged to every worker. Returns the
        batch's loss (before the update)."""
        scalars = sorted(k for k, v in batch.items() if np.ndim(v) == 0)
        if scalars:
            raise ValueError(f"the batched feeds {scalars} are scalars: pass values every "
                             "worker gets unchanged as constants=")
        sizes = {np.shape(v)[0] for v in batch.values()}
        if len(sizes) != 1:
            raise ValueError(f"the batched feeds must share their leading dimension, got "
                             f"{ {k: np.shape(v) for k, v in batch.items()} }")
        bounds = np.linspace(0, sizes.pop(), self.num_workers + 1).round().astype(int)
        shards = [{**{k: v[a:b] for k, v in batch.items()}, **(constants or {})}
                  for a, b in zip(bounds[:-1], bounds[1:])]
        return self.step_shards(shards)

    def step_shards(self, feeds: Sequence[dict[str, Any]]) -> float:
        """One synchronous step with worker r computing on ``feeds[r]``; a shard whose
        batched feeds have 0 rows contributes nothing (its worker still applies)."""
        if len(feeds) != self.num_workers:
            raise ValueError(f"{len(feeds)} shards for {self.num_workers} workers")
        self._settle()
        active = [r for r, f in enumerate(feeds) if _leading(f) > 0]
        results = self._gather([(r, self.workers[r].compute.remote(feeds[r]))
                                for r in active], "computing gradients")
        losses = [results[r][0] for r in active]
        weights = shard_weights([results[r][1] for r in active])
        grads = [results[r][2] for r in active]
        average = average_gradients(grads, weights)
        self.last_step_bytes_up = sum(nbytes(g) for g in grads)
        self.last_step_bytes_down = self.num_workers * nbytes(average)
        self.last_step_bytes = self.last_step_bytes_up + self.last_step_bytes_down
        ref = self._ray.put(average)
        self._pending = [(r, w.apply.remote(ref)) for r, w in enumerate(self.workers)]
        self.steps += 1
        return float(sum(w * loss for w, loss in zip(weights, losses)))

    # -- state -----------------------------------------------------------------------------
    def variables(self, rank: int = 0) -> dict[str, np.ndarray]:
        """Every variable of replica ``rank`` after the last step."""
        self._settle()
        return self._gather([(rank, self.workers[rank].variables.remote())],
                            "reading its variables")[rank]

    def load_variables(self, values: dict[str, np.ndarray], steps: int | None = None) -> None:
        """Set every replica's variables to ``values`` (e.g. a restored checkpoint)."""
        self._settle()
        ref = self._ray.put(values)
        self._gather([(r, w.load_variables.remote(ref, steps))
                      for r, w in enumerate(self.workers)], "loading variables")
        if steps is not None:
            self.steps = steps

    def digests(self) -> list[str]:
        """Per rank, a hash of all its variables' bytes."""
        self._settle()
        found = self._gather([(r, w.digest.remote()) for r, w in enumerate(self.workers)],
                             "hashing its variables")
        return [found[r] for r in range(self.num_workers)]

    def timings(self) -> list[dict[str, float]]:
        """Per rank, the seconds its worker spent computing gradients and applying updates."""
        self._settle()
        found = self._gather([(r, w.timings.remote()) for r, w in enumerate(self.workers)],
                             "reporting timings")
        return [found[r] for r in range(self.num_workers)]

    def in_sync(self) -> bool:
        """True when every replica holds bit-identical variables."""
        return len(set(self.digests())) == 1

    def run(self, fetches: Any, feed: dict[str, Any] | None = None, rank: int = 0) -> Any:
        """``Session.run`` on replica ``rank`` (fetches and feeds by tensor name)."""
        self._settle()
        return self._gather([(rank, self.workers[rank].run.remote(fetches, feed))],
                            "running")[rank]

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        """End the actors (and the local Ray cluster, if this trainer started it)."""
        for w in getattr(self, "workers", []):
            self._ray.kill(w)
        self.workers = []
        self._pending = []
        self._shutdown_ray()

    def __enter__(self) -> DataParallelTrainer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------
    def _shutdown_ray(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def _settle(self) -> None:
        """Wait for the last step's applies (reporting a failed one with its step)."""
        pending, self._pending = self._pending, []
        if pending:
            self._gather(pending, "applying the averaged gradients", step=self.steps - 1)

    def _gather(self, refs: list[tuple[int, Any]], phase: str,
                step: int | None = None) -> dict[int, Any]:
        """``ray.get`` each (rank, ref), turning a dead or failing actor into a
        ``WorkerFailedError`` naming its rank and the step."""
        exc = self._ray.exceptions
        out: dict[int, Any] = {}
        at = self.steps if step is None else step
        for rank, ref in refs:
            try:
                out[rank] = self._ray.get(ref, timeout=self.timeout)
            except exc.RayActorError as e:
                if getattr(e, "actor_init_failed", False):  # build(rank) raised
                    raise WorkerFailedError(rank, self.num_workers, at, "building its replica",
                                            _last_line(e), died=False) from e
                raise WorkerFailedError(rank, self.num_workers, at, phase,
                                        _first_line(e), died=True) from e
            except exc.RayTaskError as e:
                cause = getattr(e, "cause", None)
                text = f"{type(cause).__name__}: {cause}" if cause is not None \
                    else _first_line(e)
                raise WorkerFailedError(rank, self.num_workers, at, phase, text,
                                        died=False) from e
            except exc.GetTimeoutError as e:
                raise WorkerFailedError(rank, self.num_workers, at, phase,
                                        f"no answer within {self.timeout:g} s (is the "
                                        "cluster short of CPUs?)", died=False) from e
        return out


def _leading(feed: dict[str, Any]) -> int:
    dims = [np.shape(v)[0] for v in feed.values() if np.ndim(v) >= 1]
    return min(dims) if dims else 1


def _first_line(e: BaseException) -> str:
    text = _ANSI.sub("", str(e)).strip().splitlines()
    return text[0] if text else type(e).__name__


def _last_line(e: BaseException) -> str:
    """The exception line at the end of a remote traceback."""
    text = [t for t in _ANSI.sub("", str(e)).strip().splitlines() if t.strip()]
    return text[-1].strip() if text else type(e).__name__


def _signature_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    return f"only in 0: {only_a[:5]}, only in the other: {only_b[:5]}, differing: {changed[:5]}"
