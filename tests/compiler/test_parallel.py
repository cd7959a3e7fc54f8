"""Inter-op parallelism (``SessionConfig(inter_op_threads=2)``, ``compiler/parallel.py``):
which steps run on the worker, that buffers stay safe while they do, that results are bit
for bit those of the serial plan, and that errors still name the node that failed."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import time
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as hs

import graphflow as gf
from graphflow.compiler import parallel, row_chains
from graphflow.framework import blas_threads
from graphflow.framework.errors import InvalidArgumentError
from graphflow.ops import linalg_ops
from graphflow.runtime import executor
from tests.compiler import test_random_graphs as random_graphs


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Serial sessions (``inter_op_threads=1``) leave numpy's BLAS as it is, and OpenBLAS
    may sum a product in another order on two threads; the threaded sessions' values have
    the bits of one BLAS thread, so the serial references here run on one too."""
    with blas_threads.single_threaded():
        yield


VOCAB, DIM, WINDOW, HIDDEN, CLASSES = 300, 64, 2, 256, 5
BATCH = 512  # x @ W: 2 * 512 * 128 * 256 = 33.5 MFLOP, above parallel.MIN_FLOPS


def _window_model(config, dtype=np.float32, seed=0, extra=None):
    """The window classifier's SGD step at sizes where its three products are heavy
    (``extra(E, x)``: more ops, built right after the lookup; returned last)."""
    rng = np.random.default_rng(seed)
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int32, [None, WINDOW], name="ids")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        emb = gf.Variable(rng.uniform(-0.1, 0.1, (VOCAB, DIM)).astype(dtype), name="E")
        w = gf.Variable((rng.standard_normal((WINDOW * DIM, HIDDEN)) * 0.1).astype(dtype),
                        name="W")
        u = gf.Variable((rng.standard_normal((HIDDEN, CLASSES)) * 0.1).astype(dtype), name="U")
        x = gf.reshape(gf.nn.embedding_lookup(emb, ids), [-1, WINDOW * DIM])
        more = extra(emb, x) if extra is not None else None
        h = gf.tanh(gf.matmul(x, w, name="forward"))
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=gf.matmul(h, u)))
        train = gf.train.GradientDescentOptimizer(0.5).minimize(loss)
        sess = gf.Session(graph=g, config=config)
        sess.run(gf.global_variables_initializer())
    if extra is not None:
        return sess, ids, labels, loss, train, more
    return sess, ids, labels, loss, train


def _batches(n, batch=BATCH, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, VOCAB, (batch, WINDOW), dtype=np.int32),
             rng.integers(0, CLASSES, batch, dtype=np.int32)) for _ in range(n)]


def _bound(sess, fetches, feed):
    sess.run(fetches, feed)
    signature = next(s for s in sess._plans.values() if s.feeds)
    return next(iter(signature.by_shape.values()))


def test_the_window_step_overlaps_the_weight_gradient_and_splits_the_forward_product(monkeypatch):
    monkeypatch.setattr(row_chains, "ROW_CHAINS", False)  # the schedule's own steps
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    plan = sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan
    marks = {st.name: (st.parallel, st.join) for st in plan.steps if st.parallel}
    # dW = x^T @ dh runs on the worker while the embedding row update runs here; it is
    # awaited before W's update (its consumer), which comes after ScatterSub.
    async_step = next(i for i, st in enumerate(plan.steps) if st.parallel == parallel.ASYNC)
    assert plan.steps[async_step].name == "gradients/forward_grad/MatMul_1"
    join = plan.steps[async_step].join
    assert plan.steps[join].name == "GradientDescent/update_W/ApplyGradientDescent"
    window = [st.name for st in plan.steps[async_step + 1:join]]
    # Also there, moved from before the launch (parallel.SINK_INTO_WINDOWS): the loss's mean
    # and dU = h^T @ delta, which nothing reads before U's update.
    assert "GradientDescent/update_E/ScatterSub" in window
    assert {"Mean", "gradients/MatMul_grad/MatMul_1"} <= set(window)
    assert not any(st.parallel for st in plan.steps[async_step + 1:join])
    # It is launched after dx = dh @ W^T, whose rows are split across both threads (the
    # cost model: dx split, then dW beside the row update, finishes first); so are the
    # forward product's, which has nothing independent to overlap with.
    dx = "gradients/forward_grad/MatMul"
    assert [st.name for st in plan.steps].index(dx) < async_step
    assert marks == {"forward": (parallel.SPLIT, None), dx: (parallel.SPLIT, None),
                     "gradients/forward_grad/MatMul_1": (parallel.ASYNC, join)}
    source = sess.explain([train, loss], {ids: b[0], labels: b[1]}).source
    assert f"_f{async_step} = _submit(k{async_step}, " in source
    assert f"= _f{async_step}.result(); del _f{async_step}" in source


