"""Wire compatibility with TensorFlow, checked against TensorFlow itself when it is installed
(it is never a CI dependency; without it this module is skipped).

Each model below is written once against the TF1 API surface (``api`` is ``graphflow`` or
``tf.compat.v1``), built in one framework, serialized, loaded in the other, and both run on
the same inputs: graphflow -> TensorFlow and TensorFlow -> graphflow, in memory and through
.pb/.pbtxt files.

Run it with a TensorFlow environment, e.g.:
    PYTHONPATH=. /path/to/tf-venv/bin/python -m pytest tests/test_tensorflow_compat.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")

import graphflow as gf  # noqa: E402  (after the skip: TF is optional)
from graphflow.proto import graph_pb2  # noqa: E402

tf1 = tf.compat.v1
RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 4)).astype(np.float32)
LABELS = np.array([0, 2, 1, 1, 0], np.int32)
W1 = RNG.normal(size=(4, 6)).astype(np.float32)
B1 = RNG.normal(size=6).astype(np.float32)
W2 = RNG.normal(size=(6, 3)).astype(np.float32)
B2 = RNG.normal(size=3).astype(np.float32)
EMB = RNG.normal(size=(10, 4)).astype(np.float32)

# A model: (build(api) -> None, feeds {name: value}, fetch names).
Model = tuple[Callable[[Any], None], dict[str, Any], list[str]]


def lecture(api: Any) -> None:
    """f = (x + y) * max(y, z)."""
    x = api.placeholder(api.float32, name="x")
    y = api.placeholder(api.float32, name="y")
    z = api.placeholder(api.float32, name="z")
    api.multiply(api.add(x, y), api.maximum(y, z), name="f")


def frozen_mlp(api: Any) -> None:
    """A two-layer MLP whose weights are constants (the frozen, Variable-free form)."""
    x = api.placeholder(api.float32, [None, 4], name="x")
    labels = api.placeholder(api.int32, [None], name="labels")
    h = api.nn.relu(api.nn.bias_add(api.matmul(x, api.constant(W1)), api.constant(B1)))
    h = api.tanh(h) + api.sigmoid(h) * 0.5
    logits = api.add(api.matmul(h, api.constant(W2)), api.constant(B2), name="logits")
    api.nn.softmax(logits, name="probs")
    xent = api.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    api.reduce_mean(xent, name="loss")
    api.reduce_sum(api.square(logits), axis=1, keepdims=True, name="norms")
    api.reduce_max(logits, axis=0, name="col_max")


def plumbing(api: Any) -> None:
    """Shape and layout ops: Reshape, Transpose, ConcatV2, GatherV2, Cast, Select, Sub/Div."""
    x = api.placeholder(api.float32, [None, 4], name="x")
    ids = api.placeholder(api.int32, [None], name="ids")
    r = api.reshape(x, [-1, 2], name="r")
    t = api.transpose(x, name="t")
    c = api.concat([x, api.exp(x * 0.1)], axis=1, name="c")
    e = api.nn.embedding_lookup(api.constant(EMB), ids)
    g = api.gather(x, [0, 2], axis=1, name="g")
    api.identity(api.where(api.greater(x, 0.0), x, -x), name="abs")
    api.subtract(e, api.sqrt(api.square(e) + 1.0), name="emb")
    api.divide(api.cast(ids, api.float32), 4.0, name="ratio")
    api.identity(api.reduce_sum(r) + api.reduce_sum(t) + api.reduce_mean(c) +
                 api.reduce_sum(g), name="total")


MODELS: dict[str, Model] = {
    "lecture": (lecture, {"x:0": 1.0, "y:0": 2.0, "z:0": 0.0}, ["f:0"]),
    "frozen_mlp": (frozen_mlp, {"x:0": X, "labels:0": LABELS},
                   ["logits:0", "probs:0", "loss:0", "norms:0", "col_max:0"]),
    "plumbing": (plumbing, {"x:0": X, "ids:0": np.array([3, 0, 9, 3, 1], np.int32)},
                 ["r:0", "t:0", "c:0", "g:0", "abs:0", "emb:0", "ratio:0", "total:0"]),
}


def build_gf(build: Callable[[Any], None]) -> gf.Graph:
    g = gf.Graph()
    with g.as_default():
        build(gf)
    return g


def build_tf(build: Callable[[Any], None]) -> Any:
    g = tf.Graph()
    with g.as_default():
        build(tf1)
    return g


def run_gf(graph: gf.Graph, feeds: dict[str, Any], fetches: list[str]) -> list[np.ndarray]:
    with gf.Session(graph=graph) as s:
        return s.run(fetches, feeds)


def run_tf(graph: Any, feeds: dict[str, Any], fetches: list[str]) -> list[np.ndarray]:
    with tf1.Session(graph=graph) as s:
        return s.run(fetches, feeds)


def tf_graph_from_bytes(data: bytes) -> Any:
    g = tf.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(data), name="")
    return g


def assert_same(ours: list[Any], theirs: list[Any], fetches: list[str]) -> None:
    for name, a, b in zip(fetches, ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6, err_msg=name)


def test_lecture_example_is_6_in_tensorflow(tmp_path):
    path = gf.io.write_graph(build_gf(lecture), tmp_path, "lecture.pb", as_text=False)
    tf_graph = tf_graph_from_bytes(Path(path).read_bytes())
    assert run_tf(tf_graph, {"x:0": 1.0, "y:0": 2.0, "z:0": 0.0}, ["f:0"]) == [6.0]


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("as_text", [False, True], ids=["pb", "pbtxt"])
def test_graphflow_graph_runs_in_tensorflow(tmp_path, model, as_text):
    build, feeds, fetches = MODELS[model]
    ours = build_gf(build)
    path = Path(gf.io.write_graph(ours, tmp_path, f"{model}.pb" + ("txt" if as_text else ""),
                                  as_text=as_text))
    if as_text:
        from google.protobuf import text_format
        tf_gd = text_format.Parse(path.read_text(), tf1.GraphDef())
        tf_graph = tf_graph_from_bytes(tf_gd.SerializeToString())
    else:
        tf_graph = tf_graph_from_bytes(path.read_bytes())
    assert_same(run_gf(ours, feeds, fetches), run_tf(tf_graph, feeds, fetches), fetches)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("via", ["memory", "pb", "pbtxt"])
def test_tensorflow_graph_runs_in_graphflow(tmp_path, model, via):
    build, feeds, fetches = MODELS[model]
    theirs = build_tf(build)
    if via == "memory":
        gd = graph_pb2.GraphDef.FromString(theirs.as_graph_def().SerializeToString())
        ours = gf.Graph()
        with ours.as_default():
            gf.import_graph_def(gd, name="")
    else:
        path = tf.io.write_graph(theirs.as_graph_def(), str(tmp_path), f"{model}.{via}",
                                 as_text=via == "pbtxt")
        ours = gf.io.load_graph(path)
    assert_same(run_gf(ours, feeds, fetches), run_tf(theirs, feeds, fetches), fetches)


def test_variables_and_initializer_run_in_tensorflow():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        w = gf.Variable(W1, name="W")
        b = gf.Variable(B1, name="b")
        gf.identity(gf.matmul(x, w) + b, name="y")
        step = w.assign_add(np.ones_like(W1), name="step")
        gf.global_variables_initializer()
    tf_graph = tf_graph_from_bytes(g.as_graph_def().SerializeToString())
    with gf.Session(graph=g) as ours, tf1.Session(graph=tf_graph) as theirs:
        for s in (ours, theirs):
            s.run("init")
            s.run(step.op.name)
        assert_same([ours.run("y:0", {"x:0": X})], [theirs.run("y:0", {"x:0": X})], ["y:0"])


def test_tensor_protos_decode_identically():
    """Every dtype graphflow writes is read back by TensorFlow's make_ndarray, and vice versa."""
    from graphflow.framework import tensor_util
    from graphflow.proto import tensor_pb2

    values = [np.arange(6, dtype=np.float32).reshape(2, 3), np.full((2, 2), -0.5, np.float64),
              np.array([1, -2], np.int32), np.array(2 ** 40, np.int64), np.array([True, False]),
              np.array([1.5, 2.5], np.float16), np.array([7, 255], np.uint8),
              np.zeros((0, 3), np.float32), np.array([b"a", b"bc"], dtype=object)]
    for value in values:
        ours = tensor_util.make_tensor_proto(value)
        got = tf.make_ndarray(tf1.make_tensor_proto(0).FromString(ours.SerializeToString()))
        np.testing.assert_array_equal(got, value)
        theirs = tf1.make_tensor_proto(value)
        back = tensor_util.make_ndarray(tensor_pb2.TensorProto.FromString(
            theirs.SerializeToString()))
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
