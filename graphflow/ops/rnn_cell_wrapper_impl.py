"""TF1's RNN cell wrappers (``tf.nn.rnn_cell.DropoutWrapper``, ``ResidualWrapper``,
``DeviceWrapper``), as TensorFlow's ``rnn_cell_wrapper_impl.py``: each wraps a cell, opens
no variable scope of its own (its ops land in the caller's name scope) and passes the call
through to the wrapped cell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from graphflow.framework import nest
from graphflow.framework.graph import get_default_graph
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import TensorShape, as_shape
from graphflow.ops import linalg_ops, math_ops, nn_ops, op_builder, random_ops
from graphflow.ops.rnn_cell_impl import (
    LSTMStateTuple,
    RNNCell,
    _children,
    assert_like_rnncell,
)
from graphflow.ops.variables import Variable

__all__ = ["DropoutWrapper", "ResidualWrapper", "DeviceWrapper"]

# ----------------------------------------------------------------------------------------
# The wrappers
# ----------------------------------------------------------------------------------------


class _RNNCellWrapper(RNNCell):
    def __init__(self, cell: RNNCell, dtype: Any = None) -> None:
        super().__init__(dtype=dtype)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def wrapped_cell(self) -> RNNCell:
        return self.cell

    @property
    def state_size(self) -> Any:
        return self.cell.state_size

    @property
    def output_size(self) -> Any:
        return self.cell.output_size

    @property
    def trainable_weights(self) -> list[Variable]:
        return list(getattr(self.cell, "trainable_weights", []))

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return list(getattr(self.cell, "non_trainable_weights", []))

    trainable_variables = trainable_weights

    @property
    def variables(self) -> list[Variable]:
        return self.trainable_weights + self.non_trainable_weights

    def build(self, inputs_shape: TensorShape) -> None:
        self.cell.build(inputs_shape)
        self.built = True

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """The wrapped cell's zero state, under ``<Wrapper>ZeroState``."""
        graph = batch_size.graph if isinstance(batch_size, Tensor) else get_default_graph()
        with graph.as_default(), graph.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        graph = op_builder.graph_of(*nest.flatten(inputs), *nest.flatten(state))
        with graph.as_default():
            return self._call_wrapped_cell(inputs, state, scope)

    def _call_wrapped_cell(self, inputs: Any, state: Any, scope: Any) -> tuple[Any, Any]:
        raise NotImplementedError


def _sequence_like(instance: Any, items: Sequence[Any]) -> Any:
    """A container like ``instance`` (tuple, list, namedtuple or dict) holding ``items``."""
    if isinstance(instance, dict):
        return type(instance)(zip(sorted(instance), items))
    if isinstance(instance, tuple) and hasattr(instance, "_fields"):
        return type(instance)(*items)
    return type(instance)(items)


def _default_dropout_state_filter_visitor(substate: Any) -> Any:
    """Never drop the ``c`` of an LSTMStateTuple, nor a TensorArray; drop everything else."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    if type(substate).__name__ == "TensorArray":
        return False
    return True


def _dropout_mask(visitor: Callable[[Any], Any], s: Any) -> Any:
    """TF's get_traverse_shallow_structure, expanded to a bool per leaf of ``s``."""
    def none(x: Any) -> Any:
        return nest.map_structure(lambda _: False, x)
    r = visitor(s)
    if isinstance(r, bool):
        if not r:
            return none(s)
        if not nest.is_sequence(s):
            return True
        return _sequence_like(s, [_dropout_mask(visitor, c) for c in _children(s)])
    if not nest.is_sequence(s) or not nest.is_sequence(r) or len(_children(r)) != len(_children(s)):
        raise TypeError(f"dropout_state_filter_visitor returned {r!r} for {s!r}: return a bool "
                        "or a depth-1 structure of bools matching the substructure")
    return _sequence_like(s, [_dropout_mask(visitor, c) if bool(f) else none(c)
                              for f, c in zip(_children(r), _children(s))])


