"""Plans of a Session with a worker that skip holding numpy's BLAS on one thread
(``runtime/own_blas.py``): which plans may, the probe's verdict (same bits on BLAS's own
threads as on one, and no slower), and that results never depend on it."""

from __future__ import annotations

import gc
import inspect
import io
import re
import sys
import threading
import tokenize
import weakref
from typing import Any

import numpy as np
import pytest
import threadpoolctl

import graphflow as gf
from graphflow.framework import blas_threads, op_registry
from graphflow.ops import linalg_ops
from graphflow.runtime import own_blas

pytestmark = pytest.mark.skipif(not blas_threads.controllable(),
                                reason="threadpoolctl finds no BLAS library in this numpy")

WORKER = gf.SessionConfig(inter_op_threads=2)


@pytest.fixture
def two_blas_threads() -> Any:
    """BLAS on two threads of its own (what a two-core machine starts with)."""
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        yield


@pytest.fixture
def hold_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The timing part of the verdict always passes: only the bits decide."""
    monkeypatch.setattr(own_blas, "HOLD_SECONDS", 1.0)


def _blas_counts() -> tuple[int, ...]:
    """BLAS's thread counts, read without graphflow's lock (a probe runs under it)."""
    return tuple(info["num_threads"] for info in threadpoolctl.threadpool_info()
                 if info["user_api"] == "blas")


def _probe(run: Any) -> Any:
    """A probe (``Op.blas_probe``'s kind) whose runner is ``run``."""
    return lambda: run


def _window_model(seed: int = 0) -> dict[str, Any]:
    """The window classifier's step, small: embeddings, tanh layer, softmax, SGD."""
    rng = np.random.default_rng(seed)
    graph = gf.Graph()
    with graph.as_default():
        ids = gf.placeholder(gf.int32, [None, 3], name="ids")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        table = gf.Variable(rng.uniform(-0.1, 0.1, (500, 40)).astype(np.float32), name="E")
        w = gf.Variable(rng.standard_normal((120, 160)).astype(np.float32) * 0.1, name="W")
        u = gf.Variable(rng.standard_normal((160, 5)).astype(np.float32) * 0.1, name="U")
        x = gf.reshape(gf.nn.embedding_lookup(table, ids), [-1, 120])
        logits = gf.matmul(gf.tanh(gf.matmul(x, w)), u)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = gf.global_variables_initializer()
    return {"graph": graph, "ids": ids, "labels": labels, "loss": loss, "train": train,
            "init": init, "variables": [table, w, u]}


def _batches(n: int, batch: int = 32) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    return [(rng.integers(0, 500, (batch, 3)).astype(np.int32),
             rng.integers(0, 5, batch).astype(np.int32)) for _ in range(n)]


def _train(config: gf.SessionConfig, steps: int = 12) -> tuple[list[bytes], Any]:
    m = _window_model()
    out: list[bytes] = []
    sess = gf.Session(graph=m["graph"], config=config)
    sess.run(m["init"])
    for ids, labels in _batches(steps):
        _, loss = sess.run([m["train"], m["loss"]], {m["ids"]: ids, m["labels"]: labels})
        out.append(np.asarray(loss).tobytes())
    out.extend(np.asarray(v).tobytes() for v in sess.run(m["variables"]))
    return out, sess


def _only_plan(sess: gf.Session) -> Any:
    (signature,) = sess._plans.values()
    (plan,) = signature.by_shape.values()
    return plan


def _train_plan(sess: gf.Session) -> Any:
    """The bound plan of the training step (the signature with feeds)."""
    (signature,) = [s for s in sess._plans.values() if s.feeds]
    (plan,) = signature.by_shape.values()
    return plan


def test_a_small_training_step_gets_a_verdict_and_the_same_bits_either_way(
        two_blas_threads: None, hold_costs_nothing: None) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(own_blas, "RUN_SMALL_PLANS_ON_BLAS_THREADS", False)
        held, _ = _train(WORKER)  # every run holds BLAS on one thread
    skipping, sess = _train(WORKER)
    plan = _train_plan(sess).own_blas
    own = blas_threads.own_threads_now()
    assert plan.eligible and own == (2,) * len(own)
    # The verdict is exactly whether the probed products kept their bits on two threads:
    # where they did, every run after the probe skipped the hold.
    assert plan.verdicts == {own: _products_keep_their_bits(sess)}
    assert plan.skips_hold() == plan.verdicts[own]
    assert skipping == held
    with blas_threads.single_threaded():  # and both are the one-thread bits
        assert _train(gf.SessionConfig(inter_op_threads=1))[0] == held


def _products_keep_their_bits(sess: gf.Session) -> bool:
    """Whether each MatMul of the training plan, as its probe computes it, has the same
    bits on BLAS's two threads as on one (computed here independently of the verdict)."""
    plan = _train_plan(sess)
    runners = [prepare() for prepare in plan.own_blas._probes]
    assert len(runners) == 6  # x @ W, h @ U and the gradients dU, dh, dW, dx
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        one = [run() for run in runners]
    two = [run() for run in runners]
    return all(np.array_equal(a, b) for xs, ys in zip(one, two) for a, b in zip(xs, ys))


def test_a_verdict_needs_the_same_bits_on_both_counts(two_blas_threads: None,
                                                      hold_costs_nothing: None) -> None:
    def counts_in_the_result() -> list[np.ndarray]:  # differs between the two counts
        return [np.array(_blas_counts(), float)]

    def the_same_always() -> list[np.ndarray]:
        return [np.arange(3.0)]

    for runners, verdict in (([counts_in_the_result], False), ([the_same_always], True),
                             ([the_same_always, counts_in_the_result], False)):
        choice = own_blas.OwnBlas([_probe(run) for run in runners], threading.Lock())
        for _ in range(own_blas.PROBE_AFTER_RUNS):
            assert not choice.skips_hold()  # no verdict before the probe
            choice.after_held_run()
        assert choice.verdicts == {(2,) * len(blas_threads.current()): verdict}
        assert choice.skips_hold() == verdict


def test_slower_on_blas_threads_keeps_the_hold(two_blas_threads: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(own_blas, "HOLD_SECONDS", 0.0)
    calls = []

    def slower_on_two() -> list[np.ndarray]:
        calls.append(_blas_counts())
        if calls[-1][0] == 2:
            threading.Event().wait(0.002)
        return [np.zeros(2)]

    choice = own_blas.OwnBlas([_probe(slower_on_two)], threading.Lock())
    for _ in range(own_blas.PROBE_AFTER_RUNS):
        choice.after_held_run()
    assert list(choice.verdicts.values()) == [False] and not choice.skips_hold()
    # two passes of a warm-up and the timed rounds on each count, the own count first
    rounds = 1 + own_blas.TIMED_ROUNDS
    assert [c[0] for c in calls] == ([2] * rounds + [1] * rounds) * 2


def test_a_refusal_for_speed_is_probed_again_later_and_one_for_bits_never(
        two_blas_threads: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(own_blas, "HOLD_SECONDS", 0.0)
    slow = [True]

    def slower_on_two_at_first() -> list[np.ndarray]:  # then slower on one
        if (_blas_counts()[0] == 2) == slow[0]:
            threading.Event().wait(0.002)
        return [np.zeros(2)]

    choice = own_blas.OwnBlas([_probe(slower_on_two_at_first)], threading.Lock())
    for _ in range(own_blas.PROBE_AFTER_RUNS):
        choice.after_held_run()
    assert list(choice.verdicts.values()) == [False]
    slow[0] = False  # the second core is free again: BLAS's two threads are faster
    wait = own_blas.PROBE_AFTER_RUNS * own_blas.RETRY_GROWTH  # the first retry's distance
    for _ in range(wait - 1):
        choice.after_held_run()
    assert not choice.skips_hold()  # not probed again yet
    choice.after_held_run()
    assert list(choice.verdicts.values()) == [True] and choice.skips_hold()

    one_probe = 2 * 2 * (1 + own_blas.TIMED_ROUNDS)  # two passes over both counts
    calls = []

    def counts_in_the_result() -> list[np.ndarray]:
        calls.append(1)
        return [np.array(_blas_counts(), float)]
    final = own_blas.OwnBlas([_probe(counts_in_the_result)], threading.Lock())
    for _ in range(own_blas.PROBE_AFTER_RUNS + 10 * wait):
        final.after_held_run()
    assert list(final.verdicts.values()) == [False] and len(calls) == one_probe

    def slower_once_counted() -> list[np.ndarray]:
        calls.append(1)
        return slower_on_two_at_first()
    monkeypatch.setattr(own_blas, "RETRY_GROWTH", 0)  # off: a refusal for speed is final too
    slow[0], calls[:] = True, []
    off = own_blas.OwnBlas([_probe(slower_once_counted)], threading.Lock())
    for _ in range(own_blas.PROBE_AFTER_RUNS):
        off.after_held_run()
    slow[0] = False
    for _ in range(10 * wait):
        off.after_held_run()
    assert list(off.verdicts.values()) == [False] and len(calls) == one_probe


def test_no_probe_and_no_skip_while_another_run_holds_blas(two_blas_threads: None,
                                                           hold_costs_nothing: None) -> None:
    choice = own_blas.OwnBlas([_probe(lambda: [np.zeros(1)])], threading.Lock())
    with blas_threads.single_threaded():
        assert blas_threads.own_threads_now() is None
        assert blas_threads.on_own_and_one_thread(lambda: 1) is None
        for _ in range(own_blas.PROBE_AFTER_RUNS + 1):
            choice.after_held_run()
        assert choice.verdicts == {}  # nothing probed on a held BLAS
    choice.after_held_run()
    assert choice.skips_hold()
    with blas_threads.single_threaded():  # another thread's run holds BLAS: join its hold
        assert not choice.skips_hold()


def test_a_verdict_is_kept_per_thread_count(hold_costs_nothing: None) -> None:
    choice = own_blas.OwnBlas([_probe(lambda: [np.zeros(1)])], threading.Lock())
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        for _ in range(own_blas.PROBE_AFTER_RUNS):
            choice.after_held_run()
        one = blas_threads.current()
        assert choice.verdicts == {one: True}  # one thread: the same bits, nothing to time
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert not choice.skips_hold()  # a count never probed holds
        choice.after_held_run()
        assert set(choice.verdicts) == {one, blas_threads.current()}


def test_plans_that_keep_the_hold(two_blas_threads: None) -> None:
    rng = np.random.default_rng(0)
    graph = gf.Graph()
    with graph.as_default():
        a = gf.placeholder(gf.float32, [None, 256])
        w = gf.constant(rng.standard_normal((256, 256)), gf.float32)
        on_worker = gf.matmul(gf.matmul(a, w), w)  # large: the parallel schedule takes it
        big = gf.placeholder(gf.float32, [None, 1024])
        wide = gf.constant(rng.standard_normal((1024, 1024)), gf.float32)
        unprobed = gf.matmul(big, wide)  # past PROBE_MAX_FLOPS, too few rows to split
        user_code = gf.py_func(lambda v: v, [gf.matmul(a, w)], gf.float32)
        no_blas = gf.reduce_sum(a * 2.0)
    with gf.Session(graph=graph, config=WORKER) as sess:
        cases = [(on_worker, {a: np.ones((1024, 256), np.float32)}),
                 (unprobed, {big: np.ones((16, 1024), np.float32)}),
                 (user_code, {a: np.ones((4, 256), np.float32)})]
        assert 2 * 16 * 1024 * 1024 > linalg_ops.PROBE_MAX_FLOPS
        for fetch, feeds in cases:
            sess.run(fetch, feeds)
            plan = _plan_of(sess, fetch)
            assert not plan.own_blas.eligible and not plan.own_blas.skips_hold()
        sess.run(no_blas, {a: np.ones((4, 256), np.float32)})  # needs no probe at all
        plan = _plan_of(sess, no_blas)
        assert plan.own_blas.no_blas and plan.own_blas.skips_hold()


def _plan_of(sess: gf.Session, fetch: Any) -> Any:
    """The one bound plan of the signature that fetches ``fetch`` alone."""
    signature = next(s for k, s in sess._plans.items() if k[0] == (id(fetch),))
    (plan,) = signature.by_shape.values()
    return plan


def test_a_while_loop_keeps_the_hold(two_blas_threads: None) -> None:
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [4])
        _, total = gf.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t * 2.0),
                                 [gf.constant(0), x])
    with gf.Session(graph=graph, config=WORKER) as sess:
        np.testing.assert_array_equal(sess.run(total, {x: np.ones(4, np.float32)}), 8.0)
        assert not _only_plan(sess).own_blas.eligible