def test_serial_config_and_small_products_schedule_nothing():
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=1))
    b = _batches(1)[0]
    assert not any(st.parallel for st in sess.explain([train, loss], {ids: b[0], labels: b[1]})
                   .plan.steps)
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    small = _batches(1, batch=8)[0]  # 2 * 8 * 128 * 256 flops: below MIN_FLOPS
    assert not any(st.parallel for st in sess.explain([train, loss],
                                                      {ids: small[0], labels: small[1]})
                   .plan.steps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_is_bit_identical_with_and_without_the_worker(dtype, monkeypatch):
    monkeypatch.setattr(row_chains, "ROW_CHAINS", False)  # the schedule's own steps
    serial = _window_model(gf.SessionConfig(inter_op_threads=1), dtype)
    threaded = _window_model(gf.SessionConfig(inter_op_threads=2), dtype)
    batches = _batches(4) + _batches(2, batch=300, seed=5)  # two shapes: two plans
    for ids_v, labels_v in batches:
        a = serial[0].run([serial[4], serial[3]], {serial[1]: ids_v, serial[2]: labels_v})
        b = threaded[0].run([threaded[4], threaded[3]],
                            {threaded[1]: ids_v, threaded[2]: labels_v})
        assert a[1] == b[1]
    for name in ("E", "W", "U"):
        np.testing.assert_array_equal(serial[0].variable_value(name),
                                      threaded[0].variable_value(name))
    _bound(threaded[0], [threaded[4], threaded[3]],
           {threaded[1]: batches[0][0], threaded[2]: batches[0][1]})
    signature = next(s for s in threaded[0]._plans.values() if s.feeds)
    bound = signature.by_shape[((BATCH, WINDOW), (BATCH,))]
    kinds = [st.parallel for st in bound.plan.steps]
    assert parallel.ASYNC in kinds and parallel.SPLIT in kinds  # not vacuous
    split = kinds.index(parallel.SPLIT)
    # The worker's rows of the forward product: fewer than half (parallel.split_rows)
    at = bound.plan.steps[split].share
    assert at == parallel.split_rows(BATCH, 2 * BATCH * WINDOW * DIM * HIDDEN) and \
        parallel.MIN_SPLIT_ROWS <= at < BATCH // 2
    # The split kernel runs unless this machine's BLAS sums the two parts differently.
    expected = "split_matmul" if linalg_ops._halves_match(
        (BATCH, WINDOW * DIM), (WINDOW * DIM, HIDDEN), False, False, at,
        np.dtype(dtype)) else "<lambda>"
    assert bound.kernels[split].__name__ == expected
    # dW's first rows are computed by the calling thread at the join (parallel.main_share):
    # also bit-identical, unless this BLAS sums those row blocks differently.
    shared = kinds.index(parallel.ASYNC)
    share = bound.plan.steps[shared].share
    assert share > 0
    matches = linalg_ops._halves_match((BATCH, WINDOW * DIM), (BATCH, HIDDEN), True, False,
                                       share, np.dtype(dtype))
    assert (bound.shares[shared].__name__, bound.kernels[shared].__name__) == (
        ("calling_thread_rows", "worker_rows") if matches else ("_no_share", "<lambda>"))


def test_main_share_gives_the_calling_thread_the_rows_that_even_out_the_window():
    product = 1 << 30
    hand_off = parallel.HAND_OFF_COST
    # rows * (product + hand_off - beside) / (2 * product), down to a multiple of 8
    assert parallel.main_share(256, product, product // 2) == 64  # 64.5
    assert parallel.main_share(256, product, 0) == 128  # nothing beside: half (128.5)
    assert parallel.main_share(256, product, product + hand_off) == 0  # the window is full
    assert parallel.main_share(256, product, 2 * product) == 0
    assert parallel.main_share(20, product, 0) == 0  # 8 rows: below MIN_SHARE_ROWS
    assert parallel.main_share(256, 0, 0) == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "SHARE_WINDOW_PRODUCTS", False)
        assert parallel.main_share(256, product, 0) == 0


def test_split_rows_give_the_worker_less_by_the_hand_off():
    product, hand_off = 1 << 30, parallel.HAND_OFF_COST
    # rows * (product - hand_off) / (2 * product), down to a multiple of 8
    assert parallel.split_rows(2048, product) == 2048 * (product - hand_off) // (2 * product) \
        // 8 * 8 == 1016
    assert parallel.split_rows(2048, hand_off) == 0  # nothing left for the worker: half
    assert parallel.split_rows(200, product) == 0  # 96 rows: below MIN_SPLIT_ROWS
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "UNEVEN_SPLITS", False)
        assert parallel.split_rows(2048, product) == 0


