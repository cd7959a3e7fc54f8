"""Op records and TF1-named builder functions, one module per op family.

Importing this package registers every op record with ``graphflow.framework.op_registry``
and installs the Python operators on ``Tensor`` (``tensor_operators``).

The modules import each other one way only, in this order (each may import those above it):

1. ``op_builder`` (graph choice, conversions, ``apply``, ``int_input``, ``raw_op``) and
   ``op_base`` (element-wise record bases, constant folding, kernel helpers);
2. ``linalg_ops`` (MatMul, AddN, Cast: every family above casts or sums);
3. ``array_ops`` (sources, identity, shapes, reshape, fill, broadcast, ``unbroadcast``);
4. ``comparison_ops`` (comparisons, logic, Select) -> ``math_ops`` (arithmetic);
5. ``layout_ops`` (transpose, concat, pack, tile, range, slice, pad) -> ``reduction_ops``
   (Sum ... Prod, All, Any, Cumsum, Cumprod);
6. ``strided_slice_ops`` (``t[...]``) -> ``gather_ops`` (gather, segment sums, one-hot,
   arg-max);
7. ``random_ops`` -> ``activation_ops`` -> ``nn_ops`` -> ``cross_entropy_ops``;
8. ``state_ops`` -> ``variables`` -> ``set_ops``, ``initializers`` -> ``variable_scope``;
9. ``tensor_operators`` (the Python operators, from the families above);
10. ``tensor_array`` (the ``gf.TensorArray`` class and the TensorArray node builders; uses
    array, linalg, layout, strided-slice builders) -> ``tensor_array_ops`` (the records,
    whose gradient rules build with it); ``stack_ops`` (stacks);
11. ``reverse_sequence_ops`` (ReverseSequence, ReverseV2) -> ``rnn_cell_impl`` (TF1's RNN
    cells, on ``variable_scope``) -> ``rnn_cell_wrapper_impl`` -> ``rnn`` (static/dynamic RNNs,
    on ``control_flow`` and ``tensor_array``); ``functional_ops`` (map_fn, scan, folds).

Where a gradient rule of a low family needs an op of a higher one — the ``Sum`` that
``unbroadcast``, Fill's and Tile's gradients emit (reductions sit above arrays and layout,
because their own gradients reshape, broadcast, transpose and slice) — it adds that node
with ``op_builder.raw_sum``/``raw_op`` (TF's ``gen_*_ops``), building exactly the node the
higher builder would. Shape-rule helpers shared by several families are ``InferContext``
methods (``require_index``, ``static_axis``, ``vector_length``, ``shape_from_value``, ...).
"""

from graphflow.ops import (  # noqa: F401  (import order registers the records)
    activation_ops,
    array_ops,
    batch_matmul_ops,
    check_ops,
    clip_ops,
    comparison_ops,
    control_flow,
    control_flow_ops,
    control_ops,
    conv_ops,
    crf_ops,
    cross_entropy_ops,
    einsum,
    functional_ops,
    gather_ops,
    initializers,
    layout_ops,
    linalg_ops,
    local_variables,
    mask_ops,
    math_ops,
    mirror_pad_ops,
    moments_ops,
    nn_ops,
    normalization_ops,
    op_base,
    op_builder,
    pooling_ops,
    random_ops,
    reduction_ops,
    reverse_sequence_ops,
    rnn,
    rnn_cell_impl,
    rnn_cell_wrapper_impl,
    sampling_ops,
    set_ops,
    split_ops,
    stack_ops,
    state_ops,
    strided_slice_ops,
    summary_ops,
    tensor_array,
    tensor_array_ops,
    tensor_operators,
    topk_ops,
    trig_ops,
    variable_scope,
    variables,
)
