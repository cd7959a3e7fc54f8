"""Row chains (``compiler/row_chains.py``, ``runtime/row_chain.py``): which runs of steps
become one step computed by rows on both threads, that results keep the bits of the plan
without chains, that memory behind the chain's inputs is never written, and that errors
are the plan's own."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as hs

import graphflow as gf
from graphflow.compiler import parallel, row_chains
from graphflow.framework import blas_threads
from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.op_registry import KernelContext
from graphflow.framework.tensor import TensorSpec
from graphflow.ops import activation_ops, cross_entropy_ops, linalg_ops, op_base
from graphflow.runtime import executor
from tests.compiler.test_parallel import BATCH, CLASSES, _batches, _bound, _window_model

CHAIN = ["forward", "Tanh", "MatMul", "SparseSoftmaxCrossEntropyWithLogits",
         "gradients/SparseSoftmaxCrossEntropyWithLogits_grad/Mul",
         "gradients/MatMul_grad/MatMul", "gradients/Tanh_grad/TanhGrad",
         "gradients/forward_grad/MatMul"]


def _chain_steps(plan):
    return [st for st in plan.steps if st.parallel == row_chains.ROWS]


def _context(plan, step):
    """The kernel context the plan gives ``step`` (its slots' specs)."""
    return KernelContext(step.record, step.op.node_def, [plan.slot_specs[s] for s in step.inputs],
                         [plan.slot_specs[s] for s in step.outputs])


def _train_twice(config, batches, dtype=np.float32):
    sess, ids, labels, loss, train = _window_model(config, dtype)
    losses = [sess.run([train, loss], {ids: i, labels: y})[1] for i, y in batches]
    return sess, losses, [sess.variable_value(n) for n in ("E", "W", "U")], \
        (ids, labels, loss, train)


def test_the_window_step_runs_from_the_forward_product_to_dx_as_one_chain():
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    explained = sess.explain([train, loss], {ids: b[0], labels: b[1]})
    plan = explained.plan
    (chain,) = _chain_steps(plan)
    assert [st.name for st in chain.record.steps] == CHAIN
    assert chain.record.rows == BATCH
    # The softmax cross-entropy's labels, and x @ W's x, are read by rows; W and U whole.
    marks = dict(zip(CHAIN, chain.record.marks))
    assert marks["forward"] == (True, False) and marks["MatMul"] == (True, False)
    assert marks["SparseSoftmaxCrossEntropyWithLogits"] == (True, True)
    # What the plan reads after the chain comes out of it: h (for dU), the loss rows, delta,
    # dh (for dW and db) and dx (the embedding rows' gradient); no internal value does.
    names = {plan.slot_tensors[s].op.name for s in chain.outputs}
    assert names == {"Tanh", "SparseSoftmaxCrossEntropyWithLogits",
                     "gradients/SparseSoftmaxCrossEntropyWithLogits_grad/Mul",
                     "gradients/Tanh_grad/TanhGrad", "gradients/forward_grad/MatMul"}
    # The worker's rows: the cost model's cut, a multiple of ROW_CUT_MULTIPLE.
    cost = sum(parallel.step_cost(plan, st) for st in chain.record.steps)
    assert chain.share == row_chains.cut_rows(BATCH, cost)
    assert chain.share % row_chains.ROW_CUT_MULTIPLE == 0 and 0 < chain.share < BATCH
    # dW still runs on the worker after the chain, awaited before W's update (its join
    # renumbered past the fused steps).
    (dw,) = [i for i, st in enumerate(plan.steps) if st.parallel == parallel.ASYNC]
    assert plan.steps[dw].name == "gradients/forward_grad/MatMul_1"
    assert plan.steps[plan.steps[dw].join].name == \
        "GradientDescent/update_W/ApplyGradientDescent"
    assert "row chain of 8 steps over 512 rows" in explained.describe()


def test_cut_rows_are_the_split_rows_in_multiples_of_64():
    product = 1 << 30
    assert row_chains.cut_rows(2048, product) == 960  # split_rows: 1016
    assert row_chains.cut_rows(2048, parallel.HAND_OFF_COST) == 1024  # no split rows: half
    assert row_chains.cut_rows(256, product) == 128


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_keeps_the_bits_of_the_plan_without_chains(dtype, monkeypatch):
    batches = _batches(4) + _batches(2, batch=300, seed=5) + _batches(1, batch=1000, seed=6)
    with blas_threads.single_threaded():  # the bits of one BLAS thread, as threaded plans keep
        serial = _train_twice(gf.SessionConfig(inter_op_threads=1), batches, dtype)
    chained = _train_twice(gf.SessionConfig(inter_op_threads=2), batches, dtype)
    sess, (ids, labels, loss, train) = chained[0], chained[3]
    for batch in (BATCH, 300, 1000):  # not vacuous: each shape's plan has its chain
        i, y = _batches(1, batch=batch)[0]
        assert _chain_steps(sess.explain([train, loss], {ids: i, labels: y}).plan)
    monkeypatch.setattr(row_chains, "ROW_CHAINS", False)
    unchained = _train_twice(gf.SessionConfig(inter_op_threads=2), batches, dtype)
    assert chained[1] == serial[1] == unchained[1]
    for a, b, c in zip(chained[2], serial[2], unchained[2]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_the_chain_kernel_runs_by_rows_unless_a_cut_would_change_bits(monkeypatch):
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    bound = _bound(sess, [train, loss], {ids: b[0], labels: b[1]})
    (index,) = [i for i, st in enumerate(bound.plan.steps) if st.parallel == row_chains.ROWS]
    assert bound.kernels[index].__name__ == "row_chain"
    # A product whose two row blocks would round otherwise (at the cut and at half the
    # rows): the chain's steps run whole, as bound without chains; same values.
    monkeypatch.setattr(linalg_ops, "_halves_match", lambda *args: False)
    refused = _window_model(gf.SessionConfig(inter_op_threads=2))
    bound = _bound(refused[0], [refused[4], refused[3]], {refused[1]: b[0], refused[2]: b[1]})
    (index,) = [i for i, st in enumerate(bound.plan.steps) if st.parallel == row_chains.ROWS]
    assert bound.kernels[index].__name__ == "<lambda>"
    serial = _window_model(gf.SessionConfig(inter_op_threads=1))
    with blas_threads.single_threaded():
        expected = [serial[0].run([serial[4], serial[3]], {serial[1]: b[0], serial[2]: b[1]})[1]
                    for _ in range(2)]  # as _bound ran one step
    assert refused[0].run([refused[4], refused[3]], {refused[1]: b[0], refused[2]: b[1]})[1] \
        == expected[1]


def test_the_cut_falls_back_to_half_the_rows_when_only_that_keeps_the_bits(monkeypatch):
    real = linalg_ops._halves_match
    monkeypatch.setattr(linalg_ops, "_halves_match",
                        lambda a, b, ta, tb, half, dtype: half == BATCH // 2 and
                        real(a, b, ta, tb, half, dtype))
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    bound = _bound(sess, [train, loss], {ids: b[0], labels: b[1]})
    (index,) = [i for i, st in enumerate(bound.plan.steps) if st.parallel == row_chains.ROWS]
    assert bound.plan.steps[index].share != BATCH // 2
    assert bound.kernels[index].__name__ == "row_chain"


def test_switch_off_keeps_the_steps():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(row_chains, "ROW_CHAINS", False)
        sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
        b = _batches(1)[0]
        assert not _chain_steps(sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan)


def test_small_batches_and_serial_sessions_have_no_chain():
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    small = _batches(1, batch=200)[0]  # fewer than 2 * MIN_SPLIT_ROWS rows
    assert not _chain_steps(sess.explain([train, loss], {ids: small[0], labels: small[1]}).plan)
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=1))
    b = _batches(1)[0]
    assert not _chain_steps(sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan)


