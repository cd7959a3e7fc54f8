"""TF1 variable sharing: ``gf.variable_scope``, ``gf.get_variable``, ``gf.get_variable_scope``.

A *variable scope* prefixes the names of variables made with ``get_variable`` and says
whether existing ones may be reused; entering one also opens the matching *name scope*
(for the other ops), exactly as TF1:

* ``variable_scope("a")`` -> variable prefix ``<outer>/a``; name scope ``a/`` (``a_1/`` if
  taken). Re-entering ``"a"`` later gives the same variable prefix but a new name scope.
* ``variable_scope(None, default_name="dense")`` -> ``dense``, ``dense_1``, ... (unique among
  the variable scopes opened so far inside the current one).
* ``variable_scope(scope_object)`` jumps to that scope's absolute name (with its reuse flag,
  initializer, dtype) and opens a name scope named after its last component.
* ``reuse``: ``True`` (only return existing variables), ``gf.AUTO_REUSE`` (return or create)
  or ``None``/``False`` (inherit the enclosing scope's flag; at the root: only create).
  Reuse is inherited by sub-scopes and cannot be switched off inside a reusing scope.

``get_variable(name)`` makes ``<scope>/<name>`` as a ``gf.Variable`` whose nodes are named
exactly ``<scope>/<name>`` (VariableV2), ``.../Assign``, ``.../read`` and
``.../Initializer/...`` — variable names depend only on the variable scope, never on name
scopes (the name scope is reset while the variable is built, and outer control
dependencies are cleared, as TF1's ``init_scope``). The store of these variables, the
current scope and the default-name counters live per Graph, in a private graph collection.
"""

from __future__ import annotations

import enum
import inspect
import os
import sys
from types import TracebackType
from typing import Any

from graphflow.framework import dtypes
from graphflow.framework.graph import Graph, GraphKeys, get_default_graph
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import as_shape
from graphflow.ops import initializers, op_builder
from graphflow.ops.variables import Variable

#: Private collection key holding the per-graph ``_VariableStore`` (one element).
_STORE_KEY = "__graphflow_variable_store"
#: TF1's ``tf.GraphKeys.REGULARIZATION_LOSSES`` (kept importable from here).
REGULARIZATION_LOSSES = GraphKeys.REGULARIZATION_LOSSES

__all__ = ["AUTO_REUSE", "VariableScope", "get_variable", "get_variable_scope",
           "variable_scope", "REGULARIZATION_LOSSES"]


class _ReuseMode(enum.Enum):
    """``reuse=gf.AUTO_REUSE``: get_variable creates the variable if absent, else returns it."""

    AUTO_REUSE = 1

    def __repr__(self) -> str:
        return "gf.AUTO_REUSE"


AUTO_REUSE = _ReuseMode.AUTO_REUSE


class VariableScope:
    """The state of one variable scope: name (absolute, no trailing '/'), reuse flag, default
    initializer, regularizer and dtype, and the name scope it opened
    (``original_name_scope``, with trailing '/', or '' at the root)."""

    def __init__(self, reuse: Any, name: str = "", initializer: Any = None,
                 regularizer: Any = None, dtype: Any = dtypes.float32,
                 name_scope: str = "") -> None:
        self._reuse = reuse
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = dtypes.as_dtype(dtype)
        self._name_scope = name_scope

    @property
    def name(self) -> str:
        return self._name

    @property
    def original_name_scope(self) -> str:
        return self._name_scope

    @property
    def reuse(self) -> Any:
        return self._reuse

    @property
    def initializer(self) -> Any:
        return self._initializer

    @property
    def regularizer(self) -> Any:
        return self._regularizer

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    def reuse_variables(self) -> None:
        """From now on, get_variable in this scope returns existing variables."""
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self._initializer = initializer

    def set_regularizer(self, regularizer: Any) -> None:
        self._regularizer = regularizer

    def set_dtype(self, dtype: Any) -> None:
        self._dtype = dtypes.as_dtype(dtype)

    def __repr__(self) -> str:
        return (f"<gf.VariableScope name={self._name!r} reuse={self._reuse!r} "
                f"name_scope={self._name_scope!r}>")


