"""How long ``gf.gradients`` takes to build the gradient subgraph as the graph grows.

Two shapes of graph, N = 1k, 4k, 16k ops:
  * chain: y = f_N(...f_2(f_1(x))) with element-wise ops (tanh, x*c, x+c cycling);
  * wide:  one variable feeds N branches (tanh(w * c_i)) whose results are summed by AddN.
Prints the build time, time per forward node, and the ratio between consecutive N:
linear growth shows as ~4x per 4x N (the pass reuses each node's upstream gradient, so
no path is walked twice). Run: ``.venv/bin/python benchmarks/gradient_build.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import graphflow as gf


def chain(n: int) -> tuple[gf.Graph, gf.Tensor, gf.Tensor]:
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [16], name="x")
        y = x
        c = gf.constant(np.float32(0.5))
        for i in range(n):
            y = gf.tanh(y) if i % 3 == 0 else (y * c if i % 3 == 1 else y + c)
        loss = gf.reduce_sum(y)
    return graph, loss, x


def wide(n: int) -> tuple[gf.Graph, gf.Tensor, gf.Variable]:
    graph = gf.Graph()
    with graph.as_default():
        w = gf.Variable(np.ones(16, np.float32), name="w")
        branches = [gf.tanh(w * np.float32(1.0 + i / n)) for i in range(n)]
        loss = gf.reduce_sum(gf.add_n(branches))
    return graph, loss, w


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
    args = parser.parse_args()
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
