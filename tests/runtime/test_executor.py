"""Tests for graphflow.runtime.executor: the generated straight-line plan function and how a
kernel failure is reported (node, op type, input names, dtypes and shapes)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.framework.tensor import TensorSpec
from tests.helpers import replaced_record


class _Explode(registry.Op):
    """Test op: y = x, but the kernel raises ``exc`` when x has more than 2 elements."""

    op_type = "TestExplode"
    input_names = ("x", "y")

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def infer(self, ctx: registry.InferContext) -> list[TensorSpec]:
        return [TensorSpec(ctx.inputs[0].dtype, ctx.inputs[0].shape)]

    def kernel(self, ctx: registry.KernelContext):
        exc = self.exc

        def explode(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            if x.size > 2:
                raise exc
            return x
        return explode


@pytest.fixture()
def explode_op(request):
    with replaced_record("TestExplode", _Explode(request.param)):
        yield request.param


@pytest.mark.parametrize("explode_op", [ValueError("operands could not be broadcast")],
                         indirect=True)
def test_numpy_failure_becomes_invalid_argument_naming_node_and_inputs(explode_op):
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None], name="x")
        k = gf.constant(np.zeros((2, 4), np.int32), name="k")
        with gf.name_scope("layer"):
            out = g.create_op("TestExplode", [x, k], name="boom").outputs[0]
        result = gf.identity(out, name="after")
        with gf.Session(graph=g) as s:
            np.testing.assert_array_equal(s.run(result, {x: [1.0, 2.0]}), [1.0, 2.0])
            with pytest.raises(gf.InvalidArgumentError) as info:
                s.run(result, {x: [1.0, 2.0, 3.0]})
    err = info.value
    assert err.node_name == "layer/boom" and err.op_type == "TestExplode"
    assert str(err) == ("TestExplode node 'layer/boom': failed while running: ValueError: "
                        "operands could not be broadcast. Inputs: [x:0: float32 (3,), "
                        "k:0: int32 (2, 4)]")
    assert isinstance(err.__cause__, ValueError)


@pytest.mark.parametrize("explode_op", [gf.FailedPreconditionError("custom", "n", "T")],
                         indirect=True)
def test_op_errors_from_kernels_pass_through(explode_op):
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None], name="x")
        out = g.create_op("TestExplode", [x, x], name="boom").outputs[0]
        with gf.Session(graph=g) as s, pytest.raises(gf.FailedPreconditionError) as info:
            s.run(out, {x: [1.0, 2.0, 3.0]})
    assert info.value is explode_op


def test_generated_source_has_one_line_per_step():
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [2], name="x")
        y = gf.tanh(x * 2.0, name="y")
        with gf.Session(graph=g) as s:
            s.run(y, {x: [1.0, 2.0]})
            compiled = s.explain(y, {x: [1.0, 2.0]})
    lines = compiled.source.splitlines()
    assert lines[0] == "def _plan(s0):"
    assert len(lines) == 1 + len(compiled.plan.steps) + 1
    assert [st.op_type for st in compiled.plan.steps] == ["Mul", "Tanh"]  # the Const folded
    assert lines[-1].strip().startswith("return (")
    assert "del s" in compiled.source  # intermediates are released after their last use
    # The line -> step map names the line of each step (1-based, as tracebacks count).
    assert compiled.code.line_steps == {2: 0, 3: 1}
    assert "k1(" in lines[2] and compiled.code.step_at(1) is None


@pytest.mark.parametrize("explode_op", [ValueError("boom")], indirect=True)
@pytest.mark.parametrize("check_numerics", [False, True])
def test_traceback_shows_the_generated_line_of_the_failing_step(explode_op, check_numerics):
    """The generated source is registered with linecache: the traceback of the kernel's
    error (the InvalidArgumentError's cause) shows the plan line that called it."""
    import traceback

    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None], name="x")
        out = g.create_op("TestExplode", [gf.tanh(x), x], name="boom").outputs[0]
        with gf.Session(graph=g, check_numerics=check_numerics) as s:
            with pytest.raises(gf.InvalidArgumentError) as info:
                s.run(out, {x: [1.0, 2.0, 3.0]})
            compiled = s.explain(out, {x: [1.0, 2.0, 3.0]})
    assert info.value.node_name == "boom"
    text = "".join(traceback.format_exception(info.value.__cause__))
    index = [st.name for st in compiled.plan.steps].index("boom")
    line = next(n for n, i in compiled.code.line_steps.items() if i == index)
    generated = compiled.code.lines()[line - 1].strip()
    assert generated.startswith("s2 = k1(") and f'File "{compiled.code.filename}", line ' \
        f"{line}, in _plan\n    {generated}\n" in text


