"""TF1's RNN drivers (``tf.nn.static_rnn``, ``static_bidirectional_rnn``, ``dynamic_rnn``,
``bidirectional_dynamic_rnn``; TensorFlow's ``python/ops/rnn.py``): run an ``RNNCell`` over a
sequence, with TF1's scopes, so a cell's variables are ``rnn/<cell>/...``
(``bidirectional_rnn/fw/<cell>/...`` and ``.../bw/...``) whichever driver built them.

``static_rnn`` unrolls the sequence in Python: step t calls the cell on ``inputs[t]`` under
the variable scope ``scope or "rnn"``, reusing the variables from step 1 on. With
``sequence_length`` each batch row b stops at its length: for t >= length[b] the output row
is zero and the state row is copied through, so the final state is each row's state at its
last valid step. As in TF1 each such step is two nested ``cond``s (``rnn/cond``,
``rnn/cond_1``, ...): past the longest row the cell does not run at all, before the shortest
row nothing is selected, in between rows are selected with ``Select``.

``dynamic_rnn`` is TF1's ``_dynamic_rnn_loop``: a ``while_loop`` named ``rnn/while`` over
time, the inputs unstacked into TensorArrays (``rnn/dynamic_rnn/input_<i>``) and read at step
t, the outputs written to TensorArrays (``.../output_<i>``) and stacked after the loop; with
``sequence_length`` the row-wise selection at every step without conds (TF's
``skip_conditionals``), and the loop stops after
``max(sequence_length)`` steps (at least one; the unwritten output steps read as zeros).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.framework import dtypes, nest
from graphflow.framework.graph import get_default_graph
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import (
    array_ops,
    comparison_ops,
    control_flow,
    control_ops,
    layout_ops,
    linalg_ops,
    math_ops,
    op_builder,
    reduction_ops,
    reverse_sequence_ops,
)
from graphflow.ops.rnn_cell_impl import _concat, assert_like_rnncell
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.variable_scope import variable_scope

__all__ = ["static_rnn", "static_bidirectional_rnn", "dynamic_rnn", "bidirectional_dynamic_rnn"]


def _infer_state_dtype(explicit_dtype: Any, state: Any) -> dtypes.DType:
    """The explicit dtype, else the (single) dtype of the state's tensors."""
    if explicit_dtype is not None:
        return dtypes.as_dtype(explicit_dtype)
    flat = nest.flatten(state)
    if not flat:
        raise ValueError("Unable to infer dtype from empty state.")
    kinds = {t.dtype for t in flat}
    if len(kinds) != 1:
        raise ValueError("State has tensors of different inferred_dtypes "
                         f"({sorted(d.name for d in kinds)}). Unable to infer a single "
                         "representative dtype; pass dtype=")
    return flat[0].dtype


def _check_inputs(fn: str, flat_inputs: list[Any]) -> Any:
    """Every input is a Tensor of rank >= 2 with known non-batch dims and one batch size;
    returns the static batch size (or None)."""
    batch: int | None = None
    for x in flat_inputs:
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn}: inputs must be Tensors, got {type(x).__name__}: {x!r}")
        shape = x.shape
        if shape.rank is not None and shape.rank < 2:
            raise ValueError(f"{fn}: input '{x.name}' has shape {shape}, but each time step "
                             "must be [batch_size, input_size] (rank >= 2)")
        if shape.rank is None:
            raise ValueError(f"{fn}: input '{x.name}' has unknown rank; each time step must "
                             "be [batch_size, input_size] with a static input_size")
        for i, d in enumerate(shape.as_list()[1:]):
            if d is None:
                raise ValueError(f"{fn}: Input size (dimension {i} of inputs) must be "
                                 f"accessible via shape inference, but saw value None "
                                 f"(input '{x.name}', shape {shape})")
        b = shape[0]
        if b is not None:
            if batch is not None and b != batch:
                raise ValueError(f"{fn}: all inputs must have the same batch size: "
                                 f"'{x.name}' has {b}, an earlier input {batch}")
            batch = b
    return batch


