"""Ops that run Python-side effects: ``Print`` (passes its input through and prints the
data tensors to stderr, as TF1's ``tf.Print``), ``Assert`` (fails the run with an
InvalidArgumentError carrying the message and data when its condition is false) and
``PyFunc``/``PyFuncStateless`` (a registered Python callable runs as the kernel).

A PyFunc node names its callable by a ``token`` attr; the callable itself cannot be
serialized, so it lives in this module's registry (TF's ``FuncRegistry``) until its graph
is garbage-collected. A GraphDef holding PyFunc nodes runs only in the process that
registered the functions — loading one elsewhere fails with an error saying so."""

from __future__ import annotations

import itertools
import sys
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import op_builder
from graphflow.ops.op_base import one_or_tuple


def format_item(value: Any, summarize: int) -> str:
    """One data item as TF prints it, inside brackets: strings bare (``[msg]``), arrays as
    ``[1 2 3...]`` with at most ``summarize`` entries (all when summarize < 0)."""
    a = np.asarray(value)
    if a.dtype == object or a.dtype.kind in "SU":
        items = [v.decode() if isinstance(v, bytes) else str(v) for v in a.reshape(-1)]
    else:
        items = [str(v) for v in a.reshape(-1).tolist()]
    shown = items if summarize < 0 else items[:summarize]
    more = "..." if 0 <= summarize < len(items) else ""
    return f"[{' '.join(shown)}{more}]"