class DropoutWrapper(_RNNCellWrapper):
    """``tf.nn.rnn_cell.DropoutWrapper``: dropout on the cell's inputs, outputs and new
    states (keep probabilities are floats in (0, 1] or scalar tensors; a constant 1.0 adds no
    ops). ``variational_recurrent=True`` uses one mask per run for every step (Gal &
    Ghahramani; needs ``dtype`` and, with input dropout, ``input_size``). By default the
    ``c`` of an LSTMStateTuple is never dropped (``dropout_state_filter_visitor``). Each
    dropout's seed is derived from ``seed`` as TF does (md5 of seed + "input_0", ...)."""

    def __init__(self, cell: RNNCell, input_keep_prob: Any = 1.0, output_keep_prob: Any = 1.0,
                 state_keep_prob: Any = 1.0, variational_recurrent: bool = False,
                 input_size: Any = None, dtype: Any = None, seed: int | None = None,
                 dropout_state_filter_visitor: Callable[[Any], Any] | None = None) -> None:
        super().__init__(cell, dtype=dtype)
        if dropout_state_filter_visitor is not None and not callable(
                dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._dropout_state_filter = (dropout_state_filter_visitor
                                      or _default_dropout_state_filter_visitor)
        self._input_keep_prob: Any = _keep_prob(input_keep_prob, "input_keep_prob")
        self._state_keep_prob: Any = _keep_prob(state_keep_prob, "state_keep_prob")
        self._output_keep_prob: Any = _keep_prob(output_keep_prob, "output_keep_prob")
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._recurrent_input_noise: Any = None
        self._recurrent_state_noise: Any = None
        self._recurrent_output_noise: Any = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")

            def batch_noise(s: Any, inner_seed: int | None) -> Tensor:
                shape = [1] + list(as_shape(s).as_list())
                return random_ops.random_uniform(shape, seed=inner_seed, dtype=dtype)

            def noise(structure: Any, salt: str) -> Any:
                flat = nest.flatten(structure)
                return nest.pack_sequence_as(structure, [batch_noise(s, self._gen_seed(salt, i))
                                                    for i, s in enumerate(flat)])

            if not isinstance(self._input_keep_prob, float) or self._input_keep_prob < 1.0:
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < "
                                     "1.0 or is unknown, input_size must be provided")
                self._recurrent_input_noise = noise(input_size, "input")
            self._recurrent_state_noise = noise(cell.state_size, "state")
            self._recurrent_output_noise = noise(cell.output_size, "output")

    def _gen_seed(self, salt_prefix: str, index: int) -> int | None:
        if self._seed is None:
            return None
        string = (str(self._seed) + f"{salt_prefix}_{index}").encode("utf-8")
        return int(hashlib.md5(string).hexdigest()[:8], 16) & 0x7FFFFFFF

    def _dropout(self, values: Any, salt_prefix: str, recurrent_noise: Any, keep_prob: Any,
                 mask: Any = None) -> Any:
        flat = nest.flatten(values)
        keep = nest.flatten(mask) if mask is not None else [True] * len(flat)
        noises = nest.flatten(recurrent_noise) if self._variational_recurrent else \
            [None] * len(flat)
        if len(noises) != len(flat):
            raise ValueError(f"DropoutWrapper: {salt_prefix} has {len(flat)} tensors but the "
                             f"variational noise was built for {len(noises)} (check "
                             f"input_size/state_size)")
        out = []
        for i, (v, do, n) in enumerate(zip(flat, keep, noises)):
            if not do:
                out.append(v)
            elif not self._variational_recurrent:
                rate = 1.0 - keep_prob if isinstance(keep_prob, float) else \
                    math_ops.subtract(op_builder.constant(1.0, dtype=v.dtype),
                                      _cast_like(keep_prob, v))
                out.append(nn_ops.dropout(v, rate=rate, seed=self._gen_seed(salt_prefix, i)))
            else:
                kp = keep_prob if isinstance(keep_prob, float) else _cast_like(keep_prob, v)
                binary = math_ops.floor(kp + n)
                ret = math_ops.divide(v, kp) * binary
                ret.set_shape(v.shape)
                out.append(ret)
        return nest.pack_sequence_as(values, out)

    def _call_wrapped_cell(self, inputs: Any, state: Any, scope: Any) -> tuple[Any, Any]:
        def should_dropout(p: Any) -> bool:
            return not isinstance(p, float) or p < 1
        if should_dropout(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._recurrent_input_noise,
                                   self._input_keep_prob)
        output, new_state = self.cell(inputs, state, scope=scope)
        if should_dropout(self._state_keep_prob):
            mask = _dropout_mask(self._dropout_state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._recurrent_state_noise,
                                      self._state_keep_prob, mask)
        if should_dropout(self._output_keep_prob):
            output = self._dropout(output, "output", self._recurrent_output_noise,
                                   self._output_keep_prob)
        return output, new_state


