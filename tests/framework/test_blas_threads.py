"""numpy's BLAS threads around the runs of a Session with an inter-op worker
(``framework/blas_threads.py``): one thread inside, the process's own setting back after the
last such run (nested, concurrent, failing runs), and a serial Session never touching it."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
import threadpoolctl

import graphflow as gf
from graphflow.framework import blas_threads
from graphflow.runtime import own_blas


class _FakeBlas:
    """A BLAS library's controller that records the thread counts set on it."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.sets: list[int] = []

    def get_num_threads(self) -> int:
        return self.threads

    def set_num_threads(self, threads: int) -> None:
        self.threads = threads
        self.sets.append(threads)


@pytest.fixture
def fake_blas(monkeypatch: pytest.MonkeyPatch) -> list[_FakeBlas]:
    libraries = [_FakeBlas(4), _FakeBlas(1)]
    monkeypatch.setattr(blas_threads, "_controllers", libraries)
    return libraries


def test_one_thread_inside_and_each_librarys_own_count_back_after(fake_blas) -> None:
    four, one = fake_blas
    with blas_threads.single_threaded():
        assert blas_threads.current() == (1, 1)
        with blas_threads.single_threaded():  # nested: still one, nothing set again
            assert four.sets == [1]
        assert blas_threads.current() == (1, 1)
    assert blas_threads.current() == (4, 1)
    assert four.sets == [1, 4] and one.sets == []  # a library already on one is left alone


def test_the_count_comes_back_when_the_body_raises(fake_blas) -> None:
    with pytest.raises(ZeroDivisionError), blas_threads.single_threaded():
        assert blas_threads.current() == (1, 1)
        _ = 1 / 0
    assert blas_threads.current() == (4, 1)


def test_concurrent_runs_give_the_count_back_only_when_the_last_one_ends(fake_blas) -> None:
    four, _ = fake_blas
    inside, release = threading.Barrier(2), threading.Event()
    seen: list[tuple[int, ...]] = []

    def run() -> None:
        with blas_threads.single_threaded():
            inside.wait()
            release.wait()
        seen.append(blas_threads.current())

    other = threading.Thread(target=run)
    other.start()
    with blas_threads.single_threaded():
        inside.wait()  # both inside now
        release.set()
        other.join()
        assert seen == [(1, 1)]  # the other ended first: still one thread for this run
        assert blas_threads.current() == (1, 1)
    assert blas_threads.current() == (4, 1) and four.sets == [1, 4]


def test_the_real_blas_gets_one_thread_inside_and_its_setting_back() -> None:
    if not blas_threads.controllable():
        pytest.skip("threadpoolctl finds no BLAS library in this numpy")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads.current()
        with blas_threads.single_threaded():
            assert set(blas_threads.current()) == {1}
        assert blas_threads.current() == before


def _product_session(config: gf.SessionConfig, observed: list[Any]) -> tuple[Any, Any, Any]:
    """A session computing a large product (worth the worker) and, in a py_func, the
    BLAS thread counts seen while its plan runs."""
    graph = gf.Graph()
    with graph.as_default():
        a = gf.placeholder(gf.float32, [None, 256])
        w = gf.constant(np.random.default_rng(0).standard_normal((256, 256)), gf.float32)
        product = gf.matmul(gf.matmul(a, w), w)

        def record(x: np.ndarray) -> np.ndarray:
            observed.append(blas_threads.current())
            return x

        seen = gf.py_func(record, [product], gf.float32)
    return gf.Session(graph=graph, config=config), a, seen


def test_a_session_with_a_worker_runs_on_one_blas_thread_and_a_serial_one_leaves_it(
        fake_blas) -> None:
    four, _ = fake_blas
    observed: list[Any] = []
    batch = np.ones((1024, 256), np.float32)
    sess, a, seen = _product_session(gf.SessionConfig(inter_op_threads=2), observed)
    with sess:
        sess.run(seen, {a: batch})
    assert observed == [(1, 1)] and blas_threads.current() == (4, 1)
    four.sets.clear()
    sess, a, seen = _product_session(gf.SessionConfig(inter_op_threads=1), observed)
    with sess:
        sess.run(seen, {a: batch})
    assert observed[1:] == [(4, 1)] and four.sets == []  # never touched
    off = gf.SessionConfig(inter_op_threads=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blas_threads, "LIMIT_WITH_WORKER", False)
        sess, a, seen = _product_session(off, observed)
    with sess:
        sess.run(seen, {a: batch})
    assert observed[2:] == [(4, 1)] and four.sets == []  # the switch off: left as it is


def test_a_failing_run_of_a_session_with_a_worker_gives_the_setting_back(
        fake_blas, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a plan without BLAS steps skips the hold, runtime/own_blas.py: not this one)
    monkeypatch.setattr(own_blas, "RUN_SMALL_PLANS_ON_BLAS_THREADS", False)
    four, _ = fake_blas
    graph = gf.Graph()
    with graph.as_default():
        table = gf.constant(np.zeros((4, 2), np.float32))
        ids = gf.placeholder(gf.int32, [None])
        rows = gf.gather(table, ids, name="rows")
    with gf.Session(graph=graph, config=gf.SessionConfig(inter_op_threads=2)) as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="rows"):
            sess.run(rows, {ids: [0, 9]})
    assert blas_threads.current() == (4, 1) and four.sets == [1, 4]


@pytest.mark.parametrize(("cpus", "controllable", "threads"),
                         [(2, True, 2), (8, True, 2), (1, True, 1), (2, False, 1)])
def test_the_default_thread_count_is_chosen_for_the_machine(
        monkeypatch: pytest.MonkeyPatch, cpus: int, controllable: bool, threads: int) -> None:
    monkeypatch.setattr(blas_threads, "usable_cpus", lambda: cpus)
    monkeypatch.setattr(blas_threads, "controllable", lambda: controllable)
    assert gf.SessionConfig().threads() == threads
    assert gf.SessionConfig(inter_op_threads=1).threads() == 1
    assert gf.SessionConfig(inter_op_threads=3).threads() == 3
    with gf.Session(graph=gf.Graph()) as sess:
        assert sess.inter_op_threads == threads and sess.limits_blas == (threads == 2)


def test_a_default_session_computes_the_bits_of_its_blas_setting() -> None:
    """Whatever kind of plan a default session runs (specialized with the worker, or
    shape-generic), the product has the bits numpy computes on the BLAS setting the session
    runs with."""
    rng = np.random.default_rng(1)
    av = rng.standard_normal((1024, 300))
    wv = rng.standard_normal((300, 250))
    graph = gf.Graph()
    with graph.as_default():
        a = gf.placeholder(gf.float64, [None, 300])
        product = gf.matmul(a, gf.constant(wv)) * 1.0
    results = []
    for config in (gf.SessionConfig(), gf.SessionConfig(specialize=False)):
        with gf.Session(graph=graph, config=config) as sess:
            limits = sess.limits_blas
            results.append(sess.run(product, {a: av}).tobytes())
    if limits:
        with blas_threads.single_threaded():
            expected = (av @ wv).tobytes()
    else:
        expected = (av @ wv).tobytes()
    assert results == [expected, expected]
