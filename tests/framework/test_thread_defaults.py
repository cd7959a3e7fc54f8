"""The default graph and the default session are properties of the current thread (TF1):
``with g.as_default():`` / ``with sess.as_default():`` in one thread never changes what
another thread builds into or runs with."""

from __future__ import annotations

import threading

import numpy as np

import graphflow as gf


def _in_threads(target, count=2):
    """Run ``target(k, barrier)`` in ``count`` threads at once; re-raise their errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(k):
        try:
            target(k, barrier)
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(err)
    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_two_threads_build_two_graphs_at_once():
    graphs = [gf.Graph(), gf.Graph()]
    built: dict[int, gf.Tensor] = {}

    def build(k, barrier):
        with graphs[k].as_default():
            barrier.wait()  # both threads are inside their own `as_default` now
            a = gf.constant(float(k + 1), name="a")
            barrier.wait()
            built[k] = gf.multiply(a, 10.0, name="b")
            assert gf.get_default_graph() is graphs[k]
    _in_threads(build)
    for k, g in enumerate(graphs):
        assert built[k].graph is g
        assert [op.name for op in g.get_operations()] == ["a", "Const", "b"]
        assert gf.Session(graph=g).run(built[k]) == 10.0 * (k + 1)


def test_a_new_thread_sees_the_global_default_graph_not_another_threads():
    g = gf.Graph()
    seen = []
    with g.as_default():
        t = threading.Thread(target=lambda: seen.append(gf.get_default_graph()))
        t.start()
        t.join()
        assert gf.get_default_graph() is g
    assert seen == [gf.get_default_graph()] and seen[0] is not g


def test_default_sessions_are_per_thread():
    graphs = [gf.Graph(), gf.Graph()]
    values = []
    for k, g in enumerate(graphs):
        with g.as_default():
            values.append(gf.constant(np.float64(k + 1)))
    sessions = [gf.Session(graph=g) for g in graphs]
    got: dict[int, float] = {}

    def evaluate(k, barrier):
        with sessions[k].as_default():
            barrier.wait()
            got[k] = values[k].eval()
            assert gf.get_default_session() is sessions[k]
    _in_threads(evaluate)
    assert got == {0: 1.0, 1: 2.0}
    assert gf.get_default_session() is None