def test_the_probe_computes_the_kernels_product() -> None:
    graph = gf.Graph()
    with graph.as_default():
        a = gf.placeholder(gf.float64, [8, 30])
        b = gf.placeholder(gf.float64, [20, 30])
        product = gf.matmul(a, b, transpose_b=True)
    with gf.Session(graph=graph, config=gf.SessionConfig(inter_op_threads=1)) as sess:
        sess.run(product, {a: np.zeros((8, 30)), b: np.zeros((20, 30))})
        plan = _only_plan(sess)
    (prepare,) = plan.own_blas._probes
    rng = np.random.default_rng(0)
    av, bv = rng.standard_normal((8, 30)), rng.standard_normal((20, 30))
    got = prepare()()
    assert len(got) == 2  # the operands at two alignments, the same values
    for result in got:
        np.testing.assert_allclose(result, av @ bv.T, rtol=1e-12)


def test_a_small_plan_skipping_the_hold_keeps_its_bits_beside_a_held_one(
        two_blas_threads: None, hold_costs_nothing: None) -> None:
    """One thread runs a small plan again and again (it skips the hold once probed) while
    another trains a large model (its runs hold BLAS on one thread, flipping the process's
    count under the first): every result has the bits of the small plan run alone."""
    rng = np.random.default_rng(5)
    small, large = gf.Graph(), gf.Graph()
    with small.as_default():
        xs = gf.placeholder(gf.float32, [None, 200])
        ws = gf.constant(rng.standard_normal((200, 250)), gf.float32)
        ys = gf.matmul(gf.tanh(gf.matmul(xs, ws)), ws, transpose_b=True)
    with large.as_default():
        xl = gf.placeholder(gf.float32, [None, 256])
        wl = gf.Variable(rng.standard_normal((256, 256)).astype(np.float32) * 0.05)
        loss = gf.reduce_mean(gf.square(gf.matmul(gf.matmul(xl, wl), wl)))
        train = gf.train.GradientDescentOptimizer(1e-3).minimize(loss)
        init = gf.global_variables_initializer()
    feed = rng.standard_normal((32, 200)).astype(np.float32)
    with gf.Session(graph=small, config=WORKER) as alone:
        expected = alone.run(ys, {xs: feed}).tobytes()
        with blas_threads.single_threaded():
            assert alone.run(ys, {xs: feed}).tobytes() == expected
    small_sess = gf.Session(graph=small, config=WORKER)
    large_sess = gf.Session(graph=large, config=WORKER)
    large_sess.run(init)
    batch = rng.standard_normal((1024, 256)).astype(np.float32)
    stop = threading.Event()

    def train_large() -> None:
        while not stop.is_set():
            large_sess.run(train, {xl: batch})

    trainer = threading.Thread(target=train_large)
    trainer.start()
    try:
        got = [small_sess.run(ys, {xs: feed}).tobytes() for _ in range(200)]
    finally:
        stop.set()
        trainer.join()
    assert got == [expected] * 200