def test_the_calling_threads_share_runs_at_the_join_and_is_located_there():
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    explained = sess.explain([train, loss], {ids: b[0], labels: b[1]})
    i = next(k for k, st in enumerate(explained.plan.steps) if st.parallel == parallel.ASYNC)
    step = explained.plan.steps[i]
    lines = explained.source.splitlines()
    at = next(n for n, line in enumerate(lines) if line.strip().startswith(f"k{i}_share("))
    assert ".result()" in lines[at + 1] and f"_f{i}" in lines[at + 1]
    assert explained.code.step_at(at + 1) == i  # line numbers are 1-based
    assert f"(rows [:{step.share}] computed here at the join)" in explained.describe()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "SHARE_WINDOW_PRODUCTS", False)
        sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
        off = sess.explain([train, loss], {ids: b[0], labels: b[1]})
    assert all(st.share == 0 for st in off.plan.steps if st.parallel == parallel.ASYNC)
    assert "_share(" not in off.source


def test_a_share_is_refused_when_the_row_blocks_would_round_differently(monkeypatch):
    monkeypatch.setattr(linalg_ops, "_halves_match", lambda *args: False)
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    bound = _bound(sess, [train, loss], {ids: b[0], labels: b[1]})
    (shared,) = bound.shares
    assert bound.shares[shared] is executor._no_share
    serial = _window_model(gf.SessionConfig(inter_op_threads=1))
    serial[0].run([serial[4], serial[3]], {serial[1]: b[0], serial[2]: b[1]})
    assert sess.run([train, loss], {ids: b[0], labels: b[1]})[1] == \
        serial[0].run([serial[4], serial[3]], {serial[1]: b[0], serial[2]: b[1]})[1]


class _Context:
    """What ``MatMul.shared_kernel`` asks of its KernelContext."""

    def __init__(self, out, shapes, **attrs):
        self.out, self.inputs, self._attrs = [out], list(shapes), attrs

    def attr(self, name):
        return self._attrs.get(name, False)

    def concrete(self, shape):
        return shape


def test_the_shared_kernels_compute_the_rows_of_one_product():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((300, 512)), rng.standard_normal((256, 300))
    out = np.full((512, 256), np.nan)
    pair = linalg_ops.MatMul().shared_kernel(
        _Context(out, [a.shape, b.shape], transpose_a=True, transpose_b=True), 64)
    assert pair is not None
    worker, calling = pair
    assert worker(a, b) is out and np.isnan(out[:64]).all()  # the worker's rows only
    calling(a, b)
    np.testing.assert_array_equal(out, a.T @ b.T)
    # x @ x.T (numpy's syrk) is computed whole by the worker; the calling thread adds nothing
    x = rng.standard_normal((512, 300))
    gram = np.full((512, 512), np.nan)
    worker, calling = linalg_ops.MatMul().shared_kernel(
        _Context(gram, [x.shape, x.shape], transpose_b=True), 64)
    worker(x, x)
    expected = x @ x.T
    np.testing.assert_array_equal(gram, expected)
    calling(x, x)
    np.testing.assert_array_equal(gram, expected)
    assert linalg_ops.MatMul().shared_kernel(_Context(None, [a.shape, b.shape]), 64) is None
    assert linalg_ops.MatMul().shared_kernel(
        _Context(out, [a.shape, b.shape], transpose_a=True, transpose_b=True), 0) is None


