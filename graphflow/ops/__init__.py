"""Op records and TF1-named builder functions, one module per op family.

Importing this package registers every op record with ``graphflow.framework.op_registry``.
"""

from graphflow.ops import (  # noqa: F401  (import order registers the records)
    activation_ops,
    array_ops,
    extra_math_ops,
    extra_reduction_ops,
    gather_ops,
    index_ops,
    layout_ops,
    linalg_ops,
    math_ops,
    nn_ops,
    random_ops,
    reduction_ops,
    set_ops,
    slice_ops,
    state_ops,
    summary_ops,
    tensor_operators,
    variables,
)
