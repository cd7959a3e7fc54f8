"""Seeded GraphDef mutation fuzzing (a bounded run; scripts/fuzz_graph_defs.py runs longer)."""

from __future__ import annotations

import numpy as np

import graphflow as gf
from graphflow.test.graph_def_fuzz import fuzz


def _model_graph_def() -> tuple[object, dict[str, object], list[str]]:
    """A small training graph: embedding lookup, matmul, bias, tanh, softmax cross-entropy,
    reductions, reshape/concat, gradients and SGD updates — most op families at once."""
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int32, [None, 3], name="ids")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        emb = gf.Variable(np.linspace(-1, 1, 40, dtype=np.float32).reshape(10, 4), name="E")
        w = gf.Variable(np.linspace(-0.5, 0.5, 36, dtype=np.float32).reshape(12, 3), name="W")
        b = gf.Variable(np.zeros(3, np.float32), name="b")
        x = gf.reshape(gf.gather(emb, ids), [-1, 12])
        h = gf.tanh(gf.nn.bias_add(gf.matmul(x, w), b))
        both = gf.concat([h, h * 2.0], axis=1)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=h)) + 0.01 * gf.reduce_sum(both)
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        gf.identity(loss, name="loss_out")
        del train
    feeds = {"ids:0": np.array([[1, 2, 3], [4, 5, 9]], np.int32),
             "labels:0": np.array([0, 2], np.int32)}
    fetches = ["init", "loss_out:0", "train"]
    with g.as_default():
        gf.global_variables_initializer()
    init_name = [op.name for op in g.get_operations() if op.type == "NoOp"][-1]
    fetches[0] = init_name
    return g.as_graph_def(), feeds, fetches


def test_mutated_graph_defs_get_graphflow_errors_only() -> None:
    graph_def, feeds, fetches = _model_graph_def()
    report = fuzz(graph_def, feeds, fetches, cases=270, seed=1234)
    assert not report.findings, "\n".join(report.findings[:20])
    # The run exercised every outcome: rejections and mutants that still run.
    assert report.cases == 270
    assert report.rejected > 50 and report.ran > 10
