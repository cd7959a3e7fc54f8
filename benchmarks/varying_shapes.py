"""Varying batch sizes: the window-NER SGD step with a new batch size every step vs one size.

The model and data are those of ``benchmarks/window_ner_step.py``. One Session (plans are
specialized per set of feed shapes, kept in an LRU bounded by ``_Signature.MAX_PLANS`` plans
and ``_Signature.MAX_PLAN_BYTES`` of buffers and constants per (fetches, feeds) signature)
runs, in one process:

* ``same``: batch size ``--base`` every step (median ms per step);
* ``first visit``: each of ``--sizes`` distinct batch sizes once (base+1, base+2, ...), so
  every step compiles a new plan; the compile cost of a new shape is the first-visit time
  minus the steady time at that size, and the script prints it for the 1st, 10th, 25th and
  50th new size (a cliff would show as the later sizes costing more);
* ``steady, each size``: every distinct size again, now compiled: the median step at the
  first and at the last distinct size vs ``same`` (the 50th size must run as fast as the
  first);
* ``cycling``: round-robin over all the distinct sizes (each already compiled), and the
  same in a fresh Session whose LRU is cut to the old bound of 32 plans: with more sizes
  than the LRU holds every step recompiles (the cliff the byte-bounded LRU removed);
* the compile itself, split by pass (``compiler.pipeline.compile_plan`` and the runtime's
  binding), for one new shape.

All numbers are from one process, so the ratios are what to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from window_ner_step import CLASSES, VOCAB, WINDOW, GraphflowStep, initial_values  # noqa: E402

from graphflow.compiler import specialize  # noqa: E402
from graphflow.compiler.pipeline import CompileOptions, compile_plan  # noqa: E402
from graphflow.compiler.plan import build_plan  # noqa: E402
from graphflow.runtime import executor  # noqa: E402
from graphflow.runtime.executor import BoundPlan  # noqa: E402
from graphflow.runtime.session import _Signature  # noqa: E402


def batch_of(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    return (rng.integers(0, VOCAB, (size, WINDOW), dtype=np.int32),
            rng.integers(0, CLASSES, size, dtype=np.int32))


def timed(step: GraphflowStep, batch: tuple[np.ndarray, np.ndarray]) -> float:
    t0 = time.perf_counter()
    step(*batch)
    return (time.perf_counter() - t0) * 1e3


def steady_ms(step: GraphflowStep, batch: tuple[np.ndarray, np.ndarray], n: int) -> float:
    return statistics.median(timed(step, batch) for _ in range(n))


def set_reuse(on: bool) -> None:
    """The compile-reuse switches (specialize's memo of feed-independent steps, reuse of
    compiled generated source)."""
    specialize.MEMO_FEED_INDEPENDENT = on
    executor.REUSE_COMPILED_SOURCE = on


def compile_breakdown(step: GraphflowStep, first_size: int, n: int, reuse: bool
                      ) -> dict[str, float]:
    """Median ms of each part of compiling the step for a new feed-shape set, as a Session
    does it (one signature plan, then one specialization per new set of shapes)."""
    set_reuse(reuse)
    graph, fetches, feeds = step.graph, [step.train_op, step.loss], [step.ids, step.labels]
    resources = step.session.resources
    parts: dict[str, list[float]] = {"specialize+memory+codegen": [], "bind kernels": [],
                                     "total per new shape": []}
    t0 = time.perf_counter()
    sig = build_plan(graph, fetches, feeds)
    sig_ms = (time.perf_counter() - t0) * 1e3
    for size in range(first_size, first_size + n + 1):
        shapes = [(size, WINDOW), (size,)]
        t1 = time.perf_counter()
        compiled = compile_plan(graph, fetches, feeds, shapes, CompileOptions(), resources,
                                base=sig)
        t2 = time.perf_counter()
        BoundPlan(compiled, resources)
        t3 = time.perf_counter()
        if size == first_size:
            continue  # the first shape of a signature fills the memo
        parts["specialize+memory+codegen"].append((t2 - t1) * 1e3)
        parts["bind kernels"].append((t3 - t2) * 1e3)
        parts["total per new shape"].append((t3 - t1) * 1e3)
    set_reuse(True)
    return {"signature plan (once per signature)": sig_ms,
            **{k: statistics.median(v) for k, v in parts.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=32, help="the fixed batch size")
    parser.add_argument("--sizes", type=int, default=50, help="distinct batch sizes")
    parser.add_argument("--steps", type=int, default=200, help="steps per steady measurement")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    step = GraphflowStep(initial_values())
    base_batch = batch_of(rng, args.base)
    step(*base_batch)  # compile the base size
    sizes = [args.base + 1 + i for i in range(args.sizes)]
    batches = {s: batch_of(rng, s) for s in sizes}
    same = min(steady_ms(step, base_batch, args.steps) for _ in range(args.repeats))
    first = [timed(step, batches[s]) for s in sizes]  # every step a new shape
    # steady cost at each size; the sizes beyond the LRU are recompiled by this loop's warm-up
    steady = {}
    for s in sizes:
        step(*batches[s])
        steady[s] = steady_ms(step, batches[s], max(args.steps // 10, 10))
    compile_ms = [f - steady[s] for f, s in zip(first, sizes)]
    same_again = min(steady_ms(step, base_batch, args.steps) for _ in range(args.repeats))
    cycle = [timed(step, batches[s]) for s in sizes * 2]
    default_lru = _Signature.MAX_PLANS
    _Signature.MAX_PLANS = 32  # the old bound: cycling through more sizes recompiles
    old = GraphflowStep(initial_values())
    for s in sizes:
        old(*batches[s])
    small = [timed(old, batches[s]) for s in sizes * 2]
    _Signature.MAX_PLANS = default_lru
    print(f"window NER SGD step, {args.sizes} distinct batch sizes "
          f"{sizes[0]}..{sizes[-1]} (LRU of {default_lru} plans / "
          f"{_Signature.MAX_PLAN_BYTES >> 20} MiB per signature)")
    print(f"same size every step (B={args.base}):      {same:8.3f} ms/step "
          f"(again after the others: {same_again:.3f})")
    print(f"new size every step (first visits):    {statistics.median(first):8.3f} ms/step "
          f"(median), {statistics.mean(first):.3f} mean")
    for k in (1, 10, 25, args.sizes):
        if k <= args.sizes:
            s = sizes[k - 1]
            print(f"  {k:3d}th new size B={s}: first step {first[k - 1]:7.3f} ms, steady "
                  f"{steady[s]:.3f} ms -> compile {compile_ms[k - 1]:.3f} ms")
    print(f"compile per new shape: median {statistics.median(compile_ms):.3f} ms, "
          f"= {statistics.median(compile_ms) / same:.1f} steps at B={args.base}")
    print(f"steady at the 1st vs the {args.sizes}th distinct size: {steady[sizes[0]]:.3f} vs "
          f"{steady[sizes[-1]]:.3f} ms (ratio to same size: "
          f"{steady[sizes[0]] / same:.2f}, {steady[sizes[-1]] / same:.2f})")
    print(f"cycling through all {args.sizes} sizes: {statistics.median(cycle):8.3f} ms/step "
          f"(median; with an LRU of 32 plans: {statistics.median(small):.3f}, every step "
          "recompiles)")
    print("compile of a new shape by part (median ms; compile reuse on / off, interleaved):")
    on: list[dict[str, float]] = []
    off: list[dict[str, float]] = []
    for r in range(args.repeats):
        on.append(compile_breakdown(step, 1000 + 100 * r, 10, reuse=True))
        off.append(compile_breakdown(step, 1050 + 100 * r, 10, reuse=False))
    for part in on[0]:
        a = min(d[part] for d in on)
        b = min(d[part] for d in off)
        print(f"  {part:<38} {a:8.3f} / {b:8.3f}")


if __name__ == "__main__":
    main()
