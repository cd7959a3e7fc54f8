"""TF1's RNN cells (``tf.nn.rnn_cell``): ``RNNCell`` and the cells of TensorFlow's
``rnn_cell_impl.py`` with its math, its op order and its variable names, so checkpoints and
frozen graphs written by TensorFlow load into graphflow and back.

Scoping works as TF1's legacy layers do. The first call of a cell opens the variable scope
``scope`` (when given) or a unique default named after the class (``basic_rnn_cell``,
``gru_cell``, ``basic_lstm_cell``, ``lstm_cell``, ``multi_rnn_cell``, or the cell's
``name``) inside the current variable scope; ``build`` creates the variables there with
``gf.get_variable`` and later calls re-enter that scope with ``reuse=True`` and its original
name scope, so ops of step t are ``rnn/basic_rnn_cell/MatMul_<t>``. A plain ``RNNCell``
subclass (like ``MultiRNNCell``) first re-enters the variable scope current at its first call
(a nested name scope, as TF1: ``rnn/rnn/multi_rnn_cell/...``), then does the same. Variable
names for ``static_rnn(cell, ...)`` are therefore::

    rnn/basic_rnn_cell/{kernel,bias}            rnn/gru_cell/{gates,candidate}/{kernel,bias}
    rnn/basic_lstm_cell/{kernel,bias}           rnn/lstm_cell/{kernel,bias,w_f_diag,w_i_diag,
    rnn/multi_rnn_cell/cell_<i>/<cell>/...          w_o_diag,projection/kernel}

The wrappers (``rnn_cell_wrapper_impl``) open no scope of their own. Built-in cells check
their inputs ([batch, depth] with a known depth, the same depth on every call, floating
dtype) and their state (the structure of ``state_size``, [batch, size] leaves, the inputs'
dtype) and raise a ``ValueError`` naming the cell and the fix. States are nested structures
in the sense of ``graphflow.framework.nest`` (tuples, lists, namedtuples, dicts).
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable, Sequence
from typing import Any

from graphflow.framework import dtypes, nest
from graphflow.framework.graph import get_default_graph
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import TensorShape, as_shape
from graphflow.ops import (
    activation_ops,
    array_ops,
    clip_ops,
    initializers,
    layout_ops,
    linalg_ops,
    math_ops,
    nn_ops,
    op_builder,
    split_ops,
)
from graphflow.ops.variable_scope import (
    VariableScope,
    get_variable,
    get_variable_scope,
    variable_scope,
)
from graphflow.ops.variables import Variable

__all__ = ["RNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "LSTMStateTuple",
           "MultiRNNCell"]

# ----------------------------------------------------------------------------------------
# structure helpers (on graphflow.framework.nest)
# ----------------------------------------------------------------------------------------


def _children(x: Any) -> list[Any]:
    return [x[k] for k in sorted(x)] if isinstance(x, dict) else list(x)


def _structure_error(a: Any, b: Any) -> str | None:
    if nest.is_sequence(a) != nest.is_sequence(b):
        return f"{_describe(a)} vs {_describe(b)}"
    if not nest.is_sequence(a):
        return None
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb):
        return f"{_describe(a)} has {len(ca)} elements, {_describe(b)} has {len(cb)}"
    if isinstance(a, dict) and sorted(a) != sorted(b):
        return f"dict keys {sorted(a)} vs {sorted(b)}"
    for x, y in zip(ca, cb):
        err = _structure_error(x, y)
        if err:
            return err
    return None


def _describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"Tensor '{x.name}' {x.shape}"
    if nest.is_sequence(x):
        return f"{type(x).__name__} of {len(x)}"
    return f"leaf {x!r}"


# ----------------------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------------------

_BIAS_VARIABLE_NAME = "bias"
_WEIGHTS_VARIABLE_NAME = "kernel"

_ACTIVATIONS: dict[str, Callable[..., Tensor]] = {
    "tanh": activation_ops.tanh, "sigmoid": activation_ops.sigmoid,
    "relu": activation_ops.relu, "relu6": activation_ops.relu6, "elu": activation_ops.elu,
    "softplus": activation_ops.softplus, "softsign": activation_ops.softsign,
    "linear": lambda x: x,
}


def _activation(activation: Any) -> Callable[..., Tensor]:
    if not activation:
        return activation_ops.tanh
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"Unknown activation {activation!r}; use one of "
                             f"{sorted(_ACTIVATIONS)} or pass a function such as gf.nn.relu")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"activation must be a function or a name, got {activation!r}")
    return activation


def _to_snake_case(name: str) -> str:
    """TF's ``to_snake_case``: ``BasicLSTMCell`` -> ``basic_lstm_cell``."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