def _sequence_length(fn: str, sequence_length: Any) -> Tensor:
    seq = op_builder.convert_to_tensor(sequence_length, name="sequence_length")
    if seq.shape.rank not in (None, 1):
        raise ValueError(f"{fn}: sequence_length must be a vector of length batch_size, got "
                         f"'{seq.name}' with shape {seq.shape}")
    if not seq.dtype.is_integer:
        raise ValueError(f"{fn}: sequence_length '{seq.name}' must be int32 or int64, got "
                         f"{seq.dtype.name}")
    return linalg_ops.cast(seq, dtypes.int32)


def _initial_state(fn: str, cell: Any, initial_state: Any, dtype: Any, batch_size: Any
                   ) -> Any:
    if initial_state is not None:
        try:
            nest.assert_same_structure(cell.state_size, initial_state)
        except ValueError as err:
            raise ValueError(f"{fn}: initial_state does not match cell.state_size "
                             f"{cell.state_size!r}: {err}") from None
        return initial_state
    if not dtype:
        raise ValueError(f"{fn}: If no initial_state is provided, dtype must be specified")
    if getattr(cell, "get_initial_state", None) is not None:
        return cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
    return cell.zero_state(batch_size, dtype)


def _zero_output(cell: Any, batch_size: Any, static_batch: Any, dtype: dtypes.DType) -> Any:
    def one(size: Any) -> Tensor:
        out = array_ops.zeros(_concat(batch_size, size), dtype)
        static = _concat([static_batch], size, static=True)
        if static is not None:
            out.set_shape(TensorShape(static))
        return out
    size = cell.output_size
    return nest.pack_sequence_as(size, [one(s) for s in nest.flatten(size)])


def _copy_cond(time: int | Tensor, sequence_length: Tensor) -> Tensor:
    """TF1's ``copy_cond = time >= sequence_length`` (a LessEqual, as Python's reflected
    ``>=`` builds it): which batch rows are finished."""
    t = time if isinstance(time, Tensor) else op_builder.constant(time, dtype=dtypes.int32)
    return comparison_ops.less_equal(sequence_length, t)


def _copy_some_through(copy_cond: Tensor, zero_output: Any, state: Any, new_output: Any,
                       new_state: Any) -> tuple[Any, Any]:
    """Rows where ``copy_cond`` holds get the zero output and keep their old state."""
    try:
        nest.assert_same_structure(zero_output, new_output)
        nest.assert_same_structure(state, new_state)
    except ValueError as err:
        raise ValueError(f"the cell's output/state structure changed between steps: {err}") \
            from None

    def one(old: Tensor, new: Tensor) -> Tensor:
        if new.shape.rank == 0:
            return new
        return comparison_ops.where(copy_cond, old, new)
    out = [one(z, n) for z, n in zip(nest.flatten(zero_output), nest.flatten(new_output))]
    st = [one(s, n) for s, n in zip(nest.flatten(state), nest.flatten(new_state))]
    return nest.pack_sequence_as(new_output, out), nest.pack_sequence_as(new_state, st)


def static_rnn(cell: Any, inputs: Sequence[Any], initial_state: Any = None, dtype: Any = None,
               sequence_length: Any = None, scope: Any = None) -> tuple[list[Any], Any]:
    """``tf.nn.static_rnn``: ``(outputs, state)`` for a length-T list of inputs (each
    ``[batch_size, input_size]``, or a nested structure of such tensors).

    ``state`` starts at ``initial_state`` (of ``cell.state_size``'s structure) or
    ``cell.zero_state(batch_size, dtype)``; step t is ``output_t, state = cell(inputs[t],
    state)`` under the variable scope ``scope or "rnn"`` (reusing from step 1 on).
    ``sequence_length`` (int vector [batch_size]) zeroes the outputs and freezes the state of
    row b from step length[b] on."""
    assert_like_rnncell("cell", cell)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"static_rnn: inputs must be a sequence (a list of [batch, depth] "
                        f"tensors, one per time step), got {type(inputs).__name__}; "
                        "gf.unstack(x, axis=1) turns a [batch, time, depth] tensor into one")
    if not inputs:
        raise ValueError("static_rnn: inputs must not be empty")
    graph = op_builder.graph_of(*nest.flatten(list(inputs)))
    outputs: list[Any] = []
    with graph.as_default(), variable_scope(scope or "rnn") as varscope:
        inputs = [nest.map_structure(op_builder.convert_to_tensor, x) for x in inputs]
        first_input = inputs[0]
        while nest.is_sequence(first_input):
            first_input = nest.flatten(first_input)[0]
        if first_input.shape.rank == 1:
            static_batch = first_input.shape[0]
        else:
            static_batch = _check_inputs("static_rnn", nest.flatten(list(inputs)))
        batch_size: Any = static_batch if static_batch else \
            array_ops.shape(first_input)[0]
        state = _initial_state("static_rnn", cell, initial_state, dtype, batch_size)
        if sequence_length is not None:
            sequence_length = _sequence_length("static_rnn", sequence_length)
            zero_output = _zero_output(cell, batch_size, static_batch,
                                       _infer_state_dtype(dtype, state))
            min_sequence_length = reduction_ops.reduce_min(sequence_length)
            max_sequence_length = reduction_ops.reduce_max(sequence_length)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            if sequence_length is None:
                output, state = cell(input_, state)
            else:
                output, state = _rnn_step(time, sequence_length, min_sequence_length,
                                          max_sequence_length, zero_output, state,
                                          lambda x=input_, s=state: cell(x, s))
            outputs.append(output)
    return outputs, state


