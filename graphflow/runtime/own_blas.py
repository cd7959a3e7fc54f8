"""Which plans of a Session with a worker may run on numpy's BLAS threads as they are.

A Session with an inter-op worker holds numpy's BLAS on one thread while it runs a plan
(``framework/blas_threads.py``): its worker and calling thread use the cores themselves, and
every value it computes has the bits of one BLAS thread, whichever plan computed it. A plan
the parallel schedule gave nothing to the worker (the window classifier's step at batch 32:
no product there is worth a hand-off) leaves the second core idle, though, while BLAS's own
threads would have shared its products: on the AMD VM the small products of that step took
22-37 us on two BLAS threads and 37-56 us on one.

So such a plan runs without the hold, on BLAS's threads as the process has them, when

* every step's record either calls no BLAS (``Op.calls_blas`` False: element-wise ops,
  reductions, gathers, row and variable updates) or can be probed (``Op.blas_probe``:
  ``MatMul`` up to ``linalg_ops.PROBE_MAX_FLOPS``); a while loop, a ``py_func``, a guarded
  cond step over a BLAS kernel or an unprobed record keeps the hold;
* the probe, run after the plan's ``PROBE_AFTER_RUNS``-th held run on the plan's own
  kernels (fixed random operands of its shapes at two alignments; two passes over both
  counts, the best time of each counting), gives **the same bits**
  on BLAS's own thread count as on one thread — so a value never depends on which count
  the plan ran with, or on another thread's run moving BLAS between the two meanwhile —
* and the probed products take no longer there than on one thread with the hold's own
  cost (``HOLD_SECONDS``) added (the choice may depend on that measurement; what the
  plan computes does not).

A plan with no BLAS step at all needs no probe. The verdict is kept per thread count (a
process that changes BLAS's threads gets probed again; one refused only for speed is probed
again after more and more held runs, ``RETRY_GROWTH``), and a run that finds BLAS held by
another thread's run joins that hold. Off (``RUN_SMALL_PLANS_ON_BLAS_THREADS = False``):
every run of such a Session holds BLAS on one thread, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import numpy as np

from graphflow.framework import blas_threads

#: Off: every run of a Session with a worker has numpy's BLAS on one thread.
RUN_SMALL_PLANS_ON_BLAS_THREADS = True
#: A plan is probed after this many held runs: probing the window step at batch 32 costs
#: ~4 ms once and a held run ~20-30 us more than one on two BLAS threads, so a plan run a
#: few times only (one batch size among many) never pays for it.
PROBE_AFTER_RUNS = 8
#: Probes tried at most this many times per plan (each try finds BLAS held by another
#: thread's run or gets a verdict).
MAX_PROBE_TRIES = 8
#: A verdict refused only for speed (the same bits, slower on BLAS's threads: possibly a
#: minute when another process had the second core) is probed again after
#: ``PROBE_AFTER_RUNS * RETRY_GROWTH ** tries`` more held runs (32, 128, 512, ... for the
#: next tries), so one noisy probe does not hold a plan for the process's life; refusals
#: for bits are final. Off (0): every verdict is final.
RETRY_GROWTH = 4
#: Timed rounds of the probes per thread count (the best round counts).
TIMED_ROUNDS = 3
#: What holding BLAS on one thread costs a run (setting it to one thread and back: a run
#: of a one-product plan took 10.0 us held and 4.5 us on a Session without a worker, AMD
#: VM): a plan whose products take no longer on BLAS's threads skips the hold.
HOLD_SECONDS = 5e-6

_FINAL = float("inf")  # the held run at which a final verdict is probed again: never

#: Calls a kernel on fixed operands and returns copies of its results.
Runner = Callable[[], list[np.ndarray]]
#: Makes those operands and returns the runner (``Op.blas_probe``).
Probe = Callable[[], Runner]


class OwnBlas:
    """One bound plan's verdicts: whether a run may skip holding BLAS on one thread."""

    __slots__ = ("_probes", "_plan_lock", "_verdicts", "_held_runs", "_tries", "_retry_at",
                 "no_blas")

    def __init__(self, probes: Sequence[Probe] | None,
                 plan_lock: AbstractContextManager[object]) -> None:
        """``probes``: one per BLAS-calling step, or None when some step cannot be probed
        (the plan always holds); ``plan_lock``: the plan's run lock (the probes call its
        kernels, which write into its buffers)."""
        self._probes = list(probes) if probes is not None else None
        self._plan_lock = plan_lock
        #: BLAS's own thread counts -> whether runs on them keep the plan's bits and pay.
        self._verdicts: dict[tuple[int, ...], bool] = {}
        self._held_runs = 0
        self._tries = 0
        #: Thread counts refused for speed only -> the held run at which to probe again.
        self._retry_at: dict[tuple[int, ...], int] = {}
        #: No step calls BLAS: no run of the plan needs the hold.
        self.no_blas = self._probes is not None and not self._probes

    @property
    def eligible(self) -> bool:
        """Whether the plan may ever run without the hold."""
        return RUN_SMALL_PLANS_ON_BLAS_THREADS and self._probes is not None

    @property
    def verdicts(self) -> dict[tuple[int, ...], bool]:
        """The verdicts so far, by BLAS's own thread counts (a copy)."""
        return dict(self._verdicts)

    def skips_hold(self) -> bool:
        """Whether this run may go on BLAS's threads as they are (checked before each run)."""
        if not RUN_SMALL_PLANS_ON_BLAS_THREADS or self._probes is None:
            return False
        if self.no_blas:
            return True
        own = blas_threads.own_threads_now()
        return own is not None and self._verdicts.get(own, False)

    def after_held_run(self) -> None:
        """Count a held run; after ``PROBE_AFTER_RUNS`` of them, probe (under the plan's
        run lock) until a verdict for BLAS's current counts is in."""
        if not self.eligible or self.no_blas or self._tries >= MAX_PROBE_TRIES:
            return
        self._held_runs += 1
        own = blas_threads.own_threads_now()
        if self._held_runs < PROBE_AFTER_RUNS or own is None or (
                own in self._verdicts and self._held_runs < self._retry_at.get(own, _FINAL)):
            return
        if all(n == 1 for n in own):  # BLAS on one thread anyway: the same bits
            self._verdicts[own] = True
            return
        self._tries += 1
        try:  # the operands live only here: a cached plan keeps none
            with self._plan_lock:  # two passes, each timing both counts: the best time of each
                runners = [prepare() for prepare in self._probes or []]
                passes = [blas_threads.on_own_and_one_thread(lambda: _measure(runners))
                          for _ in range(2)]
        except Exception:  # noqa: BLE001 - a probe that fails keeps the hold, never the run
            self._verdicts[own] = False
            self._retry_at.pop(own, None)
            return
        done = [found for found in passes if found is not None]
        if len(done) < 2 or done[0][0] != done[1][0]:
            return  # another thread's run held BLAS meanwhile: try again after a later run
        own = done[0][0]
        same = all(np.array_equal(x, y) for _, (on_own, _), (on_one, _) in done
                   for xs, ys in zip(on_own, on_one) for x, y in zip(xs, ys))
        own_seconds = min(on_own_time for _, (_, on_own_time), _ in done)
        one_seconds = min(on_one_time for _, _, (_, on_one_time) in done)
        faster = own_seconds < one_seconds + HOLD_SECONDS
        self._verdicts[own] = same and faster
        if same and not faster and RETRY_GROWTH:
            self._retry_at[own] = self._held_runs + PROBE_AFTER_RUNS * RETRY_GROWTH ** self._tries
        else:
            self._retry_at.pop(own, None)


def _measure(runners: Sequence[Runner]) -> tuple[list[list[np.ndarray]], float]:
    """Every runner's results (first call: also a warm-up) and the best time of
    ``TIMED_ROUNDS`` rounds of them all."""
    results = [run() for run in runners]
    best = float("inf")
    for _ in range(TIMED_ROUNDS):
        start = time.perf_counter()
        for run in runners:
            run()
        best = min(best, time.perf_counter() - start)
    return results, best