@pytest.mark.parametrize("row", [3, BATCH - 3])  # in the worker's rows, in the calling thread's
def test_a_bad_label_raises_the_error_of_the_plan_without_chains(row, monkeypatch):
    b = _batches(1)[0]
    bad = b[1].copy()
    bad[row] = CLASSES + 2
    messages = []
    for on in (True, False):
        monkeypatch.setattr(row_chains, "ROW_CHAINS", on)
        sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
        assert bool(_chain_steps(sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan)) \
            == on
        with pytest.raises(InvalidArgumentError) as info:
            sess.run([train, loss], {ids: b[0], labels: bad})
        messages.append(str(info.value))
        # the session still runs good batches, with the values of a fresh one
        assert np.isfinite(sess.run(loss, {ids: b[0], labels: b[1]}))
    assert messages[0] == messages[1]
    assert f"(row {row})" in messages[0] and "SparseSoftmaxCrossEntropyWithLogits" in messages[0]


def _tanh_failing(monkeypatch, rows_below):
    """Tanh kernels bound for fewer than ``rows_below`` rows raise MemoryError (the record
    keeps ``Unary``'s kernel, so it is still read by rows)."""
    real = op_base.bind_out

    def bind_out(record, ctx):
        kernel = real(record, ctx)
        if ctx.op_type != "Tanh" or ctx.outputs[0].shape.as_list()[0] >= rows_below:
            return kernel

        def failing(x):
            raise MemoryError("no memory for these rows")
        return failing
    monkeypatch.setattr(op_base, "bind_out", bind_out)


