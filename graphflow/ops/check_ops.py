"""TF1's assertions (``tf.assert_equal`` ... ``tf.assert_non_positive``, also under
``gf.debugging``): each builds ``All(compare(x, y))`` and an ``Assert`` op carrying TF1's
message and data. As in TF1, when both sides are known at build time and the condition is
false, the error is raised at once (InvalidArgumentError); otherwise when the op runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import array_ops, comparison_ops, control_ops, op_builder, reduction_ops

_COMPARE: dict[str, tuple[Callable[..., Tensor], Callable[..., Any], str]] = {
    "equal": (comparison_ops.equal, np.equal, "=="),
    "none_equal": (comparison_ops.not_equal, np.not_equal, "!="),
    "less": (comparison_ops.less, np.less, "<"),
    "less_equal": (comparison_ops.less_equal, np.less_equal, "<="),
    "greater": (comparison_ops.greater, np.greater, ">"),
    "greater_equal": (comparison_ops.greater_equal, np.greater_equal, ">="),
}


def _static(t: Tensor) -> np.ndarray | None:
    spec = getattr(t, "spec", None)
    return None if spec is None else spec.value


def _shown(d: Any) -> Any:
    """A data item's build-time value (its name when not known)."""
    if not isinstance(d, Tensor):
        return d
    value = _static(d)
    return d.name if value is None else value


def _binary_assert(kind: str, x: Any, y: Any, data: Sequence[Any] | None,
                   summarize: int | None, message: str | None, name: str | None
                   ) -> Operation:
    build, static_fn, symbol = _COMPARE[kind]
    g = op_builder.graph_of(x, y)
    with g.as_default(), g.name_scope(name or f"assert_{kind}"):
        xt, yt = op_builder.convert_n([x, y])
        if data is None:
            data = [message or "", f"Condition x {symbol} y did not hold element-wise:",
                    f"x ({xt.name}) = ", xt, f"y ({yt.name}) = ", yt]
        elif message:
            data = [message, *data]
        xs, ys = _static(xt), _static(yt)
        if xs is not None and ys is not None and not np.all(static_fn(xs, ys)):
            shown = " ".join(control_ops.format_item(_shown(d), 3 if summarize is None
                                                     else summarize) for d in data)
            raise InvalidArgumentError(f"assertion failed: {shown}", None, "Assert")
        condition = reduction_ops.reduce_all(build(xt, yt))
        return control_ops.Assert(condition, data, summarize=summarize)


def assert_equal(x: Any, y: Any, data: Sequence[Any] | None = None,
                 summarize: int | None = None, message: str | None = None,
                 name: str | None = None) -> Operation:
    """An Assert that x == y element-wise (``tf.assert_equal``)."""
    return _binary_assert("equal", x, y, data, summarize, message, name)


def assert_none_equal(x: Any, y: Any, data: Sequence[Any] | None = None,
                      summarize: int | None = None, message: str | None = None,
                      name: str | None = None) -> Operation:
    """An Assert that x != y element-wise."""
    return _binary_assert("none_equal", x, y, data, summarize, message, name)


def assert_less(x: Any, y: Any, data: Sequence[Any] | None = None,
                summarize: int | None = None, message: str | None = None,
                name: str | None = None) -> Operation:
    """An Assert that x < y element-wise."""
    return _binary_assert("less", x, y, data, summarize, message, name)


def assert_less_equal(x: Any, y: Any, data: Sequence[Any] | None = None,
                      summarize: int | None = None, message: str | None = None,
                      name: str | None = None) -> Operation:
    """An Assert that x <= y element-wise."""
    return _binary_assert("less_equal", x, y, data, summarize, message, name)


def assert_greater(x: Any, y: Any, data: Sequence[Any] | None = None,
                   summarize: int | None = None, message: str | None = None,
                   name: str | None = None) -> Operation:
    """An Assert that x > y element-wise."""
    return _binary_assert("greater", x, y, data, summarize, message, name)


def assert_greater_equal(x: Any, y: Any, data: Sequence[Any] | None = None,
                         summarize: int | None = None, message: str | None = None,
                         name: str | None = None) -> Operation:
    """An Assert that x >= y element-wise."""
    return _binary_assert("greater_equal", x, y, data, summarize, message, name)


def _sign_assert(kind: str, symbol: str, x: Any, data: Sequence[Any] | None,
                 summarize: int | None, message: str | None, name: str,
                 zero_on_left: bool) -> Operation:
    xt = op_builder.convert_to_tensor(x)
    with xt.graph.as_default(), xt.graph.name_scope(name):
        zero = array_ops.zeros([], dtype=xt.dtype) if xt.dtype.is_floating else \
            op_builder.constant(0, dtype=xt.dtype)
        text = f"Condition x {symbol} 0 did not hold element-wise:"
        if data is None:
            data = [message or "", text, f"x ({xt.name}) = ", xt]
        elif message:
            data = [message, *data]
        a, b = (zero, xt) if zero_on_left else (xt, zero)
        return _binary_assert(kind, a, b, data, summarize, None, None)


def assert_positive(x: Any, data: Sequence[Any] | None = None, summarize: int | None = None,
                    message: str | None = None, name: str | None = None) -> Operation:
    """An Assert that x > 0 element-wise."""
    return _sign_assert("less", ">", x, data, summarize, message, name or "assert_positive",
                        True)


def assert_negative(x: Any, data: Sequence[Any] | None = None, summarize: int | None = None,
                    message: str | None = None, name: str | None = None) -> Operation:
    """An Assert that x < 0 element-wise."""
    return _sign_assert("less", "<", x, data, summarize, message, name or "assert_negative",
                        False)


def assert_non_negative(x: Any, data: Sequence[Any] | None = None,
                        summarize: int | None = None, message: str | None = None,
                        name: str | None = None) -> Operation:
    """An Assert that x >= 0 element-wise."""
    return _sign_assert("less_equal", ">=", x, data, summarize, message,
                        name or "assert_non_negative", True)


def assert_non_positive(x: Any, data: Sequence[Any] | None = None,
                        summarize: int | None = None, message: str | None = None,
                        name: str | None = None) -> Operation:
    """An Assert that x <= 0 element-wise."""
    return _sign_assert("less_equal", "<=", x, data, summarize, message,
                        name or "assert_non_positive", False)