class _VariableStore:
    """Per-graph state: get_variable's variables (full name -> Variable, and where each was
    defined), the current variable scope, and how often each scope name was opened."""

    def __init__(self) -> None:
        self.variables: dict[str, Variable] = {}
        self.origins: dict[str, str] = {}
        self.current_scope = VariableScope(False)
        self.scope_counts: dict[str, int] = {}

    def open_scope(self, name: str) -> None:
        self.scope_counts[name] = self.scope_counts.get(name, 0) + 1

    def close_subscopes(self, name: str) -> None:
        """Leaving scope ``name`` forgets the default names used inside it (TF1)."""
        prefix = name + "/"
        for key in self.scope_counts:
            if not name or key.startswith(prefix):
                self.scope_counts[key] = 0

    def unique_scope_name(self, prefix: str) -> str:
        """``prefix``, or ``prefix_N`` with the smallest N >= 1 not yet opened here."""
        base = self.current_scope.name
        full = f"{base}/{prefix}" if base else prefix
        if self.scope_counts.get(full, 0) == 0:
            return prefix
        i = 1
        while self.scope_counts.get(f"{full}_{i}", 0) > 0:
            i += 1
        return f"{prefix}_{i}"


def _store(graph: Graph) -> _VariableStore:
    ref = graph.get_collection_ref(_STORE_KEY)
    if not ref:
        ref.append(_VariableStore())
    return ref[0]


def get_variable_scope() -> VariableScope:
    """``tf.get_variable_scope()``: the current variable scope of the default graph."""
    return _store(get_default_graph()).current_scope


def _check_reuse(reuse: Any) -> Any:
    if reuse is None or reuse is False:
        return None
    if reuse is True or reuse is AUTO_REUSE:
        return reuse
    raise ValueError(f"variable_scope: reuse must be True, False, None or gf.AUTO_REUSE, got "
                     f"{reuse!r}")