def test_buffers_in_use_by_the_worker_are_never_handed_to_another_step():
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    plan = sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan
    buffer_of = {s: buf for st in plan.steps for s, buf in zip(st.outputs, st.out_buffers)
                 if s is not None and buf is not None}
    checked = 0
    for p, st in enumerate(plan.steps):
        if st.join is None:
            continue
        held = {buffer_of[s] for s in st.inputs if s in buffer_of} | \
            {buf for buf in st.out_buffers if buf is not None}
        assert held
        for k in range(p + 1, st.join):
            assert held.isdisjoint(plan.steps[k].out_buffers), plan.steps[k].name
            assert held.isdisjoint(buffer_of.get(s) for s in plan.steps[k].release)
            checked += 1
    assert checked >= 3


def test_a_failure_in_the_window_waits_for_the_worker_and_names_its_node():
    rng = np.random.default_rng(0)
    g = gf.Graph()
    with g.as_default():
        # Two products of 128 rows (too few to split), 33.5 MFLOP each: one on the worker
        # while the other runs here.
        a = gf.placeholder(gf.float64, [128, 512], name="a")
        idx = gf.placeholder(gf.int32, [None], name="idx")
        w = gf.constant(rng.standard_normal((512, 256)), name="w")
        prod = gf.matmul(a, w, name="big")  # heavy; its consumer comes last
        other = gf.matmul(gf.tanh(a), w, name="other")  # main-thread work in the window
        picked = gf.gather(gf.reduce_sum(other, axis=1), idx, name="pick")
        out = gf.reduce_sum(prod) + gf.reduce_sum(picked)
    feed_a = rng.standard_normal((128, 512))
    serial = gf.Session(graph=g)
    threaded = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    good = {a: feed_a, idx: np.array([1, 2], np.int32)}
    plan = threaded.explain(out, good).plan
    assert [st.name for st in plan.steps if st.parallel == parallel.ASYNC] == ["big"]
    with pytest.raises(InvalidArgumentError, match="pick"):
        threaded.run(out, {a: feed_a, idx: np.array([1, 999], np.int32)})
    assert threaded.run(out, good) == serial.run(out, good)


def test_a_failure_on_the_worker_is_reported_at_its_join_naming_the_node(monkeypatch):
    monkeypatch.setattr(row_chains, "ROW_CHAINS", False)  # the schedule's own steps
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))

    real_submit = executor.submit

    def failing_submit(fn, *args, **kwargs):
        if fn is np.matmul:  # the split forward product's half: runs as usual
            return real_submit(fn, *args, **kwargs)
        future = concurrent.futures.Future()  # the asynchronous step: fails on the worker
        future.set_exception(MemoryError("worker ran out of memory"))
        return future
    monkeypatch.setattr(executor, "submit", failing_submit)
    b = _batches(1)[0]
    with pytest.raises(InvalidArgumentError) as info:
        sess.run([train, loss], {ids: b[0], labels: b[1]})
    message = str(info.value)
    assert "'gradients/forward_grad/MatMul_1'" in message and "MemoryError" in message


def test_a_failure_in_the_calling_threads_share_names_the_node_and_waits_for_the_worker(
        monkeypatch):
    real = linalg_ops.MatMul.shared_kernel
    finished = []

    def failing_share(self, ctx, share):
        worker, _ = real(self, ctx, share)

        def slow_worker(a, b):
            out = worker(a, b)
            time.sleep(0.05)  # still running when the calling thread's part fails
            finished.append(True)
            return out

        def calling_thread_rows(a, b):
            raise MemoryError("no room for the calling thread's rows")
        return slow_worker, calling_thread_rows
    monkeypatch.setattr(linalg_ops.MatMul, "shared_kernel", failing_share)
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    with pytest.raises(InvalidArgumentError) as info:
        sess.run([train, loss], {ids: b[0], labels: b[1]})
    message = str(info.value)
    assert "'gradients/forward_grad/MatMul_1'" in message and "MemoryError" in message
    assert finished == [True]  # the worker's part had ended when the error was raised