class _Runner:
    """A runner holding operands (weakly referenceable: the test sees them go)."""

    def __init__(self, fail: bool = False) -> None:
        self.operands = np.ones(8)
        self.fail = fail

    def __call__(self) -> list[np.ndarray]:
        if self.fail:
            raise FloatingPointError("a probe that fails")
        return [self.operands * 2.0]


def test_the_operands_live_only_while_probing_and_a_failing_probe_keeps_the_hold(
        two_blas_threads: None, hold_costs_nothing: None) -> None:
    made: list[weakref.ref[_Runner]] = []

    def prepare(fail: bool) -> Any:
        def make() -> _Runner:
            runner = _Runner(fail)
            made.append(weakref.ref(runner))
            return runner
        return make

    for fail, verdict in ((False, True), (True, False)):
        choice = own_blas.OwnBlas([prepare(fail)], threading.Lock())
        for _ in range(own_blas.PROBE_AFTER_RUNS):
            choice.after_held_run()  # a failure never reaches the caller
        gc.collect()
        assert made and all(ref() is None for ref in made)
        assert list(choice.verdicts.values()) == [verdict]
        assert choice.skips_hold() == verdict


_BLAS_CALL = re.compile(r"\bnp\.(matmul|dot|inner|vdot|einsum|tensordot|linalg)\b|"
                        r"[\w\])]\s*@\s*[\w(\[]")


def test_a_record_declared_blas_free_lives_where_no_kernel_calls_blas() -> None:
    """A record with ``calls_blas = False`` skips the probe: the modules defining it (and
    the bases it inherits its kernel from) must hold no BLAS call in their code (comments
    and docstrings aside) — a kernel added there with a product must not slip through."""
    checked = set()
    for record in op_registry.registered_ops().values():
        if record.calls_blas:
            continue
        for cls in type(record).__mro__:
            if cls.__module__.startswith("graphflow.ops") or \
                    cls.__module__.startswith("graphflow.train"):
                checked.add(sys.modules[cls.__module__])
    assert len(checked) >= 15
    for module in checked:
        source = inspect.getsource(module)
        calls = [line for line in _code_lines(source) if _BLAS_CALL.search(line)]
        assert not calls, f"{module.__name__} declares BLAS-free records but has {calls}"


def _code_lines(source: str) -> list[str]:
    """The lines of ``source`` outside comments and string literals."""
    kept: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE):
            continue
        kept[tok.start[0]] = kept.get(tok.start[0], "") + " " + tok.string
    return list(kept.values())
