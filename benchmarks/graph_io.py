"""Graph-size benchmarks: write_graph / read_graph / import_graph_def on a 30,000-node graph.

The graph is an MLP-like chain with gradients (so it holds the op mix training graphs
have: MatMul, BiasAdd, Tanh, their gradients, Shape machinery, constants). Prints seconds
per operation and per node. For reference, TensorFlow parses such a GraphDef in ~10 ms and
imports it in ~1.3 s on this machine kind (issue 6). Run:
``.venv/bin/python benchmarks/graph_io.py [--nodes 30000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

import graphflow as gf


def build(target_nodes: int) -> gf.Graph:
    graph = gf.Graph()
    rng = np.random.default_rng(0)
    with graph.as_default():
        x = gf.placeholder(gf.float32, [None, 8], name="x")
        h = x
        while graph.version < target_nodes * 0.55:
            with gf.name_scope("layer"):
                W = gf.constant(rng.standard_normal((8, 8)).astype(np.float32), name="W")
                b = gf.constant(np.zeros(8, np.float32), name="b")
                h = gf.tanh(gf.nn.bias_add(gf.matmul(h, W), b))
        loss = gf.reduce_mean(h)
        gf.gradients(loss, [x])
    return graph


def timed(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=30_000)
    args = parser.parse_args()
    graph = build(args.nodes)
    graph_def = graph.as_graph_def()
    n = len(graph_def.node)
    with tempfile.TemporaryDirectory() as tmp:
        t_write = timed(lambda: gf.io.write_graph(graph_def, tmp, "g.pb", as_text=False))
        path = gf.io.write_graph(graph_def, tmp, "g.pb", as_text=False)
        t_read = timed(lambda: gf.io.read_graph(path))
        t_parse = timed(lambda: gf.proto.graph_pb2.GraphDef.FromString(open(path, "rb").read()))

        def do_import() -> None:
            with gf.Graph().as_default():
                gf.import_graph_def(graph_def, name="")
        t_import = timed(do_import, repeats=2)
    print(f"graph: {n} nodes ({len(graph_def.SerializeToString()) / 1e6:.1f} MB binary)")
    for label, t in (("write_graph (.pb)", t_write), ("read_graph (parse + validate)", t_read),
                     ("  protobuf parse alone", t_parse), ("import_graph_def", t_import)):
        print(f"  {label:<32} {t * 1e3:9.1f} ms  ({t / n * 1e6:6.1f} us/node)")


if __name__ == "__main__":
    main()