def test_the_worker_runs_under_the_sessions_numpy_error_state():
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, [512, 512], name="a")
        w = gf.constant(np.full((512, 512), 3e36, np.float32))
        big = gf.matmul(a, w, name="big")  # overflows to inf
        other = gf.reduce_sum(gf.matmul(gf.tanh(a), w))
        out = [gf.reduce_max(big), other]
    feed = {a: np.ones((512, 512), np.float32)}
    threaded = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    assert any(st.parallel for st in threaded.explain(out, feed).plan.steps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning from the worker would raise
        got = threaded.run(out, feed)
    assert got[0] == np.inf
    assert got == gf.Session(graph=g).run(out, feed)


def test_a_split_is_refused_when_the_halves_would_round_differently(monkeypatch):
    monkeypatch.setattr(row_chains, "ROW_CHAINS", False)  # the schedule's own steps
    monkeypatch.setattr(linalg_ops, "_halves_match", lambda *args: False)
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    bound = _bound(sess, [train, loss], {ids: b[0], labels: b[1]})
    split = [i for i, st in enumerate(bound.plan.steps) if st.parallel == parallel.SPLIT]
    assert split and all(bound.kernels[i].__name__ != "split_matmul" for i in split)
    serial = _window_model(gf.SessionConfig(inter_op_threads=1))
    serial[0].run([serial[4], serial[3]], {serial[1]: b[0], serial[2]: b[1]})  # as _bound
    assert sess.run([train, loss], {ids: b[0], labels: b[1]})[1] == \
        serial[0].run([serial[4], serial[3]], {serial[1]: b[0], serial[2]: b[1]})[1]


def test_halves_match_compares_the_two_products():
    # a plain product of these sizes has no small-matrix path: the halves match
    assert linalg_ops._halves_match((512, 128), (128, 256), False, False, 256, np.float64)
    assert linalg_ops._halves_match((128, 512), (256, 128), True, True, 256, np.float32)


def test_interpreted_plans_and_check_numerics_stay_serial():
    for config, check in ((gf.SessionConfig(inter_op_threads=2, interpret=True), False),
                          (gf.SessionConfig(inter_op_threads=2), True)):
        sess, ids, labels, loss, train = _window_model(config)
        sess.check_numerics = check
        b = _batches(1)[0]
        assert not any(st.parallel for st in sess.explain([train, loss],
                                                          {ids: b[0], labels: b[1]})
                       .plan.steps)


@pytest.mark.parametrize("bad", [-1, True, 2.0, "2"])
def test_inter_op_threads_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="inter_op_threads"):
        gf.SessionConfig(inter_op_threads=bad)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(program=hs.lists(hs.tuples(hs.integers(0, 40), hs.integers(0, 9), hs.integers(0, 9)),
                        min_size=2, max_size=8),
       seed=hs.integers(0, 2**16))
def test_random_graphs_give_the_same_values_with_every_product_scheduled(program, seed):
    """With the flops threshold at zero every MatMul is a candidate to run on the worker,
    so the schedule, the releases and the memory plan meet arbitrary graph shapes. (Splits
    keep their floor of MIN_SPLIT_ROWS rows per thread: products this small take BLAS paths
    whose rounding depends on the arrays' alignment, which no check at bind time sees.)"""
    graph, xs, loss = random_graphs._build(
        [(15 if i % 2 else kind, a, b) for i, (kind, a, b) in enumerate(program)])
    with graph.as_default():
        grads = [g for g in gf.gradients(loss, xs) if g is not None]
    rng = np.random.default_rng(seed)
    feeds = {x: rng.uniform(-1.0, 1.0, (random_graphs.ROWS, random_graphs.COLS)) for x in xs}
    fetches = [loss, *grads]
    serial = gf.Session(graph=graph).run(fetches, feeds)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_FLOPS", 0)
        threaded = gf.Session(graph=graph, config=gf.SessionConfig(inter_op_threads=2))
        got = threaded.run(fetches, feeds)
        steps = threaded.explain(fetches, feeds).plan.steps
        marks = [st.parallel for st in steps]
    assume(parallel.ASYNC in marks)  # the examples that exercise the worker
    for a, b in zip(serial, got):
        np.testing.assert_array_equal(a, b)


