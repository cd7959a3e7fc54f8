"""The TF1 long tail against TensorFlow itself (tf.compat.v1, graph mode) on the same
inputs: batched matmul, top_k, clip_by_global_norm, einsum (values and gradients), RMSProp
and Adagrad steps, exponential_decay, the Mean gradient's bits. Skipped when tensorflow is
not importable."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import rand

tf = pytest.importorskip("tensorflow").compat.v1

pytestmark = pytest.mark.usefixtures("graph")  # a fresh graphflow default graph per test


def _both(build_gf, build_tf, steps: int = 0):  # type: ignore[no-untyped-def]
    """Run ``build_*() -> (fetches, train_op or None)`` in both frameworks."""
    out = []
    fetches, train = build_gf()
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for _ in range(steps):
            sess.run(train)
        out.append(sess.run(fetches))
    g = tf.Graph()
    with g.as_default():
        fetches, train = build_tf()
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                sess.run(train)
            out.append(sess.run(fetches))
    return out


def _close(a, b, rtol: float = 1e-10) -> None:  # type: ignore[no-untyped-def]
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, rtol)
    else:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("xs,ys,ax,ay", [((2, 3, 4), (2, 4, 5), False, False),
                                         ((2, 4, 3), (2, 5, 4), True, True),
                                         ((2, 1, 3, 4), (5, 4, 2), False, False)])
def test_batch_matmul_and_gradients(xs: tuple, ys: tuple, ax: bool, ay: bool) -> None:
    xv, yv = rand(xs, 1), rand(ys, 2)

    def build(lib):  # type: ignore[no-untyped-def]
        def inner():  # type: ignore[no-untyped-def]
            x, y = lib.constant(xv), lib.constant(yv)
            z = lib.matmul(x, y, transpose_a=ax, transpose_b=ay)
            w = lib.constant(rand(tuple(z.shape.as_list()), 3))
            return [z, *lib.gradients(lib.reduce_sum(z * w), [x, y])], None
        return inner
    got, want = _both(build(gf), build(tf))
    _close(got, want)


def test_top_k_and_gradient() -> None:
    xv = np.random.default_rng(0).permutation(24).reshape(2, 3, 4).astype(np.float64)

    def build(lib, top_k):  # type: ignore[no-untyped-def]
        def inner():  # type: ignore[no-untyped-def]
            x = lib.constant(xv)
            v, i = top_k(x, 2)
            w = lib.constant(rand((2, 3, 2), 4))
            return [v, i, lib.gradients(lib.reduce_sum(v * w), [x])[0]], None
        return inner
    got, want = _both(build(gf, gf.nn.top_k), build(tf, tf.nn.top_k))
    _close(got, want)


def test_clip_by_global_norm_and_gradients() -> None:
    av, bv = rand((2, 3), 5) * 4, rand((4,), 6) * 4

    def build(lib):  # type: ignore[no-untyped-def]
        def inner():  # type: ignore[no-untyped-def]
            a, b = lib.constant(av), lib.constant(bv)
            (ca, cb), n = lib.clip_by_global_norm([a, b], 1.5)
            loss = lib.reduce_sum(ca * lib.constant(rand((2, 3), 7))) + lib.reduce_sum(cb * cb)
            return [ca, cb, n, *lib.gradients(loss, [a, b])], None
        return inner
    got, want = _both(build(gf), build(tf))
    _close(got, want)


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]),
                                       ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                       ("ij->ji", [(2, 3)]), ("i,j->ij", [(3,), (4,)]),
                                       ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 2, 5)])])
def test_einsum_and_gradients(eq: str, shapes: list[tuple[int, ...]]) -> None:
    values = [rand(s, i + 10) for i, s in enumerate(shapes)]

    def build(lib):  # type: ignore[no-untyped-def]
        def inner():  # type: ignore[no-untyped-def]
            xs = [lib.constant(v) for v in values]
            y = lib.einsum(eq, *xs)
            w = lib.constant(rand(tuple(y.shape.as_list()), 20))
            return [y, *lib.gradients(lib.reduce_sum(y * w), xs)], None
        return inner
    got, want = _both(build(gf), build(tf))
    _close(got, want)


W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
IDS = np.array([1, 0, 1], np.int32)


# TF1 converts Python hyper-parameters to float32 tensors and casts them to the variable's
# dtype (graphflow keeps them in the variable's dtype): values exact in float32 make both agree.
@pytest.mark.parametrize("name,kwargs", [
    ("RMSPropOptimizer", {"learning_rate": 0.0625, "decay": 0.75, "momentum": 0.5,
                          "epsilon": 2.0 ** -20}),
    ("RMSPropOptimizer", {"learning_rate": 0.0625, "decay": 0.875, "centered": True,
                          "momentum": 0.25, "epsilon": 2.0 ** -20}),
    ("AdagradOptimizer", {"learning_rate": 0.25, "initial_accumulator_value": 0.2})])
@pytest.mark.parametrize("sparse", [False, True])
def test_optimizer_steps(name: str, kwargs: dict, sparse: bool) -> None:
    def build(lib):  # type: ignore[no-untyped-def]
        def inner():  # type: ignore[no-untyped-def]
            w = lib.Variable(W0.copy(), name="w")
            if sparse:
                loss = lib.reduce_sum(lib.square(lib.gather(w, lib.constant(IDS))))
            else:
                loss = lib.reduce_sum(lib.square(w - lib.constant(W0[::-1].copy())))
            opt = getattr(lib.train, name)(**kwargs)
            return w, opt.minimize(loss)
        return inner
    got, want = _both(build(gf), build(tf), steps=5)
    _close(got, want, rtol=1e-9)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase: bool) -> None:
    def build(lib):  # type: ignore[no-untyped-def]
        def inner():  # type: ignore[no-untyped-def]
            step = lib.train.get_or_create_global_step()
            lr = lib.train.exponential_decay(0.1, step, 3, 0.5, staircase=staircase)
            return [lr, step], lib.assign_add(step, 1)
        return inner
    for steps in (0, 4, 7):
        got, want = _both(build(gf), build(tf), steps=steps)
        _close(got, want, rtol=1e-6)


def test_long_tail_graph_exports_to_tensorflow() -> None:
    """A graphflow GraphDef with the new op types imports into TensorFlow unchanged (op
    types and attrs as TF defines them) and TF computes the same values."""
    xv = np.random.default_rng(1).permutation(24).reshape(2, 3, 4).astype(np.float64)
    x = gf.constant(xv, name="x")
    parts = gf.split(x, 2, axis=2, name="even")
    uneven = gf.split(x, [1, -1], axis=1, name="uneven")
    values, indices = gf.nn.top_k(x, 3, name="topk")
    hits = gf.nn.in_top_k(gf.constant(rand((3, 5), 2, np.float32)), gf.constant(np.array([0, 2, 4],
                                                                             np.int32)), 2)
    bmm = gf.matmul(x, gf.constant(rand((2, 4, 5), 3)))
    mask = gf.boolean_mask(x, gf.constant(xv[..., 0] > 10))
    seq = gf.sequence_mask(gf.constant(np.array([1, 3], np.int32)), 4)
    trig = gf.cos(x) + gf.sin(x) + gf.ceil(x * 0.3)
    printed = gf.Print(x, [x], message="x: ")
    check = gf.assert_less(gf.reduce_max(x), gf.constant(100.0, gf.float64))
    with gf.control_dependencies([check]):
        guarded = gf.identity(printed, name="guarded")
    sampled, _, _ = gf.nn.log_uniform_candidate_sampler(
        gf.constant(np.array([[1], [2]], np.int64)), 1, 3, True, 10, seed=4)
    fetches = [*parts, *uneven, values, indices, hits, bmm, mask, seq, trig, guarded]
    with gf.Session() as sess:
        want = sess.run(fetches)
    g = tf.Graph()
    with g.as_default():
        data = x.graph.graph_def.SerializeToString()
        tf.import_graph_def(tf.GraphDef.FromString(data), name="")
        with tf.Session(graph=g) as sess:
            got = sess.run([t.name for t in fetches])
            s = sess.run(sampled.name)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64),
                                   np.asarray(b, dtype=np.float64), rtol=1e-12)
    assert s.shape == (3,) and len(set(s.tolist())) == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((6,), None), ((7, 3), 0), ((3, 5, 6), [0, 2])])
def test_mean_and_its_gradient_give_tensorflows_bits(dtype, shape, axis) -> None:  # type: ignore[no-untyped-def]
    """reduce_mean's gradient with a static count is TF's: the upstream gradient divided by
    the count, bit for bit (multiplying by 1/count rounds otherwise for 6, 7 or 30 items)."""
    upstream = (rand(np.mean(np.ones(shape), axis=None if axis is None else tuple(axis)
                             if isinstance(axis, list) else axis).shape, seed=3) * 5)
    x_value = rand(shape, seed=4)

    def build(lib):  # type: ignore[no-untyped-def]
        x = lib.constant(x_value.astype(dtype))
        y = lib.reduce_mean(x, axis)
        (dx,) = lib.gradients(y, [x], grad_ys=[lib.constant(upstream.astype(dtype))])
        return [dx], None

    ours, theirs = _both(lambda: build(gf), lambda: build(tf))
    assert ours[0].dtype == theirs[0].dtype
    assert ours[0].tobytes() == theirs[0].tobytes()
