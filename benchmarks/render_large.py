"""How long drawing a large training graph takes: ``gf.viz.to_dot`` and Graphviz's layout.

The issue's bar: the window-NER training graph (forward, gradients, Adam updates) renders
in under 10 s, collapsed or not. Graphs measured:
  * ``window_ner``: the real model (``graphflow.models.window_ner``), if it builds here;
  * ``proxy``: a deeper stand-in of at least ~1,500 nodes: embedding lookup (or a one-hot
    matmul when ``gf.nn.embedding_lookup`` is unavailable), ``--layers`` tanh layers each in
    its own name scope, a softmax cross-entropy built from primitives, ``gf.gradients`` via
    ``gf.train.AdamOptimizer().minimize`` (falling back to plain gradients + SGD updates).
For each graph and for collapse depth none / 1 / 2 / 3 it prints the node count, the time of
``to_dot`` (+ ``to_string``) and of ``dot -Tsvg``, and the total.
Run: ``.venv/bin/python benchmarks/render_large.py [--layers 40] [--out out/bench]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import graphflow as gf


def window_ner() -> gf.Graph | None:
    try:
        from graphflow.models import window_ner as wn

        config = wn.WindowNERConfig()
        sizes = {name: 5000 for name in wn.active_features(config)}
        return wn.build(config, sizes, 9).graph
    except Exception as err:  # noqa: BLE001 - the model may not build in this checkout
        print(f"window_ner: skipped ({type(err).__name__}: {err})")
        return None


def proxy(layers: int, width: int = 32, vocab: int = 500, classes: int = 9) -> gf.Graph:
    graph = gf.Graph()
    rng = np.random.default_rng(0)
    with graph.as_default():
        ids = gf.placeholder(gf.int32, [None, 5], name="word_windows")
        labels = gf.placeholder(gf.float32, [None, classes], name="labels")
        with gf.name_scope("embeddings"):
            table = gf.Variable(rng.normal(0, 0.1, (vocab, 8)).astype(np.float32), name="words")
            x = _lookup(table, ids, vocab)
        h = x
        for i in range(layers):
            with gf.name_scope(f"layer{i}"):
                n_in = int(h.shape[1])
                w = gf.Variable(rng.normal(0, 0.1, (n_in, width)).astype(np.float32), name="W")
                b = gf.Variable(np.zeros(width, np.float32), name="b")
                h = gf.tanh(gf.matmul(h, w) + b, name="h")
        with gf.name_scope("output"):
            u = gf.Variable(rng.normal(0, 0.1, (width, classes)).astype(np.float32), name="U")
            scores = gf.matmul(h, u, name="scores")
        with gf.name_scope("loss"):
            shifted = scores - gf.reduce_max(scores, axis=1, keepdims=True)
            log_z = gf.log(gf.reduce_sum(gf.exp(shifted), axis=1))
            loss = gf.reduce_mean(log_z - gf.reduce_sum(labels * shifted, axis=1), name="mean")
        _train(loss)
    return graph


def _lookup(table: gf.Variable, ids: gf.Tensor, vocab: int) -> gf.Tensor:
    try:
        rows = gf.nn.embedding_lookup(table, ids)
        return gf.reshape(rows, [-1, 5 * 8], name="x")
    except (NotImplementedError, AttributeError):
        onehot = gf.cast(gf.equal(gf.reshape(ids, [-1, 1]),
                                  gf.constant(np.arange(vocab, dtype=np.int32))), gf.float32)
        return gf.reshape(gf.matmul(onehot, table), [-1, 5 * 8], name="x")


def _train(loss: gf.Tensor) -> None:
    try:
        gf.train.AdamOptimizer(0.001).minimize(loss)
        return
    except Exception as err:  # noqa: BLE001
        print(f"proxy: AdamOptimizer unavailable ({type(err).__name__}: {err}); using SGD")
    variables = gf.trainable_variables()
    grads = gf.gradients(loss, variables)
    with gf.name_scope("SGD"):
        gf.group(*[v.assign_sub(0.01 * g) for v, g in zip(variables, grads)], name="train")


def measure(name: str, graph: gf.Graph, depth: int | None, out: Path) -> float:
    from graphflow import viz

    t0 = time.perf_counter()
    text = viz.to_dot(graph, viz.RenderOptions(collapse_depth=depth)).to_string()
    t1 = time.perf_counter()
    path = out / f"{name}_collapse{depth or 0}.svg"
    subprocess.run(["dot", "-Tsvg", "-o", str(path)], input=text.encode(), check=True)
    t2 = time.perf_counter()
    nodes = len(graph.get_operations())
    print(f"{name:10s} nodes={nodes:5d} collapse={depth!s:4s} to_dot={t1 - t0:6.2f}s "
          f"dot -Tsvg={t2 - t1:6.2f}s total={t2 - t0:6.2f}s  -> {path}")
    return t2 - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=40, help="proxy depth (40: ~1,500 nodes)")
    parser.add_argument("--out", default="out/bench")
    args = parser.parse_args(argv)
    from graphflow import viz

    if viz.find_dot() is None:
        print("Graphviz's dot is not installed: apt-get install graphviz / brew install graphviz")
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    graphs = {"window_ner": window_ner(), "proxy": proxy(args.layers)}
    worst = 0.0
    for name, graph in graphs.items():
        if graph is None:
            continue
        for depth in (None, 1, 2, 3):
            worst = max(worst, measure(name, graph, depth, out))
    print(f"slowest: {worst:.2f}s (target < 10 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