def test_a_product_of_an_array_with_its_own_transpose_is_not_split():
    """numpy computes x @ x.T with syrk, whose sums differ from two gemm halves."""
    rng = np.random.default_rng(3)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [512, 300], name="x")
        gram = gf.matmul(x, x, transpose_b=True, name="gram")
    feed = {x: rng.standard_normal((512, 300))}
    threaded = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    assert [st.parallel for st in threaded.explain(gram, feed).plan.steps] == [parallel.SPLIT]
    np.testing.assert_array_equal(threaded.run(gram, feed), gf.Session(graph=g).run(gram, feed))


def test_a_product_is_never_moved_above_its_control_inputs_or_an_update_of_what_it_reads():
    rng = np.random.default_rng(4)
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float64, [128, 512], name="a")
        w = gf.Variable(rng.standard_normal((512, 256)), name="w")
        other = gf.matmul(gf.tanh(a), gf.constant(rng.standard_normal((512, 256))),
                          name="other")
        bump = gf.assign_add(w, gf.ones_like(w), name="bump")
        with gf.control_dependencies([bump]):
            after_bump = gf.matmul(a, w.read_value(), name="after_bump")
        out = [gf.reduce_sum(after_bump), gf.reduce_sum(other)]
        init = gf.global_variables_initializer()
    feed = {a: rng.standard_normal((128, 512))}
    results = []
    for config in (gf.SessionConfig(inter_op_threads=1), gf.SessionConfig(inter_op_threads=2)):
        sess = gf.Session(graph=g, config=config)
        sess.run(init)
        results.append([sess.run(out, feed) for _ in range(2)])
        steps = sess.explain(out, feed).plan.steps
        names = [st.name for st in steps]
        if config.inter_op_threads > 1:
            moved = [st.name for st in steps if st.parallel == parallel.ASYNC]
            assert moved  # one of the two products runs on the worker
            assert names.index("after_bump") > names.index("bump")
    assert results[0] == results[1]


@pytest.mark.parametrize(("threads", "expected"), [(2, 2), (4, 4), (1, 1), (0, 0), (-1, 1)])
def test_a_tf1_config_protos_inter_op_threads_turn_the_worker_on(threads, expected):
    """As TF1 reads the field: 0 (its default) lets the runtime choose, 1 or a negative
    count runs on the calling thread, N >= 2 uses the worker."""
    config = gf.ConfigProto(inter_op_parallelism_threads=threads, allow_soft_placement=True)
    sess = gf.Session(graph=gf.Graph(), config=config)
    assert sess.config.inter_op_threads == expected
    assert sess.inter_op_threads == (expected or gf.SessionConfig().threads())
    assert gf.Session(graph=gf.Graph(), config=None).config.inter_op_threads == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_worker():
    """The parent's worker thread does not exist in a forked child; a run there must not
    wait forever on a queue no thread serves."""
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    feed = {ids: b[0], labels: b[1]}
    sess.run(loss, feed)  # the parent's worker exists now
    expected = float(sess.run(loss, feed))
    _IN_CHILD[:] = [sess, loss, feed]  # inherited by the fork (sessions do not pickle)
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            got = pool.apply_async(_run_in_child).get(timeout=60)
    finally:
        _IN_CHILD.clear()
    assert got == expected


_IN_CHILD: list = []


def _run_in_child():
    sess, loss, feed = _IN_CHILD
    return float(sess.run(loss, feed))


def test_a_while_loop_with_large_products_gives_the_same_values_and_gradients():
    rng = np.random.default_rng(5)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [512, 256], name="x")
        w = gf.constant(rng.standard_normal((256, 256)) * 0.05)

        def body(i, h):
            return i + 1, gf.tanh(gf.matmul(h, w)) + gf.matmul(gf.tanh(h), w)
        _, out = gf.while_loop(lambda i, h: i < 3, body, [gf.constant(0), x])
        loss = gf.reduce_sum(out)
        grad = gf.gradients(loss, x)[0]
    feed = {x: rng.standard_normal((512, 256))}
    serial = gf.Session(graph=g).run([loss, grad], feed)
    threaded = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    got = threaded.run([loss, grad], feed)
    assert got[0] == serial[0]
    np.testing.assert_array_equal(got[1], serial[1])