def test_a_failure_of_one_block_alone_names_the_inner_node_and_its_rows(monkeypatch):
    _tanh_failing(monkeypatch, BATCH)  # the blocks fail; run whole, Tanh does not
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    (chain,) = _chain_steps(sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan)
    with pytest.raises(InvalidArgumentError) as info:
        sess.run([train, loss], {ids: b[0], labels: b[1]})
    message = str(info.value)
    assert "'Tanh'" in message and "MemoryError: no memory for these rows" in message
    assert f"on rows [{chain.share}:{BATCH}] of its row chain" in message  # the calling thread's
    assert f"float32 ({BATCH - chain.share}, 256)" in message  # the block's input
    assert info.value.node_name == "Tanh"


def test_a_failure_run_whole_names_the_inner_node_with_its_whole_inputs(monkeypatch):
    _tanh_failing(monkeypatch, BATCH + 1)  # fails on every block and whole
    b = _batches(1)[0]
    messages = []
    for on in (True, False):
        monkeypatch.setattr(row_chains, "ROW_CHAINS", on)
        sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
        with pytest.raises(InvalidArgumentError) as info:
            sess.run([train, loss], {ids: b[0], labels: b[1]})
        messages.append(str(info.value))
        assert info.value.node_name == "Tanh"
    assert messages[0] == messages[1]
    assert f"forward:0: float32 ({BATCH}, 256)" in messages[0]


def _chain_after(a_first: bool, fed: bool = False):
    """x @ W (split), then an add of a value computed before it by a step that is not
    read by rows (Softplus, in a planned buffer of its own) — or fed — then a product of
    the sum, which is read again after it (so that product takes a buffer from the pool);
    ``a_first`` puts the outside value first."""
    rng = np.random.default_rng(3)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [BATCH, 128], name="x")
        a = gf.placeholder(gf.float64, [BATCH, 256], name="a")
        w = gf.constant(rng.standard_normal((128, 256)), name="w")
        outside = a if fed else gf.nn.softplus(a, name="outside")
        m = gf.matmul(x, w, name="m")
        s = gf.add(outside, m, name="s") if a_first else gf.add(m, outside, name="s")
        u = gf.multiply(s, 3.0, name="u")
        out = gf.reduce_sum(gf.tanh(u) * s, name="out")
    feed = {x: rng.standard_normal((BATCH, 128)), a: rng.standard_normal((BATCH, 256))}
    return g, out, feed


@pytest.mark.parametrize("a_first", [True, False])
def test_a_chain_never_writes_a_buffer_behind_an_input_from_outside(a_first, monkeypatch):
    g, out, feed = _chain_after(a_first)
    expected = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=1))
    with blas_threads.single_threaded():
        expected_value = expected.run(out, feed)
    # Without chains, the memory plan hands the outside value's buffer on to a step of the
    # run a chain would take (the add over it, or the product from the pool) ...
    monkeypatch.setattr(row_chains, "ROW_CHAINS", False)
    plan = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2)).explain(
        out, feed).plan
    names = [st.name for st in plan.steps]
    outside = plan.steps[names.index("outside")].out_buffers[0]
    assert outside in {b for st in plan.steps[names.index("m"):] for b in st.out_buffers}
    # ... so with chains that run is left as it was: its threads would race on that memory.
    monkeypatch.setattr(row_chains, "ROW_CHAINS", True)
    sess = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    assert not _chain_steps(sess.explain(out, feed).plan)
    assert sess.run(out, feed) == sess.run(out, feed) == expected_value


def test_a_chain_forms_over_an_outside_value_with_no_buffer_behind_it():
    g, out, feed = _chain_after(True, fed=True)
    sess = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    (chain,) = _chain_steps(sess.explain(out, feed).plan)
    assert [st.name for st in chain.record.steps][:3] == ["m", "s", "u"]
    with blas_threads.single_threaded():
        expected = gf.Session(graph=g).run(out, feed)
    assert sess.run(out, feed) == sess.run(out, feed) == expected