def _rnn_step(time: int, sequence_length: Tensor, min_sequence_length: Tensor,
              max_sequence_length: Tensor, zero_output: Any, state: Any,
              call_cell: Any) -> tuple[Any, Any]:
    """TF1's ``_rnn_step`` (skip_conditionals=False): ``cond(time >= max_len, (zeros, old
    state), cond(time < min_len, the cell's step, the row-wise copy-through))``; only the
    taken branch runs, so steps past every row's length skip the cell."""
    flat_state = nest.flatten(state)
    flat_zero_output = nest.flatten(zero_output)
    n_out = len(flat_zero_output)
    copy_cond = _copy_cond(time, sequence_length)

    def maybe_copy_some_through() -> list[Tensor]:
        new_output, new_state = call_cell()

        def copy_some_through() -> list[Tensor]:
            output, copied = _copy_some_through(copy_cond, zero_output, state, new_output,
                                                new_state)
            return nest.flatten(output) + nest.flatten(copied)
        return control_flow.cond(  # time < min_sequence_length: every row steps
            comparison_ops.greater(min_sequence_length, time),
            lambda: nest.flatten(new_output) + nest.flatten(new_state), copy_some_through)

    final = control_flow.cond(  # time >= max_sequence_length: no row steps
        comparison_ops.less_equal(max_sequence_length, time),
        lambda: flat_zero_output + flat_state, maybe_copy_some_through)
    final = nest.flatten(final)
    if len(final) != n_out + len(flat_state):
        raise ValueError("static_rnn: internal error: state and output were not concatenated "
                         "correctly")
    for x, like in zip(final, flat_zero_output + flat_state):
        x.set_shape(like.shape)
    return (nest.pack_sequence_as(zero_output, final[:n_out]),
            nest.pack_sequence_as(state, final[n_out:]))


