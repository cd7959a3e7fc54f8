"""A T-step RNN forward + backward: ``gf.while_loop`` vs the same cells unrolled in Python.

Workload (issue 14, item 3): a ``BasicRNNCell`` (tanh, H=64 units) over T=100 steps of
inputs [T, B=32, D=32], loss ``mean((h_T - y)^2)``, fetched with its gradients w.r.t. the
kernel, the bias and the inputs (one ``Session.run`` per step: forward and backward).

* loop: the inputs unstacked into a TensorArray, a ``gf.while_loop`` over time reading step
  t, calling the cell, carrying h; its gradient is the backward while loop (forward values
  on stacks). Loop bodies are compiled sub-plans (``runtime/loops.py``).
* unrolled: ``gf.unstack`` of the inputs and a Python loop calling the same cell T times
  (T copies of the cell's ops in one straight-line plan; the gradient is T copies too).

Both are built in one graph from ONE cell object, so they share the variables (the same
weights); the script asserts that losses and gradients agree (float64 by default) before
timing. Printed: graph build and gradient build time, the first ``Session.run`` of each
(plan compile + run), then ``--repeats`` interleaved rounds of ``--steps`` runs each; the
medians in ms per step, the ratio loop / unrolled, and the machine load (``os.getloadavg``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

import graphflow as gf


@dataclass
class Variant:
    """One way of building the RNN: its loss and the gradient fetches."""

    name: str
    loss: gf.Tensor
    grads: list[gf.Tensor]
    build_s: float
    grad_s: float

    @property
    def fetches(self) -> list[gf.Tensor]:
        return [self.loss, *self.grads]


@dataclass
class Model:
    graph: gf.Graph
    x: gf.Tensor
    y: gf.Tensor
    loop: Variant
    unrolled: Variant
    variables: list[gf.Variable]

    def feed(self, seed: int = 1) -> dict[gf.Tensor, np.ndarray]:
        rng = np.random.default_rng(seed)
        dtype = self.x.dtype.as_numpy_dtype
        return {self.x: rng.standard_normal(self.x.shape.as_list()).astype(dtype),
                self.y: rng.uniform(-0.5, 0.5, self.y.shape.as_list()).astype(dtype)}


def build(steps: int = 100, batch: int = 32, units: int = 64, depth: int = 32,
          dtype: Any = gf.float64, seed: int = 0) -> Model:
    """The graph with both variants (shared cell variables, initialized from ``seed``)."""
    graph = gf.Graph()
    rng = np.random.default_rng(seed)
    np_dtype = gf.as_dtype(dtype).as_numpy_dtype
    kernel0 = rng.uniform(-1, 1, (depth + units, units)) * np.sqrt(6.0 / (depth + 2 * units))
    bias0 = rng.uniform(-0.1, 0.1, units)
    with graph.as_default():
        x = gf.placeholder(dtype, [steps, batch, depth], name="x")
        y = gf.placeholder(dtype, [batch, units], name="y")
        cell = gf.nn.rnn_cell.BasicRNNCell(units, dtype=dtype)
        h0 = gf.zeros([batch, units], dtype=dtype, name="h0")
        with gf.variable_scope("rnn"):
            cell(x[0], h0)  # creates rnn/basic_rnn_cell/{kernel,bias}; later calls reuse them
        variables = list(cell.trainable_variables)
        init = [v.assign(value.astype(np_dtype)) for v, value in zip(variables, (kernel0, bias0))]
        gf.group(*init, name="init")

        def variant(name: str, make: Any) -> Variant:
            t0 = time.perf_counter()
            with gf.name_scope(name), gf.variable_scope("rnn", reuse=True):
                h_last = make()
                loss = gf.reduce_mean(gf.square(h_last - y), name="loss")
            t1 = time.perf_counter()
            grads = gf.gradients(loss, [*variables, x])
            return Variant(name, loss, grads, t1 - t0, time.perf_counter() - t1)

        def loop() -> gf.Tensor:
            xs = gf.TensorArray(dtype, size=steps, element_shape=[batch, depth]).unstack(x)

            def body(t: gf.Tensor, h: gf.Tensor) -> tuple[gf.Tensor, gf.Tensor]:
                x_t = xs.read(t)
                x_t.set_shape([batch, depth])
                out, _ = cell(x_t, h)
                return t + 1, out

            _, h = gf.while_loop(lambda t, h: t < steps, body, [gf.constant(0), h0])
            return h

        def unrolled() -> gf.Tensor:
            h = h0
            for x_t in gf.unstack(x, num=steps):
                h, _ = cell(x_t, h)
            return h

        loop_variant = variant("loop", loop)
        unrolled_variant = variant("unrolled", unrolled)
    return Model(graph, x, y, loop_variant, unrolled_variant, variables)


def check_equal(model: Model, sess: gf.Session, feed: dict[Any, Any], rtol: float = 1e-10
                ) -> tuple[float, float]:
    """Assert that both variants give the same loss and gradients; returns the two losses
    and the largest relative gradient difference is checked against ``rtol``."""
    a = sess.run(model.loop.fetches, feed)
    b = sess.run(model.unrolled.fetches, feed)
    names = ["loss"] + [v.op.name for v in model.variables] + ["x"]
    for name, u, v in zip(names, a, b):
        u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
        scale = max(float(np.max(np.abs(v))), 1e-300)
        err = float(np.max(np.abs(u - v))) / scale
        assert err <= rtol, (f"loop and unrolled disagree on {name}: max |diff| / max |value| "
                             f"= {err:.3g} > {rtol:g}")
    return float(a[0]), float(b[0])


def time_runs(sess: gf.Session, fetches: list[gf.Tensor], feed: dict[Any, Any], n: int
              ) -> float:
    """Median seconds of ``n`` runs."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        sess.run(fetches, feed)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="time steps T")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--runs", type=int, default=20, help="runs per round and variant")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"({os.cpu_count()} cpus); T={args.steps} B={args.batch} H={args.units} "
          f"D={args.depth} {args.dtype}")
    model = build(args.steps, args.batch, args.units, args.depth, gf.as_dtype(args.dtype))
    feed = model.feed()
    print(f"graph: {len(model.graph.operations)} nodes")
    for v in (model.loop, model.unrolled):
        print(f"  {v.name:<9} forward build {v.build_s * 1e3:8.1f} ms, gradients "
              f"{v.grad_s * 1e3:8.1f} ms")
    sess = gf.Session(graph=model.graph)
    sess.run("init")
    firsts = {}
    for v in (model.loop, model.unrolled):
        t0 = time.perf_counter()
        sess.run(v.fetches, feed)
        firsts[v.name] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sess.run(v.fetches, feed)
        print(f"  {v.name:<9} first run (compile + run) {firsts[v.name] * 1e3:8.1f} ms, "
              f"second {(time.perf_counter() - t0) * 1e3:8.1f} ms")
    tol = 1e-10 if args.dtype == "float64" else 1e-4
    loss_loop, loss_unrolled = check_equal(model, sess, feed, rtol=tol)
    print(f"losses: loop {loss_loop!r}, unrolled {loss_unrolled!r}; gradients agree "
          f"(max relative difference <= {tol:g})")
    medians: dict[str, list[float]] = {"loop": [], "unrolled": []}
    for r in range(args.repeats):
        order = (model.loop, model.unrolled) if r % 2 == 0 else (model.unrolled, model.loop)
        for v in order:
            medians[v.name].append(time_runs(sess, v.fetches, feed, args.runs))
        print(f"  round {r}: loop {medians['loop'][-1] * 1e3:7.2f} ms, unrolled "
              f"{medians['unrolled'][-1] * 1e3:7.2f} ms")
    loop_ms = statistics.median(medians["loop"]) * 1e3
    unrolled_ms = statistics.median(medians["unrolled"]) * 1e3
    print(f"median ms/step: loop {loop_ms:.2f}, unrolled {unrolled_ms:.2f}; ratio loop / "
          f"unrolled {loop_ms / unrolled_ms:.2f}")
    print(f"first run: loop {firsts['loop'] * 1e3:.0f} ms, unrolled "
          f"{firsts['unrolled'] * 1e3:.0f} ms; load after: "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    sess.close()


if __name__ == "__main__":
    main()
