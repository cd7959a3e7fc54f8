"""TensorFlow as the reference for gf.map_fn, gf.scan, gf.foldl and gf.foldr (skipped without
tensorflow; run with ``/tmp/tfvenv/bin/python -m pytest tests/test_tensorflow_functional_ops.py``):
each case is written once against an API (``gf`` or ``tf.compat.v1`` with control flow v1),
and values, loop names and the float64 gradients w.r.t. the elements must agree."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")

import graphflow as gf  # noqa: E402  (after the skip: TF is optional)
from graphflow.framework import nest  # noqa: E402

tf1 = tf.compat.v1
XV = np.random.default_rng(3).normal(size=(5, 3))

CASES: dict[str, Callable[[Any, Any], Any]] = {
    "map_fn": lambda api, x: api.map_fn(lambda r: api.tanh(r) * api.reduce_sum(r), x),
    "map_fn_nested": lambda api, x: api.map_fn(
        lambda e: (e[0] * e[1], api.reduce_max(e[0])), (x, x * 2.0),
        dtype=(api.float64, api.float64)),
    "scan": lambda api, x: api.scan(lambda a, e: a * 0.5 + api.sin(e), x),
    "scan_init_reverse": lambda api, x: api.scan(
        lambda a, e: (a[0] + e, a[1] * 0.9 + api.reduce_sum(e)), x,
        initializer=(api.zeros([3], api.float64), api.constant(1.0, api.float64)),
        reverse=True),
    "foldl": lambda api, x: api.foldl(lambda a, e: a * api.cos(e), x),
    "foldr_init": lambda api, x: api.foldr(lambda a, e: api.tanh(a + e), x,
                                           initializer=api.ones([3], api.float64)),
}


@pytest.fixture(autouse=True)
def control_flow_v1() -> Any:
    tf1.disable_control_flow_v2()
    try:
        yield
    finally:
        tf1.enable_control_flow_v2()


def build(api: Any, key: str) -> tuple[Any, list[Any], list[str]]:
    x = api.placeholder(api.float64, [5, 3], name="x")
    results = nest.flatten(CASES[key](api, x))
    loss = api.add_n([api.reduce_sum(r * r) for r in results])
    loops = sorted(op.name for op in api.get_default_graph().get_operations()
                   if op.type == "LoopCond" and not op.name.startswith("gradients"))
    return x, results + api.gradients(loss, [x]), loops


@pytest.mark.parametrize("key", sorted(CASES))
def test_same_values_loop_names_and_gradients_as_tensorflow(key: str) -> None:
    g = tf.Graph()
    with g.as_default():
        x, fetch, loops = build(tf1, key)
        with tf1.Session(graph=g) as sess:
            expected = sess.run(fetch, {x: XV})
    ours = gf.Graph()
    with ours.as_default():
        x, fetch, our_loops = build(gf, key)
        assert our_loops == loops
        with gf.Session(graph=ours) as sess:
            got = sess.run(fetch, {x: XV})
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