def _reverse_seq(input_seq: list[Any], lengths: Tensor | None) -> list[Any]:
    """TF's _reverse_seq: the list reversed, or each row's first length[b] steps reversed
    (ReverseSequence on the stacked [time, batch, ...] tensor)."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_input_seq = [nest.flatten(x) for x in input_seq]
    flat_results: list[list[Tensor]] = [[] for _ in input_seq]
    for sequence in zip(*flat_input_seq):
        shape = TensorShape(None)
        for x in sequence:
            shape = shape.merge_with(x.shape)
        joined = layout_ops.stack(list(sequence))
        reversed_ = reverse_sequence_ops.reverse_sequence(joined, lengths, seq_axis=0,
                                                          batch_axis=1)
        for r, flat_result in zip(layout_ops.unstack(reversed_), flat_results):
            r.set_shape(shape)
            flat_result.append(r)
    return [nest.pack_sequence_as(x, f) for x, f in zip(input_seq, flat_results)]


def static_bidirectional_rnn(cell_fw: Any, cell_bw: Any, inputs: Sequence[Any],
                             initial_state_fw: Any = None, initial_state_bw: Any = None,
                             dtype: Any = None, sequence_length: Any = None,
                             scope: Any = None) -> tuple[list[Any], Any, Any]:
    """``tf.nn.static_bidirectional_rnn``: ``(outputs, state_fw, state_bw)``; the forward
    cell runs under ``bidirectional_rnn/fw``, the backward one under ``.../bw`` on the
    reversed inputs (each row's first ``sequence_length[b]`` steps, if given); outputs[t] is
    ``concat([fw_t, bw_t], 1)``."""
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("static_bidirectional_rnn: inputs must be a list")
    if not inputs:
        raise ValueError("static_bidirectional_rnn: inputs must not be empty")
    graph = op_builder.graph_of(*nest.flatten(list(inputs)))
    with graph.as_default(), variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = static_rnn(
                cell_fw, inputs, initial_state_fw, dtype, sequence_length, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            lengths = None if sequence_length is None else \
                _sequence_length("static_bidirectional_rnn", sequence_length)
            reversed_inputs = _reverse_seq(list(inputs), lengths)
            tmp, output_state_bw = static_rnn(
                cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length,
                scope=bw_scope)
    with graph.as_default():
        output_bw = _reverse_seq(tmp, lengths)
        outputs = []
        for fw, bw in zip(output_fw, output_bw):
            flat = [layout_ops.concat([a, b], 1)
                    for a, b in zip(nest.flatten(fw), nest.flatten(bw))]
            outputs.append(nest.pack_sequence_as(fw, flat))
    return outputs, output_state_fw, output_state_bw


# ----------------------------------------------------------------------------------------
# dynamic_rnn: a while_loop over time (TF1's _dynamic_rnn_loop)
# ----------------------------------------------------------------------------------------


def _transpose_batch_time(x: Tensor) -> Tensor:
    """[batch, time, ...] <-> [time, batch, ...] (tensors of rank < 2 are left alone)."""
    shape = x.shape
    if shape.rank is not None and shape.rank < 2:
        return x
    if shape.rank is not None:
        perm: Any = [1, 0] + list(range(2, shape.rank))
    else:
        perm = layout_ops.concat([op_builder.constant([1, 0], dtype=dtypes.int32),
                                  layout_ops.range_(2, array_ops.rank(x))], 0)
    x_t = layout_ops.transpose(x, perm)
    if shape.rank is not None:
        dims = shape.as_list()
        x_t.set_shape(TensorShape([dims[1], dims[0]] + dims[2:]))
    return x_t


def _best_effort_input_batch_size(flat_input: list[Tensor]) -> Any:
    """The static batch size (axis 1 of time-major inputs), else shape(inputs[0])[1]."""
    for x in flat_input:
        if x.shape.rank is None:
            continue
        if x.shape.rank < 2:
            raise ValueError(f"Expected input tensor '{x.name}' to have rank at least 2, got "
                             f"shape {x.shape}")
        if x.shape[1] is not None:
            return x.shape[1]
    return array_ops.shape(flat_input[0])[1]


def dynamic_rnn(cell: Any, inputs: Any, sequence_length: Any = None, initial_state: Any = None,
                dtype: Any = None, parallel_iterations: int | None = None,
                swap_memory: bool = False, time_major: bool = False,
                scope: Any = None) -> tuple[Any, Any]:
    """``tf.nn.dynamic_rnn``: ``(outputs, final_state)`` of ``cell`` over ``inputs``
    ([batch, time, depth], or [time, batch, depth] with ``time_major``; a nested structure of
    such tensors is fed to the cell as that structure).

    Built as TF1's ``_dynamic_rnn_loop``: the inputs are unstacked into a TensorArray, a
    ``while_loop`` (``rnn/while``) reads step t, calls the cell under the variable scope
    ``scope or "rnn"`` (so variables are ``rnn/<cell>/...``, as with ``static_rnn``) and
    writes the output into an output TensorArray, stacked at the end. ``sequence_length``
    (int vector [batch_size]) gives zero outputs and copies the state through past each
    row's length; the loop stops after ``max(sequence_length)`` steps (at least one)."""
    assert_like_rnncell("cell", cell)
    flat_input = nest.flatten(inputs)
    if not flat_input:
        raise ValueError("dynamic_rnn: inputs must not be empty")
    graph = op_builder.graph_of(*flat_input)
    with graph.as_default(), variable_scope(scope or "rnn"):
        flat_input = [op_builder.convert_to_tensor(x) for x in flat_input]
        for x in flat_input:
            if x.shape.rank is not None and x.shape.rank < 3:
                raise ValueError(
                    f"dynamic_rnn: input '{x.name}' has shape {x.shape}, but inputs must be "
                    f"[{'time, batch' if time_major else 'batch, time'}, depth] (rank >= 3); "
                    "for a list of per-step [batch, depth] tensors use gf.nn.static_rnn")
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = _sequence_length("dynamic_rnn", sequence_length)
            sequence_length = array_ops.identity(sequence_length, name="sequence_length")
        batch_size = _best_effort_input_batch_size(flat_input)
        state = _initial_state("dynamic_rnn", cell, initial_state, dtype, batch_size)
        if sequence_length is not None:
            sequence_length = _checked_sequence_length(sequence_length, batch_size)
        inputs = nest.pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(
            cell, inputs, state, parallel_iterations=parallel_iterations,
            swap_memory=swap_memory, sequence_length=sequence_length, dtype=dtype)
        if not time_major:
            outputs = nest.map_structure(_transpose_batch_time, outputs)
    return outputs, final_state


def _checked_sequence_length(sequence_length: Tensor, batch_size: Any) -> Tensor:
    """TF1's run-time check that sequence_length has shape [batch_size] (node CheckSeqLen)."""
    if isinstance(batch_size, int) and sequence_length.shape.rank == 1 and \
            sequence_length.shape[0] not in (None, batch_size):
        raise ValueError(f"dynamic_rnn: sequence_length '{sequence_length.name}' has shape "
                         f"{sequence_length.shape}, but the inputs have batch size "
                         f"{batch_size}; pass one length per batch entry")
    x_shape = array_ops.shape(sequence_length)
    packed = layout_ops.stack([batch_size])
    check = control_ops.Assert(
        reduction_ops.reduce_all(comparison_ops.equal(x_shape, packed)),
        [f"Expected shape for Tensor {sequence_length.name} is ", packed, " but saw shape: ",
         x_shape])
    with get_default_graph().control_dependencies([check]):
        return array_ops.identity(sequence_length, name="CheckSeqLen")


def _dynamic_rnn_loop(cell: Any, inputs: Any, initial_state: Any, parallel_iterations: int,
                      swap_memory: bool, sequence_length: Tensor | None = None,
                      dtype: Any = None) -> tuple[Any, Any]:
    """TF1's ``_dynamic_rnn_loop`` on time-major inputs: ``(outputs [time, batch, ...],
    final_state)``."""
    state = initial_state
    flat_input = nest.flatten(inputs)
    flat_output_size = nest.flatten(cell.output_size)
    graph = get_default_graph()
    time_steps = array_ops.shape(flat_input[0])[0]
    batch_size = _best_effort_input_batch_size(flat_input)
    got_shapes = [x.shape for x in flat_input]
    if any(s.rank is None for s in got_shapes):
        raise ValueError("dynamic_rnn: Input size (depth of inputs) must be accessible via "
                         "shape inference, but saw an input of unknown rank")
    const_time_steps, const_batch_size = got_shapes[0].as_list()[:2]
    for x, shape in zip(flat_input, got_shapes):
        if not TensorShape(shape.as_list()[2:]).is_fully_defined():
            raise ValueError(f"dynamic_rnn: Input size (depth of inputs) must be accessible "
                             f"via shape inference, but saw value None (input '{x.name}', "
                             f"time-major shape {shape})")
        if shape[0] != const_time_steps:
            raise ValueError("dynamic_rnn: Time steps is not the same for all the elements in "
                             f"the input in a batch ('{x.name}': {shape[0]} vs "
                             f"{const_time_steps})")
        if shape[1] != const_batch_size:
            raise ValueError("dynamic_rnn: Batch_size is not the same for all the elements in "
                             f"the input ('{x.name}': {shape[1]} vs {const_batch_size})")
    out_dtype = _infer_state_dtype(dtype, state)
    zero_output = _zero_output(cell, batch_size, const_batch_size, out_dtype)
    max_sequence_length: Any = time_steps if sequence_length is None else \
        reduction_ops.reduce_max(sequence_length)
    time = op_builder.constant(0, dtype=dtypes.int32, name="time")
    with graph.name_scope("dynamic_rnn") as base_name:
        pass

    def create_ta(name: str, element_shape: Any, ta_dtype: Any) -> TensorArray:
        return TensorArray(dtype=ta_dtype, size=time_steps, element_shape=element_shape,
                           tensor_array_name=base_name + name)

    output_ta = tuple(
        create_ta(f"output_{i}", TensorShape([const_batch_size]).concatenate(
            TensorShape(_concat([], size, static=True))), out_dtype)
        for i, size in enumerate(flat_output_size))
    input_ta = tuple(create_ta(f"input_{i}", x.shape[1:], x.dtype)
                     for i, x in enumerate(flat_input))
    input_ta = tuple(ta.unstack(x) for ta, x in zip(input_ta, flat_input))

    def time_step(time: Tensor, output_ta_t: tuple[TensorArray, ...], state: Any) -> Any:
        input_t = [ta.read(time) for ta in input_ta]
        for x, shape in zip(input_t, got_shapes):
            x.set_shape(shape[1:])
        packed = nest.pack_sequence_as(inputs, input_t)
        output, new_state = cell(packed, state)
        if sequence_length is not None:
            output, new_state = _copy_some_through(_copy_cond(time, sequence_length),
                                                   zero_output, state, output, new_state)
        flat_out = nest.flatten(output)
        output_ta_t = tuple(ta.write(time, out) for ta, out in zip(output_ta_t, flat_out))
        return time + 1, output_ta_t, new_state

    # At least one step, so the TensorArrays learn the element shapes.
    loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_sequence_length))
    _, output_final_ta, final_state = control_flow.while_loop(
        cond=lambda time, *_: time < loop_bound, body=time_step,
        loop_vars=(time, output_ta, state), parallel_iterations=parallel_iterations,
        maximum_iterations=time_steps, swap_memory=swap_memory)
    final_outputs = [ta.stack() for ta in output_final_ta]
    for out, size in zip(final_outputs, flat_output_size):
        static = _concat([const_time_steps, const_batch_size], size, static=True)
        if static is not None:
            out.set_shape(static)
    return nest.pack_sequence_as(cell.output_size, final_outputs), final_state


