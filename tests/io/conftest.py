"""Graph builders shared by the graphflow.io tests (exposed as fixtures)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import lecture_graph as walkthrough


def lecture_graph() -> gf.Graph:
    """The lecture's f = (x + y) * max(y, z), placeholders of unknown shape, default node
    names (add, Maximum, f)."""
    return walkthrough(scalars=False, named=False)[0]


def mlp_graph(seed: int = 0) -> gf.Graph:
    """A two-layer MLP with variables: x (?, 4) -> tanh(x W1 + b1) W2 + b2 -> (?, 3)."""
    rng = np.random.default_rng(seed)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        with gf.name_scope("hidden"):
            w1 = gf.Variable(rng.normal(size=(4, 5)).astype(np.float32), name="W")
            b1 = gf.Variable(np.full(5, 0.1, np.float32), name="b")
            h = gf.tanh(gf.matmul(x, w1) + b1)
        with gf.name_scope("out"):
            w2 = gf.Variable(rng.normal(size=(5, 3)).astype(np.float32), name="W")
            b2 = gf.Variable(np.zeros(3, np.float32), name="b")
            gf.identity(gf.matmul(h, w2) + b2, name="logits")
        gf.global_variables_initializer()
    return g


@pytest.fixture()
def lecture() -> Callable[[], gf.Graph]:
    return lecture_graph


@pytest.fixture()
def mlp() -> Callable[..., gf.Graph]:
    return mlp_graph