class variable_scope:  # noqa: N801  (TF1's name; a class, entered with `with`)
    """``tf.variable_scope``: a context manager opening a variable scope and its name scope.

    ``with gf.variable_scope("layer1") as scope:`` yields the ``VariableScope``. Arguments
    after ``regularizer`` are keyword-only; ``values`` only selects the graph (that of the
    first tensor among them). ``auxiliary_name_scope=False`` leaves the name scope as it is.
    """

    def __init__(self, name_or_scope: str | VariableScope | None,
                 default_name: str | None = None, values: Any = None,
                 initializer: Any = None, regularizer: Any = None, *, reuse: Any = None,
                 dtype: Any = None, auxiliary_name_scope: bool = True) -> None:
        if name_or_scope is None and default_name is None:
            raise TypeError("variable_scope: If default_name is None then name_or_scope is "
                            "required")
        if name_or_scope is not None and not isinstance(name_or_scope, (str, VariableScope)):
            raise TypeError(f"variable_scope: name_or_scope must be a string or a "
                            f"VariableScope, got {type(name_or_scope).__name__}: "
                            f"{name_or_scope!r}")
        self._reuse = _check_reuse(reuse)
        if name_or_scope is None and self._reuse:
            raise ValueError("variable_scope: reuse=True cannot be used without a "
                             "name_or_scope (a default_name is made unique, so there is "
                             "nothing to reuse); pass the scope's name")
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._values = values
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        self._aux = auxiliary_name_scope
        self._entered = False

    def __enter__(self) -> VariableScope:
        if self._entered:
            raise RuntimeError("variable_scope: this context manager is already active; "
                               "nest a new gf.variable_scope(...) (it may take a "
                               "VariableScope object) instead")
        self._entered = True
        graph = op_builder.graph_of(self._values) if self._values is not None \
            else get_default_graph()
        self._graph_ctx = graph.as_default()
        self._graph_ctx.__enter__()
        try:
            return self._enter(graph)
        except BaseException:
            self._graph_ctx.__exit__(*sys.exc_info())
            raise

    def _enter(self, graph: Graph) -> VariableScope:
        store = _store(graph)
        old = store.current_scope
        target = self._name_or_scope
        # 1. the name scope
        self._ns_ctx = None
        if self._aux:
            if isinstance(target, VariableScope):
                ns_name = target.name.split("/")[-1]
            else:
                ns_name = target if target is not None else self._default_name
            if ns_name:
                self._ns_ctx = graph.name_scope(ns_name)
                opened = self._ns_ctx.__enter__()
            else:  # "" prolongs the current variable scope: no new name scope
                current = graph.get_name_scope()
                opened = current + "/" if current else ""
        else:
            current = graph.get_name_scope()
            opened = current + "/" if current else ""
        # 2. the variable scope
        try:
            if isinstance(target, VariableScope):
                new = VariableScope(
                    self._reuse if self._reuse else target.reuse, name=target.name,
                    initializer=target.initializer, regularizer=target.regularizer,
                    dtype=target.dtype, name_scope=target.original_name_scope)
                self._saved_counts: dict[str, int] | None = dict(store.scope_counts)
            else:
                local = target if target is not None else \
                    store.unique_scope_name(self._default_name or "")
                name = (f"{old.name}/{local}" if old.name and local else (old.name or local))
                new = VariableScope(self._reuse or old.reuse, name=name,
                                    initializer=old.initializer, regularizer=old.regularizer,
                                    dtype=old.dtype, name_scope=opened)
                self._saved_counts = None
            if self._initializer is not None:
                new.set_initializer(self._initializer)
            if self._regularizer is not None:
                new.set_regularizer(self._regularizer)
            if self._dtype is not None:
                new.set_dtype(self._dtype)
        except BaseException:
            if self._ns_ctx is not None:
                self._ns_ctx.__exit__(*sys.exc_info())
            raise
        store.open_scope(new.name)
        self._store, self._old, self._scope = store, old, new
        store.current_scope = new
        return new

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        store = self._store
        if store.current_scope is not self._scope:  # nothing is undone: exit inner ones first
            raise RuntimeError(f"Improper nesting of variable_scope: leaving "
                               f"'{self._scope.name}' while '{store.current_scope.name}' "
                               "is the current scope")
        try:
            if self._saved_counts is not None:
                store.scope_counts = self._saved_counts
            else:
                store.close_subscopes(self._scope.name)
            store.current_scope = self._old
        finally:
            if self._ns_ctx is not None:
                self._ns_ctx.__exit__(exc_type, exc, tb)
            self._graph_ctx.__exit__(exc_type, exc, tb)
            self._entered = False  # may be entered again (with a fresh name scope)


# ----------------------------------------------------------------------------------------
# get_variable
# ----------------------------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _caller_location() -> str:
    """``file:line`` of the first stack frame outside the graphflow package."""
    frame = sys._getframe(1)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_PACKAGE_DIR + os.sep):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def _accepts_partition_info(fn: Any) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return "partition_info" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _default_initializer(full_name: str, dtype: dtypes.DType) -> Any:
    """TF1: glorot_uniform for floating variables, zeros for integer and bool ones."""
    if dtype.is_floating:
        return initializers.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_bool:
        return initializers.zeros_initializer()
    raise ValueError(f"An initializer for variable {full_name} of {dtype.name} is required")


