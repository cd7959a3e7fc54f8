"""Small training graphs for the data-parallel tests: an embedding (IndexedSlices gradient)
and two dense layers, with a mean loss. Ray workers receive these builders by value (see
conftest.py), so they need not import the tests package."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import graphflow as gf
from graphflow.distributed import Replica

VOCAB, DIM, WIDTH, HIDDEN, CLASSES = 40, 4, 3, 8, 5


def optimizer(name: str) -> gf.train.Optimizer:
    if name == "adam":
        return gf.train.AdamOptimizer(0.05)
    if name == "lazy_adam":
        return gf.train.LazyAdamOptimizer(0.05)
    return gf.train.GradientDescentOptimizer(0.5)


def model_loss() -> gf.Tensor:
    """Window-classifier-like loss on placeholders ``ids`` (B, WIDTH) and ``labels`` (B,)."""
    ids = gf.placeholder(gf.int32, [None, WIDTH], name="ids")
    labels = gf.placeholder(gf.int32, [None], name="labels")
    E = gf.Variable(gf.random_uniform([VOCAB, DIM], -0.5, 0.5, seed=1), name="E")
    W = gf.Variable(gf.random_uniform([WIDTH * DIM, HIDDEN], -0.5, 0.5, seed=2), name="W")
    b1 = gf.Variable(np.zeros(HIDDEN, np.float32), name="b1")
    U = gf.Variable(gf.random_uniform([HIDDEN, CLASSES], -0.5, 0.5, seed=3), name="U")
    b2 = gf.Variable(np.zeros(CLASSES, np.float32), name="b2")
    x = gf.reshape(gf.nn.embedding_lookup(E, ids), [-1, WIDTH * DIM])
    h = gf.tanh(gf.matmul(x, W) + b1)
    logits = gf.matmul(h, U) + b2
    return gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                        logits=logits))


@dataclass
class WindowReplica:
    """``build(rank)`` for the workers: the model, a fresh optimizer, a global step."""

    optimizer: str = "sgd"
    fail_on_rank: int | None = None

    def __call__(self, rank: int) -> Replica:
        if rank == self.fail_on_rank:
            raise RuntimeError(f"replica {rank} refuses to build")
        loss = model_loss()
        return Replica(loss=loss, optimizer=optimizer(self.optimizer),
                       global_step=gf.train.get_or_create_global_step())


def batches(n: int, size: int, seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{"ids:0": rng.integers(0, VOCAB, (size, WIDTH)).astype(np.int32),
             "labels:0": rng.integers(0, CLASSES, size).astype(np.int32)} for _ in range(n)]


def single_process(name: str, data: list[dict[str, np.ndarray]]
                   ) -> tuple[list[float], dict[str, np.ndarray]]:
    """Reference: ``minimize`` in one Session on the full batches; (losses, variables)."""
    graph = gf.Graph()
    with graph.as_default():
        loss = model_loss()
        step = gf.train.get_or_create_global_step()
        train = optimizer(name).minimize(loss, global_step=step)
        sess = gf.Session(graph=graph)
        sess.run(gf.global_variables_initializer())
        losses = [float(sess.run([train, loss], feed)[1]) for feed in data]
        values = {v.op.name: sess.run(v) for v in gf.global_variables()}
    return losses, values
