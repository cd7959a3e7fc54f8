"""TF1's assert_* checks: Assert ops that pass or fail at run time with TF1's message and
data, and fail at build time when both sides are constants."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

CASES = [  # builder, a passing x, a failing x, y
    (gf.assert_equal, [1, 2], [1, 3], [1, 2]),
    (gf.assert_none_equal, [0, 0], [0, 2], [1, 2]),
    (gf.assert_less, [0, 1], [0, 2], [1, 2]),
    (gf.assert_less_equal, [1, 2], [1, 3], [1, 2]),
    (gf.assert_greater, [2, 3], [2, 2], [1, 2]),
    (gf.assert_greater_equal, [1, 2], [0, 2], [1, 2]),
]


@pytest.mark.parametrize("builder,good,bad,yv", CASES)
def test_binary_asserts(builder: object, good: list[int], bad: list[int], yv: list[int]
                        ) -> None:
    x = gf.placeholder(gf.int32, [2], name="x")
    y = gf.constant(np.array(yv, np.int32), name="y")
    check = builder(x, y, message="custom")  # type: ignore[operator]
    assert check.type == "Assert"
    with gf.Session() as sess:
        sess.run(check, {x: good})
        with pytest.raises(gf.InvalidArgumentError) as err:
            sess.run(check, {x: bad})
    text = str(err.value)
    assert "assertion failed: [custom] [Condition x" in text
    assert f"[{bad[0]} {bad[1]}] [y ({y.name}) = ] [{yv[0]} {yv[1]}]" in text
    assert f"[x ({x.name}) = ]" in text


@pytest.mark.parametrize("builder,good,bad,symbol", [
    (gf.assert_positive, [1.0, 2.0], [1.0, 0.0], ">"),
    (gf.assert_negative, [-1.0, -2.0], [-1.0, 0.0], "<"),
    (gf.assert_non_negative, [0.0, 2.0], [-1.0, 0.0], ">="),
    (gf.assert_non_positive, [0.0, -2.0], [1.0, 0.0], "<="),
])
def test_sign_asserts(builder: object, good: list[float], bad: list[float], symbol: str
                      ) -> None:
    x = gf.placeholder(gf.float32, [2], name="v")
    check = builder(x)  # type: ignore[operator]
    with gf.Session() as sess:
        sess.run(check, {x: good})
        with pytest.raises(gf.InvalidArgumentError,
                           match=rf"\[Condition x {symbol} 0 did not hold element-wise:\] "
                                 r"\[x \(v(_\d+)?:0\) = \]"):
            sess.run(check, {x: bad})


def test_static_failure_raises_at_build_time() -> None:
    with pytest.raises(gf.InvalidArgumentError, match=r"assertion failed: \[\] \[Condition x == y"):
        gf.assert_equal(gf.constant([1, 2]), gf.constant([1, 3]))
    gf.assert_equal(gf.constant([1, 2]), gf.constant([1, 2]))  # statically true: builds


def test_debugging_namespace() -> None:
    assert gf.debugging.assert_equal is gf.assert_equal
    assert gf.debugging.Assert is gf.Assert
