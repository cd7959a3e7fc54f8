"""GraphKeys.LOCAL_VARIABLES, gf.local_variables and gf.local_variables_initializer."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


def test_local_variables_are_separate_from_global() -> None:
    counter = gf.Variable(np.zeros((), np.int64), trainable=False, name="counter",
                          collections=[gf.GraphKeys.LOCAL_VARIABLES])
    with gf.name_scope("metrics"):
        total = gf.Variable(np.zeros(2), trainable=False, name="total",
                            collections=[gf.GraphKeys.LOCAL_VARIABLES])
    w = gf.Variable(np.ones(2), name="w")
    assert gf.local_variables() == [counter, total]
    assert gf.local_variables(scope="metrics") == [total]
    assert counter not in gf.global_variables() and w not in gf.local_variables()
    with gf.Session() as sess:
        sess.run(gf.local_variables_initializer())
        assert sess.run(counter) == 0
        np.testing.assert_array_equal(sess.run(total), [0.0, 0.0])
        with_error = False
        try:
            sess.run(w)
        except gf.FailedPreconditionError:
            with_error = True
        assert with_error  # the global variable was not initialized by the local init


def test_local_initializer_without_local_variables_is_a_no_op() -> None:
    init = gf.local_variables_initializer()
    assert init.type == "NoOp"
    with gf.Session() as sess:
        sess.run(init)