def _check_supported_dtypes(dtype: Any, what: str = "") -> None:
    if dtype is None:
        return
    dt = dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"RNN cell only supports floating point inputs, but saw dtype: "
                         f"{dt.name}{' (' + what + ')' if what else ''}; cast it with "
                         "gf.cast(x, gf.float32)")


def _concat(prefix: Any, suffix: Any, static: bool = False) -> Any:
    """TF's ``_concat``: [prefix..., suffix...] as a static list (``static``) or an int32
    shape tensor; each part is an int, a TensorShape/list or a scalar/vector Tensor."""
    def part(v: Any) -> tuple[Tensor | None, list[Any] | None]:
        if isinstance(v, Tensor):
            static_v = v.spec.value
            t = array_ops.expand_dims(v, 0) if v.shape.rank == 0 else v
            if v.shape.rank not in (0, 1):
                raise ValueError(f"prefix/suffix tensor must be either a scalar or vector, but "
                                 f"saw tensor: {v.name} {v.shape}")
            known = [int(x) for x in static_v.reshape(-1)] if static_v is not None else \
                ([None] * t.shape[0] if t.shape.rank == 1 and t.shape[0] is not None else None)
            return t, known
        shape = as_shape(v)
        lst = shape.as_list() if shape.rank is not None else None
        if static or not shape.is_fully_defined():
            return None, lst
        return op_builder.constant(lst, dtype=dtypes.int32), lst
    p, p_static = part(prefix)
    s, s_static = part(suffix)
    if static:
        if p_static is None or s_static is None:
            return None
        return list(p_static) + list(s_static)
    if p is None or s is None:
        raise ValueError(f"Provided a prefix or suffix of None: {prefix} and {suffix}")
    return layout_ops.concat([p, s], 0)


def _zero_state_tensors(state_size: Any, batch_size: Any, dtype: Any) -> Any:
    def one(s: Any) -> Tensor:
        z = array_ops.zeros(_concat(batch_size, s), dtype=dtype)
        static = _concat(batch_size, s, static=True)
        if static is not None:
            z.set_shape(static)
        return z
    return nest.map_structure(one, state_size)


def _size_dims(size: Any) -> list[Any] | None:
    shape = as_shape(size)
    return shape.as_list() if shape.rank is not None else None


def assert_like_rnncell(cell_name: str, cell: Any) -> None:
    """TypeError unless ``cell`` has output_size, state_size, zero_state and is callable."""
    missing = [msg for attr, msg in (
        ("output_size", "'output_size' property is missing"),
        ("state_size", "'state_size' property is missing"),
        ("zero_state", "either 'zero_state' or 'get_initial_state' method is required"))
        if not _hasattr(cell, attr)]
    if not callable(cell):
        missing.append("is not callable")
    if missing:
        raise TypeError(f"The argument {cell_name!r} ({cell!r}) is not an RNNCell: "
                        f"{', '.join(missing)}.")


def _hasattr(obj: Any, name: str) -> bool:
    try:
        getattr(obj, name)
    except (AttributeError, NotImplementedError):
        return False
    return True


# ----------------------------------------------------------------------------------------
# RNNCell
# ----------------------------------------------------------------------------------------


