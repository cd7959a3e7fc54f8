"""Compile-speed reuse across feed shapes never changes a plan or its results:
specialize's memo of feed-independent steps (``specialize.MEMO_FEED_INDEPENDENT``) and the
runtime's reuse of compiled generated source (``executor.REUSE_COMPILED_SOURCE``) are
compared with both switched off."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import specialize as specialize_mod
from graphflow.compiler.pipeline import CompileOptions, compile_plan
from graphflow.compiler.plan import build_plan
from graphflow.framework.errors import InvalidArgumentError
from graphflow.runtime import executor


def _training_graph():
    """An embedding + tanh + softmax-cross-entropy SGD step (gradients with shape machinery,
    an IndexedSlices row update, constants that do not depend on the feeds)."""
    rng = np.random.default_rng(0)
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int32, [None, 2], name="ids")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        emb = gf.Variable(rng.standard_normal((7, 3)).astype(np.float32), name="E")
        w = gf.Variable(rng.standard_normal((6, 4)).astype(np.float32), name="W")
        x = gf.reshape(gf.nn.embedding_lookup(emb, ids), [-1, 6])
        logits = gf.tanh(gf.matmul(x, w))
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = gf.global_variables_initializer()
    return g, ids, labels, loss, train, init


def _summary(compiled):
    plan = compiled.plan
    return ([(st.name, st.inputs, st.outputs, st.release, st.out_buffers) for st in plan.steps],
            {s: (v.dtype, v.shape, v.tobytes()) for s, v in plan.constants.items()},
            [(sp.dtype, sp.shape.as_list() if sp.shape.rank is not None else None)
             for sp in plan.slot_specs],
            plan.fetches, plan.fetch_aliases, plan.buffers, compiled.source)


@pytest.mark.parametrize("fold", [True, False])
def test_memo_of_feed_independent_steps_gives_the_same_plans(monkeypatch, fold):
    g, ids, labels, loss, train, _ = _training_graph()
    base = build_plan(g, [train, loss], [ids, labels])
    options = CompileOptions(check_numerics=not fold)
    sizes = [4, 9, 4, 1, 13]
    with_memo = [_summary(compile_plan(g, [train, loss], [ids, labels], [(b, 2), (b,)],
                                       options, base=base)) for b in sizes]
    monkeypatch.setattr(specialize_mod, "MEMO_FEED_INDEPENDENT", False)
    without = [_summary(compile_plan(g, [train, loss], [ids, labels], [(b, 2), (b,)],
                                     options, base=base)) for b in sizes]
    for a, b in zip(with_memo, without):
        assert a[:-1] == b[:-1]  # sources differ only in nothing: same text
        assert a[-1] == b[-1]


def test_memo_is_filled_only_by_successful_specializations_and_errors_still_raise():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        c = gf.constant(np.ones((3, 3), np.float32), name="c")
        y = gf.matmul(x, c + 1.0, name="mm")
    base = build_plan(g, [y], [x])
    with pytest.raises(InvalidArgumentError, match="mm"):
        compile_plan(g, [y], [x], [(2, 4)], base=base)  # inner dims 4 vs 3
    good = compile_plan(g, [y], [x], [(2, 3)], base=base)
    again = compile_plan(g, [y], [x], [(5, 3)], base=base)
    with pytest.raises(InvalidArgumentError, match="mm"):
        compile_plan(g, [y], [x], [(2, 4)], base=base)  # the memo does not hide the check
    assert [st.name for st in good.plan.steps] == [st.name for st in again.plan.steps]
    (mm,) = [st for st in good.plan.steps if st.name == "mm"]
    assert np.array_equal(good.plan.constants[mm.inputs[1]], np.full((3, 3), 2.0, np.float32))
    assert np.array_equal(good.plan.constants[mm.inputs[1]], again.plan.constants[mm.inputs[1]])


def _train_losses(sizes, seed=1):
    g, ids, labels, loss, train, init = _training_graph()
    rng = np.random.default_rng(seed)
    out = []
    with gf.Session(graph=g) as sess:
        sess.run(init)
        for b in sizes:
            feed = {ids: rng.integers(0, 7, (b, 2)).astype(np.int32),
                    labels: rng.integers(0, 4, b).astype(np.int32)}
            out.append(sess.run([train, loss], feed)[1])
        emb = sess.run(g.get_tensor_by_name("E:0"))
    return out, emb


def test_training_over_varying_batch_sizes_is_identical_with_reuse_off(monkeypatch):
    sizes = [3, 5, 3, 8, 1, 5, 2, 8]
    losses, emb = _train_losses(sizes)
    monkeypatch.setattr(specialize_mod, "MEMO_FEED_INDEPENDENT", False)
    monkeypatch.setattr(executor, "REUSE_COMPILED_SOURCE", False)
    ref_losses, ref_emb = _train_losses(sizes)
    assert [float(v) for v in losses] == [float(v) for v in ref_losses]
    assert np.array_equal(emb, ref_emb)


def test_reused_bytecode_reports_the_failing_node_under_its_own_plan_file():
    g = gf.Graph()
    with g.as_default():
        params = gf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
        ids = gf.placeholder(gf.int32, [None], name="ids")
        out = gf.gather(params, ids, name="lookup") * 2.0
    with gf.Session(graph=g) as sess:
        assert np.array_equal(sess.run(out, {ids: np.array([1, 2], np.int32)}),
                              np.arange(12, dtype=np.float32).reshape(4, 3)[[1, 2]] * 2)
        assert np.array_equal(sess.run(out, {ids: np.array([3, 0, 3], np.int32)}),
                              np.arange(12, dtype=np.float32).reshape(4, 3)[[3, 0, 3]] * 2)
        with pytest.raises(InvalidArgumentError, match="lookup"):
            sess.run(out, {ids: np.array([1, 9, 0], np.int32)})
        first = sess.explain(out, {ids: np.array([1, 2], np.int32)})
        second = sess.explain(out, {ids: np.array([3, 0, 3], np.int32)})
        assert first.code.filename != second.code.filename


def test_merged_reshape_chains_drop_a_step_and_change_no_result(monkeypatch):
    """MERGE_RESHAPES: the embedding gradient's Reshape of a Reshape reads the first one's
    input; the plan has one Reshape step fewer and training gives the same bits."""
    results = {}
    for merge in (True, False):
        monkeypatch.setattr(specialize_mod, "MERGE_RESHAPES", merge)
        g, ids, labels, loss, train, init = _training_graph()
        feed = {ids: np.array([[0, 6], [3, 3], [6, 1]], np.int32),
                labels: np.array([1, 0, 3], np.int32)}
        with gf.Session(graph=g) as s:
            s.run(init)
            steps = s.explain([train, loss], feed).steps
            losses = [s.run([train, loss], feed)[1] for _ in range(3)]
            weights = [s.variable_value(n) for n in ("E", "W")]
        results[merge] = (sum(st.op_type == "Reshape" for st in steps), losses, weights)
    (merged, losses_on, weights_on), (kept, losses_off, weights_off) = results[True], \
        results[False]
    assert merged == kept - 1
    assert [a.tobytes() for a in losses_on] == [b.tobytes() for b in losses_off]
    assert all(a.tobytes() == b.tobytes() for a, b in zip(weights_on, weights_off))


def test_reshape_chain_with_the_middle_fetched_keeps_both():
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None, 6])
        a = gf.reshape(x * 2.0, [-1, 2, 3])
        b = gf.reshape(a, [-1, 3])
        with gf.Session(graph=g) as s:
            xv = np.arange(12, dtype=np.float32).reshape(2, 6)
            got_a, got_b = s.run([a, b], {x: xv})
            steps = s.explain([a, b], {x: xv}).steps
    np.testing.assert_array_equal(got_a, (2 * xv).reshape(2, 2, 3))
    np.testing.assert_array_equal(got_b, (2 * xv).reshape(4, 3))
    assert sum(st.op_type == "Reshape" for st in steps) == 2