def test_chains_of_two_sessions_in_two_threads_keep_their_bits():
    b = _batches(3, batch=600, seed=9)
    with blas_threads.single_threaded():
        expected = _train_twice(gf.SessionConfig(inter_op_threads=1), b)[1]
    models = [_window_model(gf.SessionConfig(inter_op_threads=2)) for _ in range(2)]
    results: dict[int, list[float]] = {}

    def train(k):
        sess, ids, labels, loss, train_op = models[k]
        results[k] = [sess.run([train_op, loss], {ids: i, labels: y})[1] for i, y in b]
    threads = [threading.Thread(target=train, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[1] == expected


def test_matmul_rows_match_is_the_halves_check():
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, [512, 128])
        product = gf.matmul(a, gf.constant(np.ones((256, 128), np.float32)), transpose_b=True)
    sess = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    plan = sess.explain(product, {a: np.ones((512, 128), np.float32)}).plan
    step = next(st for st in plan.steps if st.op_type == "MatMul")
    ctx = _context(plan, step)
    assert step.record.row_inputs(ctx) == (True, False)
    assert step.record.rows_match(ctx, 192) == linalg_ops._halves_match(
        (512, 128), (256, 128), False, True, 192, np.float32)
    assert not step.record.rows_match(ctx, 0) and not step.record.rows_match(ctx, 512)


def _many_classes(classes):
    rng = np.random.default_rng(4)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [BATCH, 128], name="x")
        labels = gf.placeholder(gf.int32, [BATCH], name="labels")
        w1 = gf.constant(rng.standard_normal((128, 256)) * 0.1, name="w1")
        w2 = gf.constant(rng.standard_normal((256, classes)) * 0.1, name="w2")
        logits = gf.matmul(gf.tanh(gf.matmul(x, w1)), w2)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        (dx,) = gf.gradients(loss, [x])
    feed = {x: rng.standard_normal((BATCH, 128)),
            labels: rng.integers(0, classes, BATCH).astype(np.int32)}
    return g, [loss, dx], feed


@pytest.mark.parametrize("classes", [5, 12])  # column-wise ufuncs; numpy's row sums
def test_a_chain_through_the_cross_entropy_keeps_the_bits_of_row_sums(classes):
    g, fetches, feed = _many_classes(classes)
    sess = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    plan = sess.explain(fetches, feed).plan
    chained = [st.name for chain in _chain_steps(plan) for st in chain.record.steps]
    assert "SparseSoftmaxCrossEntropyWithLogits" in chained
    with blas_threads.single_threaded():
        expected = gf.Session(graph=g).run(fetches, feed)
    loss, dx = sess.run(fetches, feed)
    assert loss == expected[0]
    np.testing.assert_array_equal(dx, expected[1])


def _chained_cross_entropy(classes):
    """The cross-entropy step inside the chain of ``_many_classes(classes)``, and its
    kernel context."""
    g, fetches, feed = _many_classes(classes)
    plan = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2)).explain(
        fetches, feed).plan
    step = next(st for chain in _chain_steps(plan) for st in chain.record.steps
                if st.op_type == "SparseSoftmaxCrossEntropyWithLogits")
    return step, _context(plan, step)


def test_the_cross_entropys_rows_match_checks_numpys_row_sums(monkeypatch):
    step, ctx = _chained_cross_entropy(12)
    assert step.record.rows_match(ctx, 192) == cross_entropy_ops._row_sums_match(
        (BATCH, 12), 192, np.float64)
    monkeypatch.setattr(cross_entropy_ops, "_row_sums_match", lambda *args: False)
    assert not step.record.rows_match(ctx, 192)
    step, ctx = _chained_cross_entropy(5)
    assert step.record.rows_match(ctx, 192)  # column-wise: no check needed
    assert not step.record.rows_match(ctx, 0)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(program=hs.lists(hs.tuples(hs.integers(0, 6), hs.integers(0, 9), hs.integers(0, 9)),
                        min_size=2, max_size=9),
       seed=hs.integers(0, 2**16))