def _lookup_model(config, rows=1000, dim=64):
    """A large embedding lookup (1024 x 5 ids -> 327,680 elements, above
    parallel.SPLIT_GATHER_ELEMENTS) and its SGD step."""
    rng = np.random.default_rng(7)
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int64, [None, 5], name="ids")
        emb = gf.Variable(rng.standard_normal((rows, dim)).astype(np.float32), name="E")
        looked = gf.nn.embedding_lookup(emb, ids, name="lookup")
        loss = gf.reduce_sum(gf.tanh(looked))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        sess = gf.Session(graph=g, config=config)
        sess.run(gf.global_variables_initializer())
    return sess, ids, looked, train


def test_a_large_gather_copies_half_of_its_rows_on_the_worker_with_the_same_bytes():
    serial = _lookup_model(gf.SessionConfig(inter_op_threads=1))
    threaded = _lookup_model(gf.SessionConfig(inter_op_threads=2))
    rng = np.random.default_rng(3)
    feeds = [rng.integers(0, 1000, (1024, 5)) for _ in range(3)]
    sess, ids, looked, train = threaded
    bound = _bound(sess, [looked, train], {ids: feeds[0]})
    serial[0].run([serial[2], serial[3]], {serial[1]: feeds[0]})  # the same first step
    split = [i for i, st in enumerate(bound.plan.steps) if st.parallel == parallel.SPLIT]
    assert [bound.plan.steps[i].op_type for i in split] == ["GatherV2"]
    assert bound.kernels[split[0]].__name__ == "split_gather"
    for feed in feeds:
        a = serial[0].run([serial[2], serial[3]], {serial[1]: feed})[0]
        b = sess.run([looked, train], {ids: feed})[0]
        assert a.tobytes() == b.tobytes()
    assert serial[0].variable_value("E").tobytes() == sess.variable_value("E").tobytes()
    small = rng.integers(0, 1000, (64, 5))  # 20,480 elements: one gather
    plan = sess.explain([looked], {ids: small}).plan
    assert not any(st.parallel for st in plan.steps)


@pytest.mark.parametrize("bad", [1000, -1])
def test_a_split_gather_names_a_bad_index_before_it_copies(bad):
    messages = []
    for config in (gf.SessionConfig(inter_op_threads=1), gf.SessionConfig(inter_op_threads=2)):
        sess, ids, looked, _ = _lookup_model(config)
        feed = np.zeros((1024, 5), np.int64)
        sess.run(looked, {ids: feed})
        feed[700, 3] = bad
        with pytest.raises(InvalidArgumentError) as info:
            sess.run(looked, {ids: feed})
        messages.append(str(info.value))
    assert "lookup" in messages[1] and f"= {bad} is not in [0, 1000)" in messages[1]
    assert messages[0] == messages[1]


def test_without_sinking_the_window_holds_what_follows_the_launch(monkeypatch):
    monkeypatch.setattr(parallel, "SINK_INTO_WINDOWS", False)
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    plan = sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan
    async_step = next(i for i, st in enumerate(plan.steps) if st.parallel == parallel.ASYNC)
    window = [st.op_type for st in plan.steps[async_step + 1:plan.steps[async_step].join]]
    assert "ScatterSub" in window and "MatMul" not in window and "Mean" not in window


def _before_launch(plan):
    launch = next(i for i, st in enumerate(plan.steps) if st.parallel == parallel.ASYNC)
    return {st.name for st in plan.steps[:launch]}


def test_steps_reading_variables_or_serving_as_control_inputs_are_not_moved(monkeypatch):
    def extra(emb, x):  # pure steps nothing needs before the end, built early in the plan
        emb_sum = gf.reduce_sum(emb.value(), name="emb_sum")  # reads E, which the step updates
        x_sum = gf.reduce_sum(x, name="x_sum")
        doubled = gf.multiply(x_sum, 2.0, name="doubled")
        with gf.control_dependencies([doubled]):
            after = gf.add(x_sum, 1.0, name="after")
        return [emb_sum, after, doubled]  # (a control input nothing fetches is dropped)

    runs, plans = [], {}
    for threads, sink in ((1, True), (2, True), (2, False)):
        monkeypatch.setattr(parallel, "SINK_INTO_WINDOWS", sink)
        sess, ids, labels, loss, train, more = _window_model(
            gf.SessionConfig(inter_op_threads=threads), extra=extra)
        b = _batches(1)[0]
        fetches = [train, loss, *more]
        if threads == 2:
            plans[sink] = sess.explain(fetches, {ids: b[0], labels: b[1]}).plan
        runs.append(sess.run(fetches, {ids: b[0], labels: b[1]})[1:])
    before = _before_launch(plans[False])
    moved = before - _before_launch(plans[True])
    assert {"emb_sum", "doubled", "x_sum", "after"} <= before  # each could have moved
    assert "after" in moved  # not vacuous
    # E's reader and the control input stay; so does x_sum, read by one that stays
    assert not {"emb_sum", "doubled", "x_sum"} & moved
    assert len({tuple(np.asarray(v).tobytes() for v in run) for run in runs}) == 1


