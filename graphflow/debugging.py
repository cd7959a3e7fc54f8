"""``gf.debugging``: TF's ``tf.debugging`` namespace (``check_numerics``, ``Assert`` and the
``assert_*`` checks)."""

from graphflow.ops.array_ops import check_numerics
from graphflow.ops.check_ops import (
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_less,
    assert_less_equal,
    assert_negative,
    assert_non_negative,
    assert_non_positive,
    assert_none_equal,
    assert_positive,
)
from graphflow.ops.control_ops import Assert

__all__ = ["Assert", "assert_equal", "assert_greater", "assert_greater_equal", "assert_less",
           "assert_less_equal", "assert_negative", "assert_non_negative",
           "assert_non_positive", "assert_none_equal", "assert_positive", "check_numerics"]
