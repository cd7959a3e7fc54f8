"""The plain interpreter (``SessionConfig(interpret=True)``) is the reference the generated
code must match: a table of graphs — forward values, gradients, optimizer updates over
several steps, multi-output ops, fetches of feeds/constants/operations, and errors — runs
through both, with every plan optimization on and off, and the results must be identical
(bit for bit; errors of the same type with the same message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import set_ops

Case = Callable[[gf.SessionConfig, bool], Any]


def _values(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * 0.5).astype(np.float32)


def mlp_forward_and_gradients(config: gf.SessionConfig, check: bool) -> Any:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        y = gf.placeholder(gf.int32, [None], name="y")
        w = gf.Variable(_values((4, 6), 1), name="W")
        b = gf.Variable(np.zeros(6, np.float32), name="b")
        u = gf.Variable(_values((6, 3), 2), name="U")
        h = gf.tanh(gf.matmul(x, w) + b)
        logits = gf.matmul(h, u)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits))
        grads = gf.gradients(loss, [w, b, u, x])
        probs = gf.nn.softmax(logits)
        with gf.Session(config=config, check_numerics=check) as sess:
            sess.run(gf.global_variables_initializer())
            out = []
            for batch in (5, 5, 2):  # a repeated shape reuses the plan, a new one recompiles
                feed = {x: _values((batch, 4), batch), y: np.arange(batch) % 3}
                out.append(sess.run([loss, probs, grads], feed))
            return out


def training_with_optimizers(config: gf.SessionConfig, check: bool) -> Any:
    """Sparse (embedding rows) and dense updates: SGD, Momentum, Adam, several steps."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 12, (4, 6, 3)).astype(np.int32)
    labels = rng.integers(0, 3, (4, 6)).astype(np.int32)
    results = []
    for make in (lambda: gf.train.GradientDescentOptimizer(0.5),
                 lambda: gf.train.MomentumOptimizer(0.1, 0.9),
                 lambda: gf.train.AdamOptimizer(0.05)):
        with gf.Graph().as_default():
            x = gf.placeholder(gf.int32, [None, 3], name="ids")
            y = gf.placeholder(gf.int32, [None], name="labels")
            emb = gf.Variable(_values((12, 5), 3), name="E")
            w = gf.Variable(_values((15, 3), 4), name="W")
            feats = gf.reshape(gf.nn.embedding_lookup(emb, x), [-1, 15])
            loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=gf.matmul(feats, w)))
            train = make().minimize(loss)
            with gf.Session(config=config, check_numerics=check) as sess:
                sess.run(gf.global_variables_initializer())
                losses = [sess.run([train, loss], {x: ids[i % 4], y: labels[i % 4]})[1]
                          for i in range(6)]
                results.append((losses, sess.run([emb, w])))
    return results


def multi_output_and_special_fetches(config: gf.SessionConfig, check: bool) -> Any:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        idx = gf.placeholder(gf.int32, [None], name="idx")
        uniq, pos = set_ops.unique(idx)
        c = gf.constant([1.0, 2.0, 3.0], name="c")
        total = gf.reduce_sum(gf.gather(c, pos)) + gf.reduce_sum(x)
        top = gf.argmax(gf.reshape(x, [2, -1]), axis=1)
        noop = gf.no_op()
        with gf.Session(config=config, check_numerics=check) as sess:
            feed = {x: np.array([3.0, 1.0, 4.0, 1.0], np.float32),
                    idx: np.array([5, 7, 5, 9], np.int32)}
            return sess.run([uniq, pos, total, top, x, c, noop], feed)


def runtime_error(config: gf.SessionConfig, check: bool) -> Any:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        y = gf.reshape(gf.tanh(x), [2, 3], name="to_matrix")
        with gf.Session(config=config, check_numerics=check) as sess:
            return sess.run(y, {x: np.ones(5, np.float32)})