def _cnn_step(config, dtype):
    """A convolution's SGD step at sizes where its products are heavy (ASYNC_CONV_OPS)."""
    rng = np.random.default_rng(11)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(dtype, [None, 16, 16, 8], name="x")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        k1 = gf.Variable((rng.standard_normal((3, 3, 8, 32)) * 0.2).astype(dtype), name="k1")
        k2 = gf.Variable((rng.standard_normal((3, 3, 32, 32)) * 0.1).astype(dtype), name="k2")
        w = gf.Variable((rng.standard_normal((16 * 16 * 32, 4)) * 0.01).astype(dtype), name="w")
        h = gf.nn.relu(gf.nn.conv2d(x, k1, 1, "SAME"))
        h = gf.nn.relu(gf.nn.conv2d(h, k2, 1, "SAME"))
        logits = gf.matmul(gf.reshape(h, [-1, 16 * 16 * 32]), w)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        sess = gf.Session(graph=g, config=config)
        sess.run(gf.global_variables_initializer())
    return sess, x, labels, loss, train


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_convolution_runs_on_the_worker_with_the_serial_plans_bits(dtype):
    rng = np.random.default_rng(12)
    feeds = [(rng.standard_normal((16, 16, 16, 8)).astype(dtype),
              rng.integers(0, 4, 16).astype(np.int32)) for _ in range(3)]
    serial = _cnn_step(gf.SessionConfig(inter_op_threads=1), dtype)
    threaded = _cnn_step(gf.SessionConfig(inter_op_threads=2), dtype)
    for xv, yv in feeds:
        a = serial[0].run([serial[4], serial[3]], {serial[1]: xv, serial[2]: yv})[1]
        b = threaded[0].run([threaded[4], threaded[3]], {threaded[1]: xv, threaded[2]: yv})[1]
        assert a == b
    for name in ("k1", "k2", "w"):
        np.testing.assert_array_equal(serial[0].variable_value(name),
                                      threaded[0].variable_value(name))
    steps = threaded[0].explain([threaded[4], threaded[3]],
                                {threaded[1]: feeds[0][0], threaded[2]: feeds[0][1]}).plan.steps
    conv_marks = {st.op_type: st.parallel for st in steps if st.op_type in
                  parallel.ASYNC_CONV_OPS and st.parallel}
    assert set(conv_marks.values()) == {parallel.ASYNC}  # whole on the worker, never split
    assert all(st.share == 0 for st in steps if st.op_type in parallel.ASYNC_CONV_OPS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "ASYNC_CONV_OPS", frozenset())
        off = _cnn_step(gf.SessionConfig(inter_op_threads=2), dtype)
        steps = off[0].explain([off[4], off[3]], {off[1]: feeds[0][0], off[2]: feeds[0][1]})
    assert not any(st.parallel for st in steps.plan.steps if st.op_type.startswith("Conv2D"))


def test_a_convolutions_cost_is_its_products_flops():
    sess, x, labels, loss, train = _cnn_step(gf.SessionConfig(inter_op_threads=2), np.float32)
    plan = sess.explain([train, loss], {x: np.zeros((16, 16, 16, 8), np.float32),
                                        labels: np.zeros(16, np.int32)}).plan
    costs = {st.name: parallel.step_cost(plan, st) for st in plan.steps}
    positions = 16 * 16 * 16  # N x OH x OW
    assert costs["Conv2D"] == 2 * positions * 32 * (3 * 3 * 8)
    assert costs["Conv2D_1"] == 2 * positions * 32 * (3 * 3 * 32)
    assert costs["gradients/Conv2D_1_grad/Conv2DBackpropInput"] == costs["Conv2D_1"]
    assert costs["gradients/Conv2D_1_grad/Conv2DBackpropFilter"] == costs["Conv2D_1"]
