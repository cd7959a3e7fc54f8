"""The kernel levers of issue 16, each on and off in one process (interleaved, min of repeats).

The workload is the window-NER step's (``benchmarks/window_ner_step.py``: vocabulary 100,000,
embeddings 50, window 5, 5 classes) at ``--batch-sizes``. Each lever is timed as the planned
kernel runs it, against the code it replaced (its switch off), on the same arrays:

* row update: ``row_updates.RowUpdate`` (first occurrences as whole rows, repeats by
  ``ufunc.at``) vs its switch off, ``FAST_ROW_UPDATES = False`` (``ufunc.at`` over one flat
  index per element, what ``state_ops.RowScatter`` did),
  subtracting a fresh batch's rows into the embedding matrix each call (ids cycle over 8
  batches, as in training, so rows are not all in cache);
* row gather: ``np.take`` of whole rows viewed as void items vs of the typed array (the
  ids checked by one unsigned max vs a min and a max) — measured, not kept: it does not pay
  at these sizes (the gather waits on memory);
* sparse cross-entropy: the planned kernel with column reductions vs row reductions;
* ``Session.run`` overhead: a one-step plan through ``Session.run`` (the fast path) with
  numpy's error state set through its context variable vs ``np.errstate``.

Numbers are microseconds per call (wall or, with ``--cpu-time``, CPU time) and the ratio
on/off; they are what a kernel costs, not a whole step (``window_ner_step.py`` measures that).
"""

from __future__ import annotations

import argparse
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import graphflow as gf
from graphflow.ops import cross_entropy_ops, gather_ops, row_updates
from graphflow.runtime import session as session_module

VOCAB, DIM, WINDOW, CLASSES = 100_000, 50, 5, 5


#: wall time, or (``--cpu-time``) this process's CPU time: on a loaded machine the wall clock
#: also counts the time other processes hold the cores (run with OPENBLAS_NUM_THREADS=1).
CLOCK: Callable[[], float] = time.perf_counter


def best_us(fn: Callable[[], Any], number: int, repeats: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeats, timer=CLOCK)) / number * 1e6


def interleaved(on: Callable[[], Any], off: Callable[[], Any], number: int,
                repeats: int) -> tuple[float, float]:
    a, b = [], []
    for _ in range(repeats):
        a.append(best_us(on, number, 1))
        b.append(best_us(off, number, 1))
    return min(a), min(b)


def row_update(batch: int, number: int, repeats: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    table = rng.uniform(-0.1, 0.1, (VOCAB, DIM)).astype(np.float32)
    ids = [rng.integers(0, VOCAB, batch * WINDOW).astype(np.int32) for _ in range(8)]
    updates = (rng.standard_normal((batch * WINDOW, DIM)) * 1e-3).astype(np.float32)
    shape = (batch * WINDOW, DIM)
    kernel = row_updates.RowUpdate(shape, 1, np.empty)
    k = [0]

    def step(fast: bool) -> None:
        k[0] += 1
        row_updates.FAST_ROW_UPDATES = fast
        kernel(np.subtract, table, ids[k[0] % 8], updates)
    try:
        return interleaved(lambda: step(True), lambda: step(False), number, repeats)
    finally:
        row_updates.FAST_ROW_UPDATES = True


def row_gather(batch: int, number: int, repeats: int) -> tuple[float, float]:
    rng = np.random.default_rng(1)
    table = rng.uniform(-0.1, 0.1, (VOCAB, DIM)).astype(np.float32)
    ids = [rng.integers(0, VOCAB, (batch, WINDOW)).astype(np.int32) for _ in range(8)]
    out = np.empty((batch, WINDOW, DIM), np.float32)
    item = np.dtype((np.void, DIM * 4))
    rows_view = out.reshape(batch, WINDOW, DIM).view(item).reshape(batch, WINDOW)
    k = [0]

    def void_rows() -> None:
        k[0] += 1
        i = ids[k[0] % 8]
        if gather_ops.indices_in_range(i, VOCAB):
            np.take(table.view(item).reshape(-1), i, out=rows_view, mode="clip")

    def typed() -> None:
        k[0] += 1
        i = ids[k[0] % 8]
        if i.size and (i.min() < 0 or i.max() >= VOCAB):
            raise IndexError
        np.take(table, i, axis=0, out=out, mode="clip")
    return interleaved(void_rows, typed, number, repeats)


def cross_entropy(batch: int, number: int, repeats: int) -> tuple[float, float]:
    rng = np.random.default_rng(2)
    f = rng.standard_normal((batch, CLASSES)).astype(np.float32)
    labels = rng.integers(0, CLASSES, batch).astype(np.int32)
    e = np.empty_like(f)
    loss = np.empty(batch, np.float32)
    column = np.empty((batch, 1), np.float32)
    starts = np.arange(batch, dtype=np.intp) * CLASSES
    flat = np.empty(batch, np.intp)
    rows = np.arange(batch)
    return interleaved(
        lambda: cross_entropy_ops._sparse_ce_columns(f, labels, e, loss, column, starts, flat),
        lambda: cross_entropy_ops._sparse_ce_into(f, labels, e, loss, column, rows),
        number, repeats)


def session_overhead(number: int, repeats: int) -> tuple[float, float]:
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.int32, [None, WINDOW])
        y = gf.placeholder(gf.int32, [None])
        out = [gf.identity(x), gf.identity(y)]
    sess = gf.Session(graph=g)
    feed = {x: np.zeros((32, WINDOW), np.int32), y: np.zeros(32, np.int32)}
    sess.run(out, feed)
    errors = session_module._ERRORS

    def context_variable() -> None:
        session_module._ERRORS = errors
        sess.run(out, feed)

    def errstate() -> None:
        session_module._ERRORS = None
        sess.run(out, feed)
    try:
        return interleaved(context_variable, errstate, number, repeats)
    finally:
        session_module._ERRORS = errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 2048])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cpu-time", action="store_true", help="time by process CPU time")
    args = parser.parse_args()
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    print("lever                                   batch      on us     off us   on/off")
    for batch in args.batch_sizes:
        number = 2000 if batch <= 256 else 50
        for name, fn in (("row update (ScatterSub's rows)", row_update),
                         ("row gather (GatherV2 axis 0)", row_gather),
                         ("sparse cross-entropy (5 classes)", cross_entropy)):
            on, off = fn(batch, number, args.repeats)
            print(f"{name:<38} {batch:6d} {on:10.2f} {off:10.2f} {on / off:8.2f}")
    on, off = session_overhead(20000, args.repeats)
    print(f"{'Session.run, one trivial plan':<38} {32:6d} {on:10.2f} {off:10.2f} {on / off:8.2f}")


if __name__ == "__main__":
    main()