@register
class PrintOp(Op):
    """output = input; prints ``message`` and the ``data`` tensors to stderr each run (the
    first ``first_n`` runs when first_n >= 0)."""

    op_type = "Print"
    input_names = ("input", "*data")
    attr_defaults = {"message": "", "first_n": -1, "summarize": 3, "U": []}
    stateful = True  # a side effect: never folded or pruned as a pure function
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        return [TensorSpec(x.dtype, x.shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        message, first_n = ctx.attr("message"), ctx.attr("first_n")
        summarize = ctx.attr("summarize")
        counter = itertools.count()

        def print_(x: np.ndarray, *data: np.ndarray) -> np.ndarray:
            if first_n < 0 or next(counter) < first_n:
                parts = "".join(format_item(d, summarize) for d in data)
                sys.stderr.write(f"{message}{parts}\n")
                sys.stderr.flush()
            return x
        return print_

    def grad(self, op: Operation, g: Any) -> list[Any]:
        """d print(x) = g for the input; the data get none."""
        return [g] + [None] * (len(op.inputs) - 1)


@register
class AssertOp(Op):
    """Fails the run with InvalidArgumentError("assertion failed: [data0] [data1] ...")
    when the scalar bool ``condition`` is false; no outputs."""

    op_type = "Assert"
    input_names = ("condition", "*data")
    attr_defaults = {"summarize": 3, "T": []}
    stateful = True
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_dtype(0, lambda d: d == dtypes.bool_, "a bool scalar")
        ctx.require_rank(0, 0)
        return []

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        summarize = ctx.attr("summarize")

        def assert_(condition: np.ndarray, *data: np.ndarray) -> None:
            if not bool(condition):
                shown = " ".join(format_item(d, summarize) for d in data)
                raise ctx.invalid(f"assertion failed: {shown}")
        return assert_


# ----------------------------------------------------------------------------------------
# PyFunc
# ----------------------------------------------------------------------------------------

#: token -> (callable, gradient rule or None); entries are dropped with their graph.
_FUNCS: dict[str, tuple[Callable[..., Any], Callable[..., Any] | None]] = {}
_TOKENS = itertools.count()


def register_py_func(graph: Any, func: Callable[..., Any],
                     grad: Callable[..., Any] | None = None) -> str:
    """Keep ``func`` (and its gradient rule) under a new token for as long as ``graph``."""
    token = f"pyfunc_{next(_TOKENS)}"
    _FUNCS[token] = (func, grad)
    weakref.finalize(graph, _FUNCS.pop, token, None)
    return token


def registered_py_func(token: str) -> tuple[Callable[..., Any], Callable[..., Any] | None] | None:
    return _FUNCS.get(token)


@register
class PyFunc(Op):
    """outputs = func(*inputs), ``func`` being the Python callable registered under the
    ``token`` attr; outputs of dtypes ``Tout`` and shapes unknown until it runs."""

    op_type = "PyFunc"
    input_names = ("*input",)
    attr_defaults = {"Tin": [], "Tout": []}
    stateful = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        token = ctx.attr("token")
        if registered_py_func(token) is None:
            ctx.fail(f"the Python function of token '{token}' is not registered in this "
                     "process (a PyFunc's callable is not part of the GraphDef)",
                     "rebuild the graph with gf.py_func in this process")
        return [TensorSpec(dt, TensorShape(None)) for dt in ctx.attr("Tout")]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        token = ctx.attr("token")
        touts = list(ctx.attr("Tout"))
        entry = registered_py_func(token)
        if entry is None:
            raise ctx.invalid(f"the Python function of token '{token}' is no longer "
                              "registered", "rebuild the graph with gf.py_func")
        func = entry[0]

        def py_func(*args: np.ndarray) -> Any:
            try:
                result = func(*args)
            except Exception as err:  # the user's code: report it on this node
                raise ctx.invalid(f"the Python function raised {type(err).__name__}: {err}",
                                  "fix the function passed to gf.py_func") from err
            results = list(result) if isinstance(result, (list, tuple)) else [result]
            if len(touts) == 0 and (result is None or results == []):
                return None
            if len(results) != len(touts):
                raise ctx.invalid(f"the Python function returned {len(results)} value(s) but "
                                  f"Tout lists {len(touts)}", "return one value per Tout dtype")
            out = []
            for k, (r, dt) in enumerate(zip(results, touts)):
                a = np.asarray(r)
                if dt == dtypes.string:
                    out.append(a.astype(object))
                    continue
                if a.dtype != dt.np_dtype and not np.can_cast(a.dtype, dt.np_dtype,
                                                              casting="same_kind"):
                    raise ctx.invalid(f"output {k} of the Python function has dtype {a.dtype} "
                                      f"but Tout[{k}] is {dt.name}",
                                      "return arrays of the declared dtypes")
                out.append(a.astype(dt.np_dtype, copy=False))
            return one_or_tuple(out)
        return py_func

    def grad(self, op: Operation, *grads: Any) -> list[Any]:
        """The gradient rule given to gf.py_func(grad=...), else None for every input
        (TensorFlow registers no gradient for PyFunc)."""
        entry = registered_py_func(op.get_attr("token"))
        rule = entry[1] if entry is not None else None
        if rule is None:
            return [None] * len(op.inputs)
        out = rule(op, *grads)
        return list(out) if isinstance(out, (list, tuple)) else [out]


@register
class PyFuncStateless(PyFunc):
    """PyFunc for a function without side effects (``stateful=False``)."""

    op_type = "PyFuncStateless"
    stateful = False


# ----------------------------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------------------------


def _data_tensors(data: Sequence[Any], g: Any) -> list[Tensor]:
    with g.as_default():
        return [d if isinstance(d, Tensor) else op_builder.convert_to_tensor(d) for d in data]


def Print(input_: Any, data: Sequence[Any], message: str | None = None,  # noqa: N802
          first_n: int | None = None, summarize: int | None = None,
          name: str | None = None) -> Tensor:
    """``tf.Print(input_, data, message, first_n, summarize)``: ``input_`` unchanged; each
    run prints ``message`` followed by the data tensors to stderr."""
    x = op_builder.convert_to_tensor(input_)
    items = _data_tensors(list(data), x.graph)
    if not items:
        raise ValueError("gf.Print needs at least one data tensor (e.g. [x])")
    return op_builder.apply1("Print", [x, *items],
                             {"T": x.dtype, "U": [t.dtype for t in items],
                              "message": message or "",
                              "first_n": -1 if first_n is None else int(first_n),
                              "summarize": 3 if summarize is None else int(summarize)},
                             name=name or "Print")


def Assert(condition: Any, data: Sequence[Any], summarize: int | None = None,  # noqa: N802
           name: str | None = None) -> Operation:
    """``tf.Assert(condition, data)``: an op that fails the run with the data printed when
    the bool scalar ``condition`` is false (run it, or make others depend on it)."""
    c = op_builder.convert_to_tensor(condition)
    items = _data_tensors(list(data), c.graph)
    if not items:
        with c.graph.as_default():
            items = [op_builder.convert_to_tensor("Assertion failed")]
    return op_builder.apply("Assert", [c, *items],
                            {"T": [t.dtype for t in items],
                             "summarize": 3 if summarize is None else int(summarize)},
                            name=name or "Assert")


def py_func(func: Callable[..., Any], inp: Sequence[Any], Tout: Any,  # noqa: N803
            stateful: bool = True, name: str | None = None,
            grad: Callable[..., Any] | None = None) -> Any:
    """``tf.py_func(func, inp, Tout)``: ``func(*numpy values)`` runs as the kernel of a
    PyFunc node; returns one Tensor when ``Tout`` is one dtype, else a list. ``grad``
    (graphflow's extension, as ``tf.RegisterGradient`` on the op would be): a rule
    ``grad(op, *upstream) -> [gradient per input]`` built from graph ops; without it the
    inputs get no gradient."""
    single = not isinstance(Tout, (list, tuple))
    touts = [dtypes.as_dtype(t) for t in ([Tout] if single else Tout)]
    tensors = op_builder.convert_n(list(inp))
    if not tensors:
        raise ValueError("gf.py_func needs at least one input tensor in inp")
    graph = op_builder.graph_of(*tensors)
    token = register_py_func(graph, func, grad)
    op = op_builder.apply("PyFunc" if stateful else "PyFuncStateless", tensors,
                          {"token": token, "Tin": [t.dtype for t in tensors], "Tout": touts},
                          name=name or "PyFunc", graph=graph)
    outs = list(op.outputs)
    if single:
        return outs[0] if outs else op
    return outs
