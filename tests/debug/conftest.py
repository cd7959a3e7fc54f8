"""Graph builders shared by the graphflow.debug tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import graphflow as gf


@dataclass
class Stack:
    """A deep fully connected stack: x (?, width) -> n layers -> 10-way softmax loss."""

    graph: gf.Graph
    x: gf.Tensor
    y: gf.Tensor
    loss: gf.Tensor

    def feeds(self, batches: int = 1, batch: int = 32, seed: int = 1) -> list[dict[Any, Any]]:
        rng = np.random.default_rng(seed)
        width = self.x.shape.as_list()[1]
        return [{self.x: rng.standard_normal((batch, width)).astype(np.float32),
                 self.y: rng.integers(0, 10, batch).astype(np.int32)}
                for _ in range(batches)]


def deep_stack(activation: str = "tanh", layers: int = 8, width: int = 64,
               weight_std: float = 3.0, bias: float = 0.0, seed: int = 0) -> Stack:
    """Weights ~ N(0, weight_std^2 / width); layer i is the name scope ``layer<i>``."""
    act = {"tanh": gf.tanh, "sigmoid": gf.sigmoid, "relu": gf.nn.relu}[activation]
    rng = np.random.default_rng(seed)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, width], name="x")
        y = gf.placeholder(gf.int32, [None], name="y")
        h = x
        for i in range(1, layers + 1):
            with gf.name_scope(f"layer{i}"):
                w = rng.normal(0.0, weight_std / np.sqrt(width), (width, width))
                W = gf.Variable(w.astype(np.float32), name="W")
                b = gf.Variable(np.full(width, bias, np.float32), name="b")
                h = act(gf.matmul(h, W) + b)
        with gf.name_scope("out"):
            w = rng.normal(0.0, 1.0 / np.sqrt(width), (width, 10))
            W = gf.Variable(w.astype(np.float32), name="W")
            logits = gf.matmul(h, W)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits), name="loss")
    return Stack(g, x, y, loss)


def training_graph() -> gf.Graph:
    """A two-layer tanh MLP with a loss, its gradients and a GradientDescent train op."""
    rng = np.random.default_rng(0)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        y = gf.placeholder(gf.int32, [None], name="y")
        with gf.name_scope("hidden"):
            W = gf.Variable(rng.normal(size=(4, 5)).astype(np.float32), name="W")
            b = gf.Variable(np.zeros(5, np.float32), name="b")
            h = gf.tanh(gf.matmul(x, W) + b)
        with gf.name_scope("out"):
            U = gf.Variable(rng.normal(size=(5, 3)).astype(np.float32), name="U")
            logits = gf.matmul(h, U, name="logits")
        gf.nn.softmax(logits, name="probabilities")
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits), name="loss")
        gf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        gf.global_variables_initializer()
    return g