def numerics_error(config: gf.SessionConfig, check: bool) -> Any:
    with gf.Graph().as_default():
        p = gf.placeholder(gf.float32, [None], name="p")
        loss = gf.reduce_sum(gf.log(p) * 2.0, name="loss")
        (grad,) = gf.gradients(loss, [p])
        with gf.Session(config=config, check_numerics=True) as sess:
            return sess.run([loss, grad], {p: np.array([0.5, 0.0], np.float32)})


def unfed_placeholder(config: gf.SessionConfig, check: bool) -> Any:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        with gf.Session(config=config, check_numerics=check) as sess:
            return sess.run(x * 2.0)


CASES = [mlp_forward_and_gradients, training_with_optimizers,
         multi_output_and_special_fetches, runtime_error, numerics_error, unfed_placeholder]
CONFIGS = {
    "all passes": {},
    "no memory plan": {"plan_memory": False},
    "no specialization": {"specialize": False, "plan_memory": False},
}


def _outcome(case: Case, config: gf.SessionConfig, check: bool) -> tuple[str, Any]:
    try:
        return "value", case(config, check)
    except Exception as err:  # noqa: BLE001 - compared below, type and message
        return "error", (type(err), str(err), getattr(err, "node_name", None))


def _assert_identical(got: Any, want: Any, where: str = "result") -> None:
    if isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_identical(g, w, f"{where}[{i}]")
    elif want is None or isinstance(want, (str, type)):
        assert got == want, where
    else:
        assert type(got) is type(want), where
        np.testing.assert_array_equal(got, want, err_msg=where)
        assert np.asarray(got).dtype == np.asarray(want).dtype, where


@pytest.mark.parametrize("check", [False, True], ids=["plain", "check_numerics"])
@pytest.mark.parametrize("options", list(CONFIGS.values()), ids=list(CONFIGS))
@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_generated_code_matches_the_interpreter(case: Case, options: dict[str, bool],
                                                check: bool) -> None:
    want = _outcome(case, gf.SessionConfig(interpret=True, **options), check)
    got = _outcome(case, gf.SessionConfig(**options), check)
    _assert_identical(got, want)


def test_the_table_covers_values_and_errors() -> None:
    """The reference is not vacuous: the value cases compute what numpy computes, and the
    error cases fail, in the interpreter, with the errors a user would see."""
    reference = gf.SessionConfig(interpret=True)
    uniq, pos, total, top, x, c, noop = multi_output_and_special_fetches(reference, False)
    np.testing.assert_array_equal(uniq, [5, 7, 9])
    np.testing.assert_array_equal(pos, [0, 1, 0, 2])
    assert total == pytest.approx(1 + 2 + 1 + 3 + 9.0)
    np.testing.assert_array_equal(top, [0, 0])
    np.testing.assert_array_equal(x, [3.0, 1.0, 4.0, 1.0])
    assert noop is None
    np.testing.assert_array_equal(c, [1.0, 2.0, 3.0])
    with pytest.raises(gf.InvalidArgumentError, match="Reshape node 'to_matrix'"):
        runtime_error(reference, False)
    with pytest.raises(gf.InvalidArgumentError, match=r"check_numerics: Log node 'Log'"):
        numerics_error(reference, False)
    with pytest.raises(gf.InvalidArgumentError, match="You must feed a value for placeholder"):
        unfed_placeholder(reference, False)
    losses = [run[0] for run in training_with_optimizers(reference, False)]
    for per_step in losses:  # every optimizer lowers the loss on the repeated batches
        assert per_step[4] < per_step[0] and per_step[5] < per_step[1]


def test_interpreted_plans_have_no_source_but_the_same_steps() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [3], name="x")
        y = gf.reduce_sum(gf.tanh(x) * 3.0)
        feed = {x: np.ones(3, np.float32)}
        with gf.Session(config=gf.SessionConfig(interpret=True)) as sess:
            interpreted = sess.explain(y, feed)
        with gf.Session() as sess:
            generated = sess.explain(y, feed)
    assert interpreted.code is None and interpreted.source == ""
    assert "interpreted" in str(interpreted) and "source" not in str(interpreted)
    assert [(s.name, s.inputs, s.outputs) for s in interpreted.steps] == \
        [(s.name, s.inputs, s.outputs) for s in generated.steps]
