"""A pure op that is only a control input (``with gf.control_dependencies([op]): ...``) still
runs in a specialized plan, with its run-time checks, as it does in TensorFlow and in the
shape-generic plan: specialization's dead-step removal keeps the control inputs of the
steps it keeps (also through an identity it removed). Every plan configuration gives the
same result and the same error."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

CONFIGS = {
    "specialized": gf.SessionConfig(),
    "shape-generic": gf.SessionConfig(specialize=False, plan_memory=False),
    "interpreted": gf.SessionConfig(interpret=True),
}


def _run(config: gf.SessionConfig, wrap: bool, index: int):
    """y = 2x after a gather of row ``index`` of x that nothing reads (``wrap``: through
    an identity whose only other reader folds: the Size of one row); the value of y (and
    the plan), or the error's type, message and node."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        idx = gf.placeholder(gf.int32, [None], name="idx")
        check = gf.gather(x, idx, name="check")
        scale = gf.constant(2.0)
        if wrap:  # an identity specialization removes (an alias), read by a folded Size
            check = gf.identity(check, name="wrapped")
            scale = gf.cast(gf.size(check), gf.float32) * 2.0
        with gf.control_dependencies([check]):
            y = gf.identity(gf.multiply(x, scale, name="product"), name="y")
        with gf.Session(config=config) as sess:
            feed = {x: np.array([1, 2, 3], np.float32), idx: np.array([index], np.int32)}
            try:
                return "value", sess.run(y, feed), sess.explain(y, feed)
            except gf.InvalidArgumentError as err:
                return "error", (type(err), str(err), err.node_name), None


@pytest.mark.parametrize("wrap", [False, True], ids=["direct", "through an identity"])
@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
def test_a_failing_control_input_fails_the_run_in_every_plan(config, wrap):
    kind, (error_type, message, node), _ = _run(config, wrap, 5)
    assert kind == "error" and error_type is gf.InvalidArgumentError
    assert node == "check"
    assert "GatherV2 node 'check': indices[0] = 5 is not in [0, 3)" in message
    assert _run(config, wrap, 5)[1] == _run(CONFIGS["shape-generic"], wrap, 5)[1]


@pytest.mark.parametrize("wrap", [False, True], ids=["direct", "through an identity"])
def test_a_passing_control_input_runs_before_its_consumer(wrap):
    kind, value, plan = _run(CONFIGS["specialized"], wrap, 2)
    assert kind == "value"
    np.testing.assert_array_equal(value, [2, 4, 6])
    names = [st.name for st in plan.steps]
    assert "check" in names and names.index("check") < names.index("product")


def test_a_control_input_known_when_compiling_is_folded_not_run():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        folded = gf.constant(3.0) + 1.0
        with gf.control_dependencies([folded]):
            y = gf.identity(x * 2.0, name="y")
        with gf.Session() as sess:
            feed = {x: np.ones(2, np.float32)}
            np.testing.assert_array_equal(sess.run(y, feed), [2, 2])
            assert [st.op_type for st in sess.explain(y, feed).plan.steps] == ["Mul"]