def _keep_prob(prob: Any, attr: str) -> Any:
    """A Python float (a number, or a tensor with a static value) or a scalar tensor."""
    value = prob
    if isinstance(prob, Tensor):
        if prob.shape.rank not in (None, 0):
            raise ValueError(f"DropoutWrapper: {attr} '{prob.name}' must be a scalar, got "
                             f"shape {prob.shape}")
        if not prob.dtype.is_floating:
            raise ValueError(f"DropoutWrapper: {attr} '{prob.name}' must be floating point, "
                             f"got {prob.dtype.name}")
        if prob.spec.value is None:
            return prob
        value = prob.spec.value
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"DropoutWrapper: {attr} must be a number or a scalar tensor, got "
                        f"{prob!r}") from None
    if not 0 < p <= 1:
        raise ValueError(f"Parameter {attr} must be between 0 and 1: {p} (a keep probability "
                         "in (0, 1]; 1.0 means no dropout)")
    return p


def _cast_like(t: Tensor, like: Tensor) -> Tensor:
    return t if t.dtype == like.dtype else linalg_ops.cast(t, like.dtype)


class ResidualWrapper(_RNNCellWrapper):
    """``tf.nn.rnn_cell.ResidualWrapper``: output = residual_fn(inputs, cell output), by
    default inputs + output (structures must match)."""

    def __init__(self, cell: RNNCell,
                 residual_fn: Callable[[Any, Any], Any] | None = None) -> None:
        super().__init__(cell)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs: Any, state: Any, scope: Any) -> tuple[Any, Any]:
        outputs, new_state = self.cell(inputs, state, scope=scope)

        def default_residual_fn(inputs: Any, outputs: Any) -> Any:
            nest.assert_same_structure(inputs, outputs, "ResidualWrapper inputs and outputs")
            for i, o in zip(nest.flatten(inputs), nest.flatten(outputs)):
                if not i.shape.is_compatible_with(o.shape):
                    raise ValueError(f"ResidualWrapper: inputs '{i.name}' {i.shape} and cell "
                                     f"outputs '{o.name}' {o.shape} cannot be added; the "
                                     "cell's output_size must equal the input depth")
            return nest.map_structure(lambda a, b: a + b, inputs, outputs)
        fn = self._residual_fn or default_residual_fn
        return fn(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapper):
    """``tf.nn.rnn_cell.DeviceWrapper``: the cell's ops recorded on ``device`` (graphflow
    runs everything on the CPU; the string is kept in the NodeDefs)."""

    def __init__(self, cell: RNNCell, device: str) -> None:
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """The wrapped cell's zero state, on ``device``."""
        graph = batch_size.graph if isinstance(batch_size, Tensor) else get_default_graph()
        with graph.as_default(), graph.name_scope(type(self).__name__ + "ZeroState"), \
                graph.device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs: Any, state: Any, scope: Any) -> tuple[Any, Any]:
        with get_default_graph().device(self._device):
            return self.cell(inputs, state, scope=scope)
