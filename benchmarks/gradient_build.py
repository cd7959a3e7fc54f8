"""How long ``gf.gradients`` takes to build the gradient subgraph as the graph grows.

Two shapes of graph, N = 1k, 4k, 16k ops:
  * chain: y = f_N(...f_2(f_1(x))) with element-wise ops (tanh, x*c, x+c cycling);
  * wide:  one variable feeds N branches (tanh(w * c_i)) whose results are summed by AddN.
Prints the build time, time per forward node, and the ratio between consecutive N:
linear growth shows as ~4x per 4x N (the pass reuses each node's upstream gradient, so
no path is walked twice). Run: ``.venv/bin/python benchmarks/gradient_build.py``.

``--tensorflow PYTHON`` (an interpreter with TensorFlow, never a dependency) also builds the
same graphs with ``tf.compat.v1`` and times ``tf.compat.v1.gradients`` on them, each in its
own process (``--engine tensorflow``), interleaved with graphflow's runs ``--repeats`` times;
it prints the medians and TensorFlow's time over graphflow's (how many times faster
graphflow's gradient build is, measured in the same minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from typing import Any

import numpy as np

import graphflow as gf


def chain(n: int, tf: Any = gf, v1: Any = gf) -> tuple[Any, Any, Any]:
    """The chain graph, built through a TF1-style API: graphflow's by default, or
    TensorFlow's (``tf``, with ``v1 = tf.compat.v1``) — the same code builds both."""
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [16], name="x")
        y = x
        c = tf.constant(np.float32(0.5))
        for i in range(n):
            y = tf.tanh(y) if i % 3 == 0 else (y * c if i % 3 == 1 else y + c)
        loss = tf.reduce_sum(y)
    return graph, loss, x


def wide(n: int, tf: Any = gf, v1: Any = gf) -> tuple[Any, Any, Any]:
    """The wide graph, built through a TF1-style API (see ``chain``)."""
    graph = tf.Graph()
    with graph.as_default():
        w = v1.Variable(np.ones(16, np.float32), name="w")
        branches = [tf.tanh(w * np.float32(1.0 + i / n)) for i in range(n)]
        loss = tf.reduce_sum(tf.add_n(branches))
    return graph, loss, w


def measure_tf(tf: Any, build: Any, n: int) -> tuple[float, int, int]:
    graph, loss, x = build(n, tf, tf.compat.v1)
    forward_nodes = len(graph.get_operations())
    with graph.as_default():
        t0 = time.perf_counter()
        (g,) = tf.compat.v1.gradients(loss, [x])
        seconds = time.perf_counter() - t0
    assert g is not None
    return seconds, forward_nodes, len(graph.get_operations()) - forward_nodes


def run_tensorflow(sizes: list[int]) -> None:
    """``--engine tensorflow``: TensorFlow's gradient build times, one JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf  # a peer, run only on request

    tf.compat.v1.disable_eager_execution()
    out = {f"{name} {n}": measure_tf(tf, build, n)[0]
           for name, build in (("chain", chain), ("wide", wide)) for n in sizes}
    print(json.dumps(out))


def compare_with_tensorflow(python: str, sizes: list[int], repeats: int) -> None:
    """graphflow here and TensorFlow in its own process, interleaved ``repeats`` times."""
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, build in (("chain", chain), ("wide", wide)):
            for n in sizes:
                ours.setdefault(f"{name} {n}", []).append(measure(build, n)[0])
        done = subprocess.run([python, os.path.abspath(__file__), "--engine", "tensorflow",
                               "--sizes", *map(str, sizes)], capture_output=True, text=True,
                              check=True)
        for key, seconds in json.loads(done.stdout.strip().splitlines()[-1]).items():
            theirs.setdefault(key, []).append(seconds)
    print(f"gf.gradients vs tf.compat.v1.gradients, medians of {repeats} interleaved runs:")
    for key in ours:
        a, b = statistics.median(ours[key]), statistics.median(theirs[key])
        pairs = sorted(t / o for o, t in zip(ours[key], theirs[key]))
        print(f"  {key:>11}: graphflow {a * 1e3:8.1f} ms, TensorFlow {b * 1e3:8.1f} ms: "
              f"graphflow {b / a:4.1f}x faster (per run {pairs[0]:.1f}-{pairs[-1]:.1f}x)")


def measure(build, n: int) -> tuple[float, int, int]:
    graph, loss, x = build(n)
    forward_nodes = graph.version
    with graph.as_default():
        t0 = time.perf_counter()
        (g,) = gf.gradients(loss, [x])
        seconds = time.perf_counter() - t0
    assert g is not None
    return seconds, forward_nodes, graph.version - forward_nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--tensorflow", metavar="PYTHON", default=None,
                        help="also time tf.compat.v1.gradients with this interpreter")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved rounds of the TensorFlow comparison")
    parser.add_argument("--engine", choices=["tensorflow"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine == "tensorflow":
        run_tensorflow(args.sizes)
        return
    if args.tensorflow is not None:
        compare_with_tensorflow(args.tensorflow, args.sizes, args.repeats)
        return
    for name, build in (("chain", chain), ("wide", wide)):
        previous = None
        print(f"{name}:")
        for n in args.sizes:
            seconds, fwd, grad_nodes = measure(build, n)
            ratio = "" if previous is None else f"  x{seconds / previous:.2f} vs previous N"
            print(f"  N={n:>6}: {seconds * 1e3:8.1f} ms  {seconds / fwd * 1e6:6.1f} us/forward "
                  f"node  ({fwd} forward, {grad_nodes} gradient nodes){ratio}")
            previous = seconds


if __name__ == "__main__":
    main()