class RNNCell:
    """TF1's ``tf.nn.rnn_cell.RNNCell``: subclass it, define ``state_size``, ``output_size``
    and ``call(inputs, state) -> (output, new_state)``; optionally ``build(inputs_shape)``
    creating variables with ``self.add_variable`` (or ``gf.get_variable`` inside ``call``,
    which reuses them from the second call on). ``cell(inputs, state, scope=None)`` runs one
    step under the cell's variable scope (see the module docstring)."""

    #: Built-in cells: inputs must have this rank (TF's InputSpec(ndim=2)); None: unchecked.
    _input_ndim: int | None = None
    #: Built-in cells also check the state's structure, shapes and dtype.
    _checks_state = False
    #: Plain RNNCells (TF's RNNCell.__call__) re-enter the outer scope; LayerRNNCells don't.
    _reenters_outer_scope = True

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 _reuse: Any = None) -> None:
        self.trainable = trainable
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string, got "
                             f"{name!r}")
        self._base_name = name or _to_snake_case(type(self).__name__)
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        self._reuse = _reuse
        self._scope: VariableScope | None = None
        self._rnncell_scope: VariableScope | None = None
        self._input_depth: int | None = None
        self.built = False
        self._trainable_weights: list[Variable] = []
        self._non_trainable_weights: list[Variable] = []

    # -- the TF1 properties ----------------------------------------------------------------
    @property
    def name(self) -> str:
        """The last component of the cell's variable scope (its base name before the first
        call)."""
        return self._scope.name.split("/")[-1] if self._scope is not None else self._base_name

    @property
    def scope_name(self) -> str:
        if self._scope is None:
            raise ValueError(f"No name available for cell {self._base_name!r} because it has "
                             "not been called yet")
        return self._scope.name

    @property
    def dtype(self) -> dtypes.DType | None:
        return self._dtype

    @property
    def state_size(self) -> Any:
        """size(s) of state(s) used by this cell: an int, a TensorShape or a nested tuple."""
        raise NotImplementedError(f"{type(self).__name__} must define the state_size property")

    @property
    def output_size(self) -> Any:
        """Integer or TensorShape: size of outputs produced by this cell."""
        raise NotImplementedError(f"{type(self).__name__} must define the output_size "
                                  "property")

    @property
    def trainable_weights(self) -> list[Variable]:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        extra = [] if self.trainable else list(self._trainable_weights)
        return extra + list(self._non_trainable_weights)

    @property
    def weights(self) -> list[Variable]:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    variables = weights

    def build(self, inputs_shape: TensorShape) -> None:
        """Create the cell's variables (called once, on the first call, inside its scope)."""

    def call(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        """One step: ``(output, new_state)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs, state)")

    def add_variable(self, name: str, shape: Any, dtype: Any = None, initializer: Any = None,
                     trainable: bool = True) -> Variable:
        """``gf.get_variable(name, shape)`` in the cell's scope, in the cell's dtype."""
        var = get_variable(name, shape, dtype=dtype or self._dtype or dtypes.float32,
                           initializer=initializer, trainable=trainable and self.trainable)
        target = self._trainable_weights if trainable and self.trainable else \
            self._non_trainable_weights
        if all(var is not v for v in target):
            target.append(var)
        return var

    add_weight = add_variable

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """Zero-filled state tensor(s) ``[batch_size] + s`` for each ``s`` of state_size,
        built under the name scope ``<Class>ZeroState``."""
        graph = batch_size.graph if isinstance(batch_size, Tensor) else get_default_graph()
        with graph.as_default(), graph.name_scope(type(self).__name__ + "ZeroState"):
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def get_initial_state(self, inputs: Any = None, batch_size: Any = None,
                          dtype: Any = None) -> Any:
        """``zero_state`` with the batch size and dtype taken from ``inputs`` if given."""
        if inputs is not None:
            x = op_builder.convert_to_tensor(inputs)
            if dtype is not None and x.dtype != dtypes.as_dtype(dtype):
                raise ValueError(f"dtype from input tensor is different from the input param. "
                                 f"Input tensor dtype: {x.dtype.name}, dtype: {dtype}")
            batch_size = x.shape[0] if x.shape.rank and x.shape[0] is not None else \
                array_ops.shape(x)[0]
            dtype = x.dtype
        if batch_size is None or dtype is None:
            raise ValueError(f"batch_size and dtype cannot be None while constructing initial "
                             f"state: batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    # -- calling -----------------------------------------------------------------------------
    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        """Run one step on ``inputs`` from ``state``: ``(output, new_state)``."""
        graph = op_builder.graph_of(*nest.flatten(inputs), *nest.flatten(state))
        with graph.as_default():
            if not self._reenters_outer_scope:
                return self._layer_call(inputs, state, scope)
            if scope is not None:
                with variable_scope(scope) as sc:
                    return self._layer_call(inputs, state, sc)
            if self._rnncell_scope is None:
                self._rnncell_scope = get_variable_scope()
            with variable_scope(self._rnncell_scope):
                return self._layer_call(inputs, state, None)

    def _set_scope(self, scope: Any) -> None:
        if self._scope is not None:
            return
        if self._reuse:
            with variable_scope(scope if scope is not None else self._base_name) as captured:
                self._scope = captured
        else:
            with variable_scope(scope, default_name=self._base_name) as captured:
                self._scope = captured

    def _layer_call(self, inputs: Any, state: Any, scope: Any) -> tuple[Any, Any]:
        inputs = nest.map_structure(_as_tensor, inputs)
        state = nest.map_structure(_as_tensor, state)
        self._set_scope(scope)
        assert self._scope is not None
        graph = get_default_graph()
        reuse = True if (self.built or self._reuse) else None
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as sc, \
                graph.name_scope(sc.original_name_scope or None):
            first = nest.flatten(inputs)[0]
            if not self.built:
                if self._dtype is None and isinstance(first, Tensor):
                    self._dtype = first.dtype
                if self._input_ndim is not None:
                    self._check_inputs(first)
                    self._input_depth = first.shape[-1]
                self.build(first.shape if isinstance(first, Tensor) else TensorShape(None))
                self.built = True
            elif self._input_ndim is not None:
                self._check_inputs(first)
            if self._checks_state:
                self._check_state(first, state)
            return self.call(inputs, state)

    def _check_inputs(self, x: Tensor) -> None:
        where = f"{type(self).__name__} '{self.scope_name}'"
        _check_supported_dtypes(x.dtype, f"inputs '{x.name}' of {where}")
        rank = x.shape.rank
        if rank is not None and rank != self._input_ndim:
            raise ValueError(f"Input 0 of layer {self.name} ({where}) is incompatible with the "
                             f"layer: expected ndim={self._input_ndim}, found ndim={rank}. Full "
                             f"shape received: {x.shape} (inputs '{x.name}'); a cell takes one "
                             "time step [batch, depth]: unstack the time axis (static_rnn) or "
                             "use gf.nn.dynamic_rnn")
        depth = x.shape[-1] if rank is not None else None
        if depth is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: {x.shape} "
                             f"(inputs '{x.name}' of {where}); give the placeholder a static "
                             "feature dimension")
        if self._input_depth is not None and depth != self._input_depth:
            raise ValueError(f"{where} was built for inputs of depth {self._input_depth}, but "
                             f"inputs '{x.name}' have shape {x.shape}; feed every step with "
                             f"the same depth (or use a new cell for other inputs)")
        if self._dtype is not None and x.dtype != self._dtype:
            raise ValueError(f"{where} has dtype {self._dtype.name}, but inputs '{x.name}' are "
                             f"{x.dtype.name}; cast the inputs with gf.cast")

    def _check_state(self, x: Any, state: Any) -> None:
        where = f"{type(self).__name__} '{self.scope_name}'"
        size = self.state_size
        err = _structure_error(size, state)
        if err:
            raise ValueError(f"{where}: the state does not match the cell's state_size "
                             f"{size!r} ({err}); got state {state!r}. Pass "
                             f"cell.zero_state(batch_size, dtype) or a state of that structure"
                             f"{' (state_is_tuple)' if nest.is_sequence(size) else ''}")
        batch = x.shape[0] if isinstance(x, Tensor) and x.shape.rank else None
        for s, t in zip(nest.flatten(size), nest.flatten(state)):
            dims = _size_dims(s)
            want = TensorShape([batch] + dims) if dims is not None else None
            if want is not None and not t.shape.is_compatible_with(want):
                raise ValueError(f"{where}: state tensor '{t.name}' has shape {t.shape}, but "
                                 f"the cell needs [batch, {', '.join(map(str, dims))}] = "
                                 f"{want} (state_size {size!r})")
            if self._dtype is not None and t.dtype != self._dtype:
                raise ValueError(f"{where}: state tensor '{t.name}' is {t.dtype.name}, but the "
                                 f"inputs are {self._dtype.name}; use one dtype (zero_state("
                                 f"batch, {self._dtype.name}))")


def _as_tensor(v: Any) -> Any:
    return v if isinstance(v, Tensor) else op_builder.convert_to_tensor(v)


class _LayerRNNCell(RNNCell):
    """TF's LayerRNNCell: ``__call__`` goes straight to the layer call (no outer scope)."""

    _reenters_outer_scope = False
    _input_ndim = 2
    _checks_state = True

    def _split(self, value: Tensor, n: int) -> list[Tensor]:
        one = op_builder.constant(1, dtype=dtypes.int32)
        return split_ops.split(value, n, axis=one)


# ----------------------------------------------------------------------------------------
# The cells
# ----------------------------------------------------------------------------------------


class BasicRNNCell(_LayerRNNCell):
    """``tf.nn.rnn_cell.BasicRNNCell``: output = new_state = act([x, h] @ kernel + bias);
    variables ``kernel`` [depth + num_units, num_units] and ``bias`` [num_units] (zeros)."""

    def __init__(self, num_units: int, activation: Any = None, reuse: Any = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        _check_supported_dtypes(self._dtype)
        self._num_units = _units(num_units, "num_units", self)
        self._activation = _activation(activation)

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth = inputs_shape[-1]
        self._kernel = self.add_variable(_WEIGHTS_VARIABLE_NAME,
                                         [depth + self._num_units, self._num_units])
        self._bias = self.add_variable(_BIAS_VARIABLE_NAME, [self._num_units],
                                       initializer=_zeros())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """Most basic RNN: output = new_state = act(W * input + U * state + B)."""
        gate_inputs = linalg_ops.matmul(layout_ops.concat([inputs, state], 1), self._kernel)
        gate_inputs = nn_ops.bias_add(gate_inputs, self._bias)
        output = self._activation(gate_inputs)
        return output, output


class GRUCell(_LayerRNNCell):
    """``tf.nn.rnn_cell.GRUCell`` (Cho et al., 2014): r, u = split(sigmoid([x, h] @
    gates/kernel + gates/bias)); c = act([x, r * h] @ candidate/kernel + candidate/bias);
    h' = u * h + (1 - u) * c. gates/bias starts at 1.0, candidate/bias at 0 (unless
    ``bias_initializer`` is given)."""

    def __init__(self, num_units: int, activation: Any = None, reuse: Any = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        _check_supported_dtypes(self._dtype)
        self._num_units = _units(num_units, "num_units", self)
        self._activation = _activation(activation)
        self._kernel_initializer = _initializer(kernel_initializer)
        self._bias_initializer = _initializer(bias_initializer)

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth, n = inputs_shape[-1], self._num_units
        bias_init = self._bias_initializer
        self._gate_kernel = self.add_variable(f"gates/{_WEIGHTS_VARIABLE_NAME}",
                                              [depth + n, 2 * n],
                                              initializer=self._kernel_initializer)
        self._gate_bias = self.add_variable(
            f"gates/{_BIAS_VARIABLE_NAME}", [2 * n],
            initializer=bias_init if bias_init is not None else _ones_like_tf())
        self._candidate_kernel = self.add_variable(f"candidate/{_WEIGHTS_VARIABLE_NAME}",
                                                   [depth + n, n],
                                                   initializer=self._kernel_initializer)
        self._candidate_bias = self.add_variable(
            f"candidate/{_BIAS_VARIABLE_NAME}", [n],
            initializer=bias_init if bias_init is not None else _zeros())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """Gated recurrent unit (GRU) with num_units cells."""
        gate_inputs = linalg_ops.matmul(layout_ops.concat([inputs, state], 1),
                                        self._gate_kernel)
        gate_inputs = nn_ops.bias_add(gate_inputs, self._gate_bias)
        value = activation_ops.sigmoid(gate_inputs)
        r, u = split_ops.split(value, 2, axis=1)
        r_state = r * state
        candidate = linalg_ops.matmul(layout_ops.concat([inputs, r_state], 1),
                                      self._candidate_kernel)
        candidate = nn_ops.bias_add(candidate, self._candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


_LSTMStateTupleBase = collections.namedtuple("_LSTMStateTupleBase", ("c", "h"))


class LSTMStateTuple(_LSTMStateTupleBase):
    """``tf.nn.rnn_cell.LSTMStateTuple(c, h)``: the LSTM state (``c`` the cell state, ``h``
    the output), used for state_size, zero_state and the returned state."""

    __slots__ = ()

    @property
    def dtype(self) -> Any:
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


class BasicLSTMCell(_LayerRNNCell):
    """``tf.nn.rnn_cell.BasicLSTMCell``: i, j, f, o = split([x, h] @ kernel + bias, 4);
    c' = c * sigmoid(f + forget_bias) + sigmoid(i) * act(j); h' = act(c') * sigmoid(o).
    Variables ``kernel`` [depth + num_units, 4 num_units], ``bias`` [4 num_units] (zeros).
    ``state_is_tuple``: the state is ``LSTMStateTuple(c, h)`` (else ``concat([c, h], 1)``)."""

    def __init__(self, num_units: int, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Any = None, reuse: Any = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        _check_supported_dtypes(self._dtype)
        self._num_units = _units(num_units, "num_units", self)
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)

    @property
    def state_size(self) -> Any:
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth, n = inputs_shape[-1], self._num_units
        self._kernel = self.add_variable(_WEIGHTS_VARIABLE_NAME, [depth + n, 4 * n])
        self._bias = self.add_variable(_BIAS_VARIABLE_NAME, [4 * n], initializer=_zeros())

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Long short-term memory cell (LSTM)."""
        sigmoid = activation_ops.sigmoid
        one = op_builder.constant(1, dtype=dtypes.int32)
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = split_ops.split(state, 2, axis=one)
        gate_inputs = linalg_ops.matmul(layout_ops.concat([inputs, h], 1), self._kernel)
        gate_inputs = nn_ops.bias_add(gate_inputs, self._bias)
        i, j, f, o = split_ops.split(gate_inputs, 4, axis=one)
        forget_bias_tensor = op_builder.constant(self._forget_bias, dtype=f.dtype)
        add, multiply = math_ops.add, math_ops.multiply
        new_c = add(multiply(c, sigmoid(add(f, forget_bias_tensor))),
                    multiply(sigmoid(i), self._activation(j)))
        new_h = multiply(self._activation(new_c), sigmoid(o))
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else \
            layout_ops.concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(_LayerRNNCell):
    """``tf.nn.rnn_cell.LSTMCell``: the LSTM with optional peepholes (``w_f_diag``,
    ``w_i_diag``, ``w_o_diag``; Sak et al., 2014), cell clipping (``cell_clip``), a projection
    ``projection/kernel`` [num_units, num_proj] of the output (clipped to ``proj_clip``) and
    ``forget_bias`` added to the forget gate. Variables ``kernel`` [depth + h_depth,
    4 num_units] (h_depth = num_proj or num_units) and ``bias`` [4 num_units] (zeros);
    ``initializer`` initializes the kernels and peepholes. Partitioned (sharded) variables
    are not supported."""

    def __init__(self, num_units: int, use_peepholes: bool = False, cell_clip: Any = None,
                 initializer: Any = None, num_proj: int | None = None, proj_clip: Any = None,
                 num_unit_shards: Any = None, num_proj_shards: Any = None,
                 forget_bias: float = 1.0, state_is_tuple: bool = True, activation: Any = None,
                 reuse: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        _check_supported_dtypes(self._dtype)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise NotImplementedError("LSTMCell: num_unit_shards/num_proj_shards (partitioned "
                                      "variables) are not supported by graphflow; leave them "
                                      "None")
        self._num_units = _units(num_units, "num_units", self)
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = _initializer(initializer)
        self._num_proj = None if num_proj is None else _units(num_proj, "num_proj", self)
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)
        n, p = self._num_units, self._num_proj
        if p:
            self._state_size: Any = LSTMStateTuple(n, p) if state_is_tuple else n + p
            self._output_size = p
        else:
            self._state_size = LSTMStateTuple(n, n) if state_is_tuple else 2 * n
            self._output_size = n

    @property
    def state_size(self) -> Any:
        return self._state_size

    @property
    def output_size(self) -> int:
        return self._output_size

    def build(self, inputs_shape: TensorShape) -> None:
        depth, n = inputs_shape[-1], self._num_units
        h_depth = n if self._num_proj is None else self._num_proj
        init = self._initializer
        self._kernel = self.add_variable(_WEIGHTS_VARIABLE_NAME, [depth + h_depth, 4 * n],
                                         initializer=init)
        self._bias = self.add_variable(_BIAS_VARIABLE_NAME, [4 * n], initializer=_zeros())
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", [n], initializer=init)
            self._w_i_diag = self.add_variable("w_i_diag", [n], initializer=init)
            self._w_o_diag = self.add_variable("w_o_diag", [n], initializer=init)
        if self._num_proj is not None:
            self._proj_kernel = self.add_variable(f"projection/{_WEIGHTS_VARIABLE_NAME}",
                                                  [n, self._num_proj], initializer=init)

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Run one step of LSTM: ``(m, LSTMStateTuple(c, m))``."""
        num_proj = self._num_units if self._num_proj is None else self._num_proj
        sigmoid = activation_ops.sigmoid
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = layout_ops.slice(state, [0, 0], [-1, self._num_units])
            m_prev = layout_ops.slice(state, [0, self._num_units], [-1, num_proj])
        lstm_matrix = linalg_ops.matmul(layout_ops.concat([inputs, m_prev], 1), self._kernel)
        lstm_matrix = nn_ops.bias_add(lstm_matrix, self._bias)
        i, j, f, o = split_ops.split(lstm_matrix, 4, axis=1)
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
                 + sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = clip_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = linalg_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = clip_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else \
            layout_ops.concat([c, m], 1)
        return m, new_state



class MultiRNNCell(RNNCell):
    """``tf.nn.rnn_cell.MultiRNNCell``: ``cells`` applied in order, cell i under the
    variable scope ``cell_<i>`` (``rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel``);
    the state is the tuple of the cells' states (``state_is_tuple``) or their
    concatenation."""

    def __init__(self, cells: Sequence[RNNCell], state_is_tuple: bool = True) -> None:
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not isinstance(cells, (list, tuple)):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells!r}.")
        for i, cell in enumerate(cells):
            assert_like_rnncell(f"cells[{i}]", cell)
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(nest.is_sequence(c.state_size) for c in self._cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple "
                             f"is not set.  State sizes are: {[c.state_size for c in cells]}")

    @property
    def state_size(self) -> Any:
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self) -> Any:
        return self._cells[-1].output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """The cells' zero states (a tuple), under ``MultiRNNCellZeroState``."""
        graph = batch_size.graph if isinstance(batch_size, Tensor) else get_default_graph()
        with graph.as_default(), graph.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [w for cell in self._cells for w in getattr(cell, "trainable_weights", [])]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        weights = [w for cell in self._cells for w in getattr(cell, "non_trainable_weights", [])]
        if not self.trainable:
            weights = [w for cell in self._cells
                       for w in getattr(cell, "trainable_weights", [])] + weights
        return weights

    trainable_variables = trainable_weights

    @property
    def variables(self) -> list[Variable]:
        return self.trainable_weights + self.non_trainable_weights

    def call(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        """Run this multi-layer cell on inputs, starting from state."""
        if self._state_is_tuple:
            err = _structure_error(self.state_size, state)
            if err:
                raise ValueError(f"MultiRNNCell '{self.scope_name}': expected state to be a "
                                 f"tuple of length {len(self._cells)} matching state_size "
                                 f"{self.state_size!r} ({err}), but received: {state!r}")
        cur_state_pos = 0
        cur_inp = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    cur_state = state[i]
                else:
                    cur_state = layout_ops.slice(state, [0, cur_state_pos],
                                                 [-1, cell.state_size])
                    cur_state_pos += cell.state_size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        out_state = tuple(new_states) if self._state_is_tuple else \
            layout_ops.concat(new_states, 1)
        return cur_inp, out_state


def _units(value: Any, what: str, cell: RNNCell) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{type(cell).__name__}: {what} must be a positive integer, got "
                         f"{value!r}")
    return value


def _initializer(init: Any) -> Any:
    if init is not None and isinstance(init, str):
        raise TypeError(f"initializer {init!r}: pass an initializer object such as "
                        "gf.glorot_uniform_initializer() (names are not supported)")
    return init


def _zeros() -> Any:
    return initializers.zeros_initializer()


def _ones_like_tf() -> Any:
    return initializers.constant_initializer(1.0)