def test_random_row_wise_programs_keep_their_bits_in_chains(program, seed):
    """Element-wise steps (with broadcasting), square products and their gradients over
    512 rows, in random orders and fan-outs: the plan with chains gives the bits of the
    serial plan on one BLAS thread, values and gradients."""
    rng = np.random.default_rng(seed)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [BATCH, 128], name="x")
        values = [x]
        for kind, a, b in program:
            u, v = values[a % len(values)], values[b % len(values)]
            if kind == 0:
                values.append(gf.matmul(u, gf.constant(rng.standard_normal((128, 128)) * 0.1)))
            elif kind == 1:
                values.append(gf.tanh(u))
            elif kind == 2:
                values.append(u + gf.constant(rng.standard_normal(128)))
            elif kind == 3:
                values.append(u * v)
            elif kind == 4:
                values.append(gf.sigmoid(u) - v)
            elif kind == 5:
                values.append(u * 0.5)
            else:
                values.append(gf.matmul(u, gf.constant(rng.standard_normal((128, 128)) * 0.1),
                                        transpose_b=True))
        loss = gf.reduce_sum(values[-1] * values[-1])
        (dx,) = gf.gradients(loss, [x])
    feed = {x: rng.uniform(-1.0, 1.0, (BATCH, 128))}
    sess = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    assume(_chain_steps(sess.explain([loss, dx], feed).plan))
    with blas_threads.single_threaded():
        expected = gf.Session(graph=g).run([loss, dx], feed)
    got = sess.run([loss, dx], feed)
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])


def test_a_relu_network_with_bias_adds_trains_in_chains_with_the_serial_bits():
    rng = np.random.default_rng(8)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 128], name="x")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        w1 = gf.Variable((rng.standard_normal((128, 256)) * 0.1).astype(np.float32))
        b1 = gf.Variable(np.zeros(256, np.float32))
        w2 = gf.Variable((rng.standard_normal((256, 256)) * 0.1).astype(np.float32))
        w3 = gf.Variable((rng.standard_normal((256, CLASSES)) * 0.1).astype(np.float32))
        h1 = gf.nn.relu(gf.nn.bias_add(gf.matmul(x, w1), b1), name="relu1")
        h2 = gf.nn.relu(gf.matmul(h1, w2), name="relu2")
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=gf.matmul(h2, w3)))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = gf.global_variables_initializer()
    feeds = [{x: rng.standard_normal((BATCH, 128)).astype(np.float32),
              labels: rng.integers(0, CLASSES, BATCH).astype(np.int32)} for _ in range(3)]
    chained = gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=2))
    chained.run(init)
    names = [st.name for chain in _chain_steps(chained.explain([train, loss], feeds[0]).plan)
             for st in chain.record.steps]
    # (relu1's gradient runs beside dW2 on the worker: inside that window, not chained)
    assert {"relu1", "relu2", "BiasAdd", "gradients/relu2_grad/ReluGrad"} <= set(names)
    serial = gf.Session(graph=g)
    serial.run(init)
    with blas_threads.single_threaded():
        expected = [serial.run([train, loss], f)[1] for f in feeds]
    assert [chained.run([train, loss], f)[1] for f in feeds] == expected


def test_relu_and_its_gradient_write_planned_buffers_with_the_bits_of_their_fn():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 32)).astype(np.float32)
    x[0, :4] = [np.nan, -0.0, 0.0, np.inf]
    out = np.empty_like(x)
    relu, grad = activation_ops.Relu(), activation_ops.ReluGrad()
    assert relu.fn_into(x, out) is out
    np.testing.assert_array_equal(out, relu.fn(x))
    g = rng.standard_normal((64, 32)).astype(np.float32)
    ctx = KernelContext(grad, None, [TensorSpec(gf.float32, (64, 32))] * 2,
                        [TensorSpec(gf.float32, (64, 32))])
    ctx.out = [out]
    assert grad.kernel(ctx)(g, x) is out
    np.testing.assert_array_equal(out, grad.fn(g, x))


def test_an_interrupt_while_waiting_for_the_worker_waits_for_its_rows(monkeypatch):
    real_submit = executor.submit
    finished = []

    class Interrupted(concurrent.futures.Future):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            inner.add_done_callback(lambda f: self.set_result(None))

        def result(self, timeout=None):
            raise KeyboardInterrupt  # as a Ctrl-C while the calling thread waits

    def slow_submit(fn, *args, **kwargs):
        def slow(*a, **k):
            time.sleep(0.05)  # the worker's rows still being written when the wait ends
            out = fn(*a, **k)
            finished.append(True)
            return out
        return Interrupted(real_submit(slow, *args, **kwargs))
    monkeypatch.setattr(executor, "submit", slow_submit)
    sess, ids, labels, loss, train = _window_model(gf.SessionConfig(inter_op_threads=2))
    b = _batches(1)[0]
    assert _chain_steps(sess.explain([train, loss], {ids: b[0], labels: b[1]}).plan)
    with pytest.raises(KeyboardInterrupt):
        sess.run([train, loss], {ids: b[0], labels: b[1]})
    assert finished == [True]  # the run returned only after the worker's rows were done
