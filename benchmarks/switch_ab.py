"""A/B of one optimization switch on the window-NER SGD step, in one process.

``python benchmarks/switch_ab.py graphflow.ops.row_updates SMALL_DISTINCT_ROWS [--batch 32]``
builds the step of ``window_ner_step.py`` twice — once with the module attribute ``True``,
once ``False`` (switches read when a plan is bound) — and times both, each call made with
its setting (switches read per call), alternating with the hand-written step in shuffled
blocks of steps. It prints the medians (us per step) and the ratios on/off and
each/hand-written (``--threads N``: graphflow with ``SessionConfig(inter_op_threads=N)``).
Run with ``OPENBLAS_NUM_THREADS=1``; on this shared machine two identical
sides measured 1.01-1.03, so a single figure is good to about +-3%.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from window_ner_step import CLASSES, VOCAB, WINDOW, GraphflowStep, HandWrittenStep, initial_values

import graphflow as gf


def with_switch(module: Any, attr: str, value: bool, step: Callable[..., float]
                ) -> Callable[..., float]:
    def run(ids: np.ndarray, labels: np.ndarray) -> float:
        setattr(module, attr, value)
        try:
            return step(ids, labels)
        finally:
            setattr(module, attr, True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module")
    parser.add_argument("attr")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1,
                        help="graphflow's SessionConfig(inter_op_threads=N)")
    args = parser.parse_args()
    module = importlib.import_module(args.module)
    if not isinstance(getattr(module, args.attr), bool):
        parser.error(f"{args.module}.{args.attr} is not a boolean switch")
    rng = np.random.default_rng(42)
    batches = [(rng.integers(0, VOCAB, (args.batch, WINDOW), dtype=np.int32),
                rng.integers(0, CLASSES, args.batch, dtype=np.int32)) for _ in range(8)]
    steps: dict[str, Callable[..., float]] = {}
    for label, value in (("on", True), ("off", False)):
        setattr(module, args.attr, value)
        built = GraphflowStep(initial_values(), gf.SessionConfig(inter_op_threads=args.threads))
        built(*batches[0])  # compiles and binds with this setting
        steps[label] = with_switch(module, args.attr, value, built)
    setattr(module, args.attr, True)
    steps["hand"] = HandWrittenStep(initial_values(), args.batch)
    steps["hand"](*batches[0])
    n = 100 if args.batch <= 256 else 5
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(args.blocks):
        for label in random.sample(list(steps), len(steps)):
            step = steps[label]
            start = time.perf_counter()
            for j in range(n):
                step(*batches[j % len(batches)])
            times[label].append((time.perf_counter() - start) / n * 1e6)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.module}.{args.attr}, B={args.batch}: on {med['on']:.1f} us, off "
          f"{med['off']:.1f} us, hand-written {med['hand']:.1f} us; on/off "
          f"{med['on'] / med['off']:.3f}, on/hand {med['on'] / med['hand']:.3f}, off/hand "
          f"{med['off'] / med['hand']:.3f}")


if __name__ == "__main__":
    main()