def bidirectional_dynamic_rnn(cell_fw: Any, cell_bw: Any, inputs: Any,
                              sequence_length: Any = None, initial_state_fw: Any = None,
                              initial_state_bw: Any = None, dtype: Any = None,
                              parallel_iterations: int | None = None, swap_memory: bool = False,
                              time_major: bool = False, scope: Any = None
                              ) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``tf.nn.bidirectional_dynamic_rnn``: ``((output_fw, output_bw), (state_fw,
    state_bw))``. The forward cell runs under ``bidirectional_rnn/fw``; the backward cell
    under ``bidirectional_rnn/bw`` on the inputs reversed along time (each row's first
    ``sequence_length[b]`` steps with ReverseSequence, else the whole axis with ReverseV2),
    and its outputs are reversed back."""
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    graph = op_builder.graph_of(*nest.flatten(inputs))
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def reverse(x: Tensor) -> Tensor:
        if sequence_length is not None:
            return reverse_sequence_ops.reverse_sequence(x, sequence_length, seq_axis=time_axis,
                                                         batch_axis=batch_axis)
        return reverse_sequence_ops.reverse(x, axis=[time_axis])

    with graph.as_default(), variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length=sequence_length,
                initial_state=initial_state_fw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            inputs_reverse = nest.map_structure(
                lambda x: reverse(op_builder.convert_to_tensor(x)), inputs)
            tmp, output_state_bw = dynamic_rnn(
                cell_bw, inputs_reverse, sequence_length=sequence_length,
                initial_state=initial_state_bw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=bw_scope)
    with graph.as_default():
        output_bw = nest.map_structure(reverse, tmp)
    return (output_fw, output_bw), (output_state_fw, output_state_bw)
