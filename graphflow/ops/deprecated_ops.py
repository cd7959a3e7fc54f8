"""TF 1.x's deprecated spellings, accepted as TF 1.x accepted them, each warning once per
call with a one-line ``DeprecationWarning`` that names the replacement: ``tf.mul``,
``tf.sub``, ``tf.div`` (Python 2 division: FloorDiv on integers, RealDiv on floats, as TF's
``_div_python2``), ``tf.neg``, ``tf.arg_max``/``tf.arg_min`` (``dimension=``),
``initialize_all_variables``, ``initialize_local_variables``. The deprecated *argument*
names (``reduction_indices=``, ``keep_dims=``) are accepted by the reduce builders
themselves (``reduction_ops``)."""

from __future__ import annotations

import warnings
from typing import Any

from graphflow.framework import dtypes
from graphflow.framework.graph import get_default_graph
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import gather_ops, math_ops, op_builder, variables

#: TF's ``GraphKeys.LOCAL_VARIABLES`` collection name.
LOCAL_VARIABLES = "local_variables"


def warn_deprecated(old: str, new: str) -> None:
    """The one-line warning every deprecated TF1 spelling gives."""
    warnings.warn(f"{old} is deprecated (TF 1.x); use {new} instead", DeprecationWarning,
                  stacklevel=3)


def mul(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.mul`` (TF <= 0.12): ``tf.multiply``."""
    warn_deprecated("tf.mul", "tf.multiply")
    return math_ops.multiply(x, y, name=name)


def sub(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.sub`` (TF <= 0.12): ``tf.subtract``."""
    warn_deprecated("tf.sub", "tf.subtract")
    return math_ops.subtract(x, y, name=name)


def neg(x: Any, name: str | None = None) -> Tensor:
    """``tf.neg`` (TF <= 0.12): ``tf.negative``."""
    warn_deprecated("tf.neg", "tf.negative")
    return math_ops.negative(x, name=name)


def div(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.div``: Python 2 division — ``FloorDiv`` when both are integers, else
    ``RealDiv`` (TF's ``_div_python2``)."""
    warn_deprecated("tf.div", "tf.math.divide (floats) or tf.math.floordiv (integers)")
    x = op_builder.convert_to_tensor(x)
    y = op_builder.convert_to_tensor(y, dtype=x.dtype)
    if x.dtype.is_integer:
        return math_ops.floordiv(x, y, name=name)
    return math_ops.divide(x, y, name=name)


def arg_max(input: Any, dimension: Any = None, output_type: Any = dtypes.int64,  # noqa: A002
            name: str | None = None) -> Tensor:
    """``tf.arg_max(input, dimension)``: ``tf.argmax(input, axis)``."""
    warn_deprecated("tf.arg_max", "tf.argmax")
    return gather_ops.argmax(input, dimension, name=name, output_type=output_type)


def arg_min(input: Any, dimension: Any = None, output_type: Any = dtypes.int64,  # noqa: A002
            name: str | None = None) -> Tensor:
    """``tf.arg_min(input, dimension)``: ``tf.argmin(input, axis)``."""
    warn_deprecated("tf.arg_min", "tf.argmin")
    return gather_ops.argmin(input, dimension, name=name, output_type=output_type)


def initialize_all_variables() -> Operation:
    """``tf.initialize_all_variables()``: ``tf.global_variables_initializer()``."""
    warn_deprecated("tf.initialize_all_variables", "tf.global_variables_initializer")
    return variables.global_variables_initializer()


def initialize_local_variables() -> Operation:
    """``tf.initialize_local_variables()``: initializes the ``local_variables`` collection
    (a no-op when it is empty), as ``tf.local_variables_initializer()``."""
    warn_deprecated("tf.initialize_local_variables", "tf.local_variables_initializer")
    local = get_default_graph().get_collection(LOCAL_VARIABLES)
    return variables.variables_initializer(list(local), name="init")
