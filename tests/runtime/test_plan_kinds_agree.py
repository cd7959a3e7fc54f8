"""Training gives the same bits whichever kind of plan runs it — specialized per feed
shape, interpreted, shape-generic, or with the inter-op worker — over several batch sizes
(three specialized plans), with every optimizer; and a step that fails leaves every variable
unwritten (all pure steps run before the first update)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import blas_threads

VOCAB, DIM, WINDOW, HIDDEN, CLASSES = 50, 4, 3, 6, 3
OPTIMIZERS = {
    "sgd": lambda: gf.train.GradientDescentOptimizer(0.5),
    "momentum": lambda: gf.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: gf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "rmsprop_centered": lambda: gf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: gf.train.AdagradOptimizer(0.1),
    "adam": lambda: gf.train.AdamOptimizer(0.05),
    "lazy_adam": lambda: gf.train.LazyAdamOptimizer(0.05),
}


def _window_model(optimizer: str) -> tuple[gf.Graph, dict[str, Any]]:
    rng = np.random.default_rng(0)
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int32, [None, WINDOW], name="ids")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        E = gf.Variable(rng.uniform(-0.5, 0.5, (VOCAB, DIM)).astype(np.float32), name="E")
        W = gf.Variable(rng.standard_normal((WINDOW * DIM, HIDDEN)).astype(np.float32), name="W")
        b1 = gf.Variable(np.zeros(HIDDEN, np.float32), name="b1")
        U = gf.Variable(rng.standard_normal((HIDDEN, CLASSES)).astype(np.float32), name="U")
        x = gf.reshape(gf.nn.embedding_lookup(E, ids), [-1, WINDOW * DIM])
        logits = gf.matmul(gf.tanh(gf.matmul(x, W) + b1), U)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        train = OPTIMIZERS[optimizer]().minimize(loss)
        init = gf.global_variables_initializer()
    return g, {"ids": ids, "labels": labels, "loss": loss, "train": train, "init": init,
               "variables": [E, W, b1, U]}


def _train(optimizer: str, config: gf.SessionConfig) -> list[bytes]:
    g, m = _window_model(optimizer)
    rng = np.random.default_rng(1)
    out: list[bytes] = []
    with gf.Session(graph=g, config=config) as sess:
        sess.run(m["init"])
        for step in range(6):
            batch = 4 + step % 3  # three feed shapes: three specialized plans
            feed = {m["ids"]: rng.integers(0, VOCAB, (batch, WINDOW)).astype(np.int32),
                    m["labels"]: rng.integers(0, CLASSES, batch).astype(np.int32)}
            _, loss = sess.run([m["train"], m["loss"]], feed)
            out.append(np.float32(loss).tobytes())
        out.extend(np.asarray(v).tobytes() for v in sess.run(m["variables"]))
    return out


CONFIGS = {
    "specialized": gf.SessionConfig(inter_op_threads=1),
    "interpreted": gf.SessionConfig(interpret=True, inter_op_threads=1),
    "shape_generic": gf.SessionConfig(specialize=False, inter_op_threads=1),
    "two_threads": gf.SessionConfig(inter_op_threads=2),
    "default": gf.SessionConfig(),  # threads chosen for this machine
    "default_shape_generic": gf.SessionConfig(specialize=False),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("config", [c for c in CONFIGS if c != "specialized"])
def test_training_gives_the_same_bits_whichever_plan_runs_it(optimizer: str,
                                                              config: str) -> None:
    # On one BLAS setting, the one a session with a worker runs with (a BLAS may sum a
    # product in another order on another thread count; framework/blas_threads.py).
    with blas_threads.single_threaded():
        losses_and_weights = _train(optimizer, CONFIGS[config])
        assert losses_and_weights == _train(optimizer, CONFIGS["specialized"])


def test_a_failing_step_leaves_every_variable_unwritten() -> None:
    """The gather below only feeds b's update, and a's update is independent of it: fed an
    id out of range, the run fails naming the gather and neither variable changes (every
    pure step runs before the first update)."""
    g = gf.Graph()
    with g.as_default():
        a = gf.Variable([1.0, 2.0], name="a")
        b = gf.Variable([3.0, 4.0], name="b")
        idx = gf.placeholder(gf.int32, [2], name="idx")
        table = gf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
        loss = gf.reduce_sum(a * a)
        (grad_a,) = gf.gradients(loss, [a])
        update_a = a.assign_sub(grad_a)
        update_b = b.assign_sub(gf.reduce_sum(gf.gather(table, idx, name="rows"), axis=0))
        init = gf.global_variables_initializer()
    with gf.Session(graph=g) as sess:
        sess.run(init)
        with pytest.raises(gf.errors.InvalidArgumentError, match="rows"):
            sess.run([update_a, update_b, loss], {idx: [0, 7]})
        np.testing.assert_array_equal(sess.run(a), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(b), [3.0, 4.0])
        sess.run([update_a, update_b], {idx: [0, 2]})
        np.testing.assert_array_equal(sess.run(a), [-1.0, -2.0])
        np.testing.assert_array_equal(sess.run(b), [3.0 - 4.0, 4.0 - 6.0])
