"""ReverseSequence and ReverseV2 (graphflow/ops/reverse_sequence_ops.py): values vs a per-row
numpy reversal for several (seq_axis, batch_axis) layouts and vs np.flip, the shape rules vs
the kernels' output, gradients vs central finite differences, TF's limits as build-time and
run-time errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import GraphBuildError, InvalidArgumentError
from graphflow.ops.reverse_sequence_ops import reverse, reverse_sequence
from tests.ops.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")


def np_reverse_sequence(x: np.ndarray, lengths: list[int], seq: int, batch: int) -> np.ndarray:
    out = x.copy()
    for b, n in enumerate(lengths):
        src = [slice(None)] * x.ndim
        src[batch] = b
        src[seq] = slice(0, n)
        part = x[tuple(src)]
        axis = seq - (1 if batch < seq else 0)
        out[tuple(src)] = np.flip(part, axis=axis)
    return out


@pytest.mark.parametrize("shape,seq,batch,lengths", [
    ((5, 3, 2), 0, 1, [5, 0, 3]),     # time-major [time, batch, depth]
    ((3, 5, 2), 1, 0, [1, 5, 4]),     # batch-major
    ((2, 4, 3, 6), 3, 1, [6, 2, 0, 5]),
    ((4, 3), -2, -1, [2, 4, 3]),      # negative axes
])
def test_values_shapes_and_gradients(shape: tuple[int, ...], seq: int, batch: int,
                                     lengths: list[int]) -> None:
    xv = rand(shape, seed=3)
    x = gf.placeholder(gf.float64, shape)
    y = reverse_sequence(x, gf.constant(lengths, gf.int64), seq_axis=seq, batch_axis=batch)
    out = run(y, {x: xv})
    assert y.shape.as_list() == list(shape) == list(out.shape)
    np.testing.assert_array_equal(out, np_reverse_sequence(xv, lengths, seq % len(shape),
                                                           batch % len(shape)))
    w = gf.constant(rand(shape, seed=4))
    loss = gf.reduce_sum(gf.square(y) * w)
    assert_gradients(loss, [x], {x: xv})
    (gx,) = gf.gradients(loss, [x])
    assert gx.op.type == "ReverseSequence"


def test_int32_lengths_fed_at_run_time_and_tf1_argument_names() -> None:
    x = gf.placeholder(gf.float32, [None, None])
    n = gf.placeholder(gf.int32, [None])
    y = reverse_sequence(x, n, seq_dim=1, batch_dim=0)
    xv = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(run(y, {x: xv, n: [3, 4]}),
                                  [[2, 1, 0, 3], [7, 6, 5, 4]])


def test_bad_arguments_are_errors() -> None:
    x = gf.placeholder(gf.float32, [3, 4], name="x")
    with pytest.raises(GraphBuildError, match="seq_dim == batch_dim"):
        reverse_sequence(x, [1, 2, 3], seq_axis=0, batch_axis=0)
    with pytest.raises(GraphBuildError, match="seq_dim 2 is out of range"):
        reverse_sequence(x, [1, 2, 3], seq_axis=2)
    with pytest.raises(GraphBuildError, match="one length per batch entry"):
        reverse_sequence(x, [1, 2], seq_axis=1)
    with pytest.raises(ValueError, match="int32 or int64"):
        reverse_sequence(x, [1.0, 2.0, 3.0], seq_axis=1)
    with pytest.raises(ValueError, match="seq_axis is required"):
        reverse_sequence(x, [1, 2, 3])
    n = gf.placeholder(gf.int32, [None], name="n")
    y = reverse_sequence(x, n, seq_axis=1, name="rs")
    with gf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"rs.*seq_lens\(1\) = 5 is not in"):
            sess.run(y, {x: np.ones((3, 4), np.float32), n: [1, 5, 2]})
        with pytest.raises(InvalidArgumentError, match=r"rs.*one length per batch entry"):
            sess.run(y, {x: np.ones((3, 4), np.float32), n: [1, 2]})  # the fed shapes
        with pytest.raises(InvalidArgumentError, match=r"seq_lens\(0\) = -1"):
            sess.run(y, {x: np.ones((3, 4), np.float32), n: [-1, 2, 2]})


@pytest.mark.parametrize("shape,axes", [((3, 4), [0]), ((3, 4), [1]), ((2, 3, 4), [0, 2]),
                                        ((2, 3, 4), [-1]), ((5,), []), ((2, 3), [1, 0])])
def test_reverse_v2_values_shapes_and_gradients(shape: tuple[int, ...], axes: list[int]) -> None:
    xv = rand(shape, seed=5)
    x = gf.placeholder(gf.float64, shape)
    y = reverse(x, gf.constant(axes, gf.int32) if axes else gf.constant([], gf.int32))
    out = run(y, {x: xv})
    assert y.shape.as_list() == list(shape)
    np.testing.assert_array_equal(out, np.flip(xv, axis=tuple(axes)) if axes else xv)
    loss = gf.reduce_sum(gf.square(y) * gf.constant(rand(shape, seed=6)))
    assert_gradients(loss, [x], {x: xv})
    assert gf.gradients(loss, [x])[0].op.type == "ReverseV2"


def test_reverse_v2_bad_axes() -> None:
    x = gf.placeholder(gf.float32, [3, 4], name="x")
    with pytest.raises(GraphBuildError, match="axis 2 is out of range"):
        reverse(x, [2])
    with pytest.raises(GraphBuildError, match="more than once"):
        reverse(x, [1, -1])
    a = gf.placeholder(gf.int32, [None], name="a")
    y = reverse(x, a, name="rv")
    np.testing.assert_array_equal(run(y, {x: np.eye(3, 4, dtype=np.float32), a: [1]}),
                                  np.eye(3, 4, dtype=np.float32)[:, ::-1])
    with gf.Session() as sess, pytest.raises(InvalidArgumentError, match="rv.*out of range"):
        sess.run(y, {x: np.ones((3, 4), np.float32), a: [3]})