def test_check_numerics_reached_only_by_a_control_dependency_still_runs():
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [2], name="x")
        check = gf.check_numerics(x, "bad input")
        with gf.control_dependencies([check]):
            y = gf.identity(x * 2.0, name="y")
        with gf.Session(graph=g) as s:
            assert list(s.run(y, {x: [1.0, 2.0]})) == [2.0, 4.0]
            with pytest.raises(gf.InvalidArgumentError, match="bad input"):
                s.run(y, {x: [1.0, float("nan")]})


def test_specialization_folds_shape_machinery_and_drops_dead_steps():
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        loss = gf.reduce_mean(gf.tanh(x))
        (dx,) = gf.gradients(loss, [x])
        with gf.Session(graph=g) as s:
            got = s.run(dx, {x: np.ones((4, 3), np.float32)})
            compiled = s.explain(dx, {x: np.ones((4, 3), np.float32)})
    np.testing.assert_allclose(got, (1 - np.tanh(1.0) ** 2) / 12, rtol=1e-6)
    kinds = [st.op_type for st in compiled.plan.steps]
    # Size/Shape/Cast/RealDiv of the Mean gradient are folded with the fed shape (4, 3).
    assert not {"Shape", "Size", "Cast", "BroadcastGradientArgs"} & set(kinds)


@pytest.mark.parametrize("config", [gf.SessionConfig(plan_memory=False),
                                    gf.SessionConfig(specialize=False)])
def test_plan_optimizations_do_not_change_results(config):
    """Training with specialization and memory planning gives exactly what the plain plan
    gives (buffer reuse across steps and runs must never leak values between tensors)."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, (3, 8, 4)).astype(np.int32)
    labels = rng.integers(0, 3, (3, 8)).astype(np.int32)

    def train(session_config):
        with gf.Graph().as_default():
            x = gf.placeholder(gf.int32, [None, 4], name="ids")
            y = gf.placeholder(gf.int32, [None], name="labels")
            E = gf.Variable(rng_values((20, 5), 1), name="E")
            W = gf.Variable(rng_values((20, 6), 2), name="W")
            U = gf.Variable(rng_values((6, 3), 3), name="U")
            h = gf.tanh(gf.matmul(gf.reshape(gf.nn.embedding_lookup(E, x), [-1, 20]), W) + 0.1)
            loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=gf.matmul(h, U)))
            train_op = gf.train.GradientDescentOptimizer(0.5).minimize(loss)
            with gf.Session(config=session_config) as sess:
                sess.run(gf.global_variables_initializer())
                losses = [sess.run([train_op, loss], {x: ids[i % 3], y: labels[i % 3]})[1]
                          for i in range(9)]
                return losses, sess.run(E), sess.run(W)

    got, want = train(config), train(gf.SessionConfig(inter_op_threads=1))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-5)


def rng_values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 0.3


def test_concurrent_runs_of_one_plan_give_each_caller_its_own_result():
    import threading

    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [64, 32], name="x")
        y = gf.reduce_sum(gf.tanh(gf.matmul(x, gf.constant(np.eye(32, dtype=np.float32)))), 1)
        sess = gf.Session()
        inputs = [np.full((64, 32), i / 10, np.float32) for i in range(8)]
        sess.run(y, {x: inputs[0]})  # compile once; every thread reuses the same plan
        results: dict[int, np.ndarray] = {}

        def worker(i):
            for _ in range(20):
                results[i] = sess.run(y, {x: inputs[i]})

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for i, got in results.items():
        np.testing.assert_allclose(got, np.full(64, 32 * np.tanh(i / 10)), rtol=1e-5)