def get_variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                 regularizer: Any = None, trainable: bool | None = None,
                 collections: list[str] | None = None, *, validate_shape: bool = True
                 ) -> Variable:
    """``tf.get_variable``: the variable ``<scope>/<name>`` — created (reuse None/False or
    AUTO_REUSE and absent) or returned (reuse True or AUTO_REUSE and present).

    ``dtype`` defaults to the scope's (float32); ``initializer`` is an initializer object
    or class (called with the shape and dtype), a Tensor or an array-like value (then
    ``shape`` must be omitted), or None: the scope's initializer, else glorot_uniform for
    floats and zeros for integers. ``regularizer(var)`` may return a loss tensor, added to
    the ``regularization_losses`` collection. When reusing, ``shape`` and ``dtype`` are
    checked against the existing variable (ValueError naming both)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"get_variable: name must be a non-empty string, got {name!r}")
    graph = get_default_graph()
    store = _store(graph)
    scope = store.current_scope
    full_name = f"{scope.name}/{name}" if scope.name else name
    from_value = initializer is not None and not callable(initializer)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        if isinstance(initializer, Tensor) and initializer.dtype != dtype:
            raise ValueError(f"get_variable '{full_name}': Initializer type "
                             f"'{initializer.dtype.name}' and explicit dtype '{dtype.name}' "
                             f"don't match (initializer tensor '{initializer.name}')")
    elif isinstance(initializer, Tensor):
        dtype = initializer.dtype
    want_dtype = dtype if dtype is not None else scope.dtype
    want_shape = as_shape(shape)
    reuse = scope.reuse

    found = store.variables.get(full_name)
    if found is not None:
        if not reuse:
            raise ValueError(
                f"Variable {full_name} already exists, disallowed. Did you mean to set "
                f"reuse=True or reuse=gf.AUTO_REUSE in VarScope? Originally defined at: "
                f"{store.origins.get(full_name, '<unknown>')}")
        if not want_shape.is_compatible_with(found.shape):
            raise ValueError(f"Trying to share variable {full_name}, but specified shape "
                             f"{want_shape} and found shape {found.shape}.")
        if not from_value and want_dtype != found.dtype:
            raise ValueError(f"Trying to share variable {full_name}, but specified dtype "
                             f"{want_dtype.name} and found dtype {found.dtype.name}.")
        return found
    if reuse is True:
        raise ValueError(f"Variable {full_name} does not exist, or was not created with "
                         "get_variable(). Did you mean to set reuse=gf.AUTO_REUSE in "
                         "VarScope?")

    # -- create -------------------------------------------------------------------------
    if from_value and shape is not None:
        raise ValueError(f"get_variable '{full_name}': If initializer is a constant, do not "
                         f"specify shape (got shape {want_shape}); the shape comes from the "
                         "value")
    if from_value:
        init_val: Any = initializer
        var_dtype = dtype  # None: the value's own dtype
    else:
        if initializer is None:
            initializer = scope.initializer
        if initializer is None:
            initializer = _default_initializer(full_name, want_dtype)
        if isinstance(initializer, type):
            initializer = initializer()
        if not want_shape.is_fully_defined():
            raise ValueError(f"Shape of a new variable ({full_name}) must be fully defined, "
                             f"but instead was {want_shape}.")
        dims = [int(d) for d in want_shape.as_list()]
        call_init = initializer

        def init_val() -> Tensor:
            with get_default_graph().name_scope("Initializer"):
                if _accepts_partition_info(call_init):
                    return call_init(dims, dtype=want_dtype, partition_info=None)
                return call_init(dims, dtype=want_dtype)
        var_dtype = want_dtype
    with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None):
        if graph.unique_name(full_name, mark_as_used=False) != full_name:
            raise ValueError(f"get_variable: cannot create variable '{full_name}': the graph "
                             f"already has a node named '{full_name}' that was not created "
                             "by get_variable(). Rename one of them (variable names must be "
                             "exact)")
        var = Variable(initial_value=init_val, trainable=True if trainable is None else trainable,
                       name=full_name, dtype=var_dtype, validate_shape=validate_shape,
                       collections=collections)
        if var.op.name != full_name:  # the check above makes this unreachable
            raise AssertionError(f"get_variable: created '{var.op.name}', not '{full_name}'")
        store.variables[full_name] = var
        store.origins[full_name] = _caller_location()
        if regularizer is None:
            regularizer = scope.regularizer
        if regularizer is not None:
            with graph.name_scope(full_name + "/Regularizer/"):
                loss = regularizer(var)
            if loss is not None:
                graph.add_to_collection(REGULARIZATION_LOSSES, loss)
    return var

