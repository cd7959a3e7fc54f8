"""Helpers every builder function uses: pick the graph, convert Python values, add a node.

``convert_to_tensor`` follows TF1: Tensors pass through (dtype-checked),
registered types (``Variable``, ``IndexedSlices``) convert themselves, and
anything else becomes a ``Const`` node in the graph of the other inputs.
``int_input`` turns index/shape arguments into integer tensors; ``dense`` densifies an
``IndexedSlices`` gradient; ``raw_op`` adds one node of any op type (TF's generated
``gen_*_ops`` wrappers), for the few gradient rules of a low op family that need an op of a
higher one (see the package docstring for the order of the families).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.framework import dtypes, tensor_util
from graphflow.framework.graph import Graph, get_default_graph
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Operation, Tensor

_CONVERSIONS: list[tuple[type, Callable[..., Tensor]]] = []


def register_tensor_conversion_function(base_type: type, func: Callable[..., Tensor]) -> None:
    """``func(value, dtype=None, name=None) -> Tensor`` converts instances of ``base_type``."""
    _CONVERSIONS.append((base_type, func))


def graph_of(*values: Any) -> Graph:
    """The graph of the first graph element among ``values`` (else the default graph)."""
    for v in values:
        if isinstance(v, (list, tuple)):
            for item in v:
                g = _element_graph(item)
                if g is not None:
                    return g
        g = _element_graph(v)
        if g is not None:
            return g
    return get_default_graph()


def _element_graph(v: Any) -> Graph | None:
    if isinstance(v, (Tensor, Operation)):
        return v.graph
    graph = getattr(v, "graph", None)
    return graph if isinstance(graph, Graph) else None


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const",
             graph: Graph | None = None) -> Tensor:
    """``gf.constant``: a ``Const`` node holding ``value`` (broadcast to ``shape`` if given)."""
    proto = tensor_util.make_tensor_proto(value, dtype=dtype, shape=shape)
    g = graph or get_default_graph()
    return g.create_op("Const", [], {"dtype": dtypes.as_dtype(proto.dtype), "value": proto},
                       name=name).outputs[0]


def convert_to_tensor(value: Any, dtype: Any = None, name: str | None = None,
                      preferred_dtype: Any = None, graph: Graph | None = None) -> Tensor:
    """Turn ``value`` into a Tensor of ``dtype`` (TypeError naming both dtypes on mismatch)."""
    want = dtypes.as_dtype(dtype) if dtype is not None else None
    if isinstance(value, Tensor):
        if want is not None and value.dtype != want:
            raise TypeError(f"tensor '{value.name}' has dtype {value.dtype.name} but "
                            f"{want.name} is required here; convert it with "
                            f"gf.cast({value.op.name}, gf.{want.name})")
        return value
    for base_type, func in _CONVERSIONS:
        if isinstance(value, base_type):
            return convert_to_tensor(func(value, dtype=want, name=name), want)
    if isinstance(value, Operation):
        raise TypeError(f"operation '{value.name}' ({value.type}) has no value; pass one of its "
                        "outputs (op.outputs[0]) instead")
    if value is None:
        raise TypeError("None cannot be converted to a tensor")
    if want is None and preferred_dtype is not None:
        try:
            return constant(value, dtype=preferred_dtype, name=name or "Const", graph=graph)
        except (TypeError, ValueError, OverflowError):
            pass
    if want is not None and isinstance(value, np.ndarray) and value.dtype.kind == "f" \
            and want.is_integer:
        raise TypeError(f"cannot convert a float array to {want.name}; use gf.cast")
    return constant(value, dtype=want, name=name or "Const", graph=graph)


def convert_n(values: Sequence[Any], dtype: Any = None, graph: Graph | None = None) -> list[Tensor]:
    """Convert several values; Python numbers take the dtype of the first Tensor among them."""
    g = graph or graph_of(*values)
    hint = dtype
    if hint is None:
        for v in values:
            if isinstance(v, Tensor):
                hint = v.dtype
                break
            if hasattr(v, "dtype") and not isinstance(v, np.ndarray) and \
                    isinstance(v.dtype, dtypes.DType):
                hint = v.dtype
                break
    with g.as_default():
        return [convert_to_tensor(v, dtype=dtype, preferred_dtype=hint, graph=g) for v in values]


def apply(op_type: str, inputs: Sequence[Tensor], attrs: dict[str, Any] | None = None,
          name: str | None = None, graph: Graph | None = None) -> Operation:
    """Add one node of ``op_type`` to the inputs' graph and return its Operation."""
    g = graph or graph_of(*inputs)
    return g.create_op(op_type, list(inputs), attrs, name=name)


def apply1(op_type: str, inputs: Sequence[Tensor], attrs: dict[str, Any] | None = None,
           name: str | None = None, graph: Graph | None = None) -> Tensor:
    """``apply`` for single-output ops: returns the output Tensor."""
    return apply(op_type, inputs, attrs, name, graph).outputs[0]


def raw_op(op_type: str, inputs: Sequence[Any], attrs: dict[str, Any] | None = None,
           name: str | None = None) -> Tensor:
    """One node of ``op_type`` (its first output) with exactly the given attrs; inputs that
    are not Tensors become int32 ``Const`` nodes (axes, shapes). Low op families use it for
    an op of a family above them, so the family modules import each other one way only."""
    g = graph_of(*inputs)
    with g.as_default():
        tensors = [v if isinstance(v, Tensor) else
                   constant(np.asarray(v, dtype=np.int32), graph=g) for v in inputs]
    return apply1(op_type, tensors, attrs, name=name or op_type, graph=g)


def raw_sum(x: Tensor, axes: Any, keep_dims: bool = False) -> Tensor:
    """One ``Sum`` node over ``axes`` (a list, or an int tensor), exactly as
    ``reduction_ops.reduce_sum`` builds it, for the families below the reductions."""
    tidx = axes.dtype if isinstance(axes, Tensor) else dtypes.int32
    return raw_op("Sum", [x, axes], {"T": x.dtype, "Tidx": tidx, "keep_dims": keep_dims})


def int_input(value: Any, name: str, dtype: Any = None) -> Tensor:
    """An integer index/shape input: Tensors pass through, lists containing Tensors are
    stacked (one ``Pack``), Python/numpy integers become an int32 Const (int64 if they need
    it)."""
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
        return convert_to_tensor(value, dtype=dtype)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        tensors = convert_n(list(value))
        return apply1("Pack", tensors, {"N": len(tensors), "T": tensors[0].dtype, "axis": 0},
                      name=name)
    array = np.asarray(value)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers (or an int32/int64 tensor), got {value!r}")
    if dtype is None:
        fits = not array.size or (array.min() >= -2 ** 31 and array.max() < 2 ** 31)
        dtype = dtypes.int32 if fits else dtypes.int64
    return constant(array.astype(dtypes.as_dtype(dtype).np_dtype), name=name)


def dense(g: Any) -> Any:
    """An upstream gradient as a dense Tensor (an IndexedSlices is scattered into zeros by
    its registered conversion); Tensors and None pass through."""
    return convert_to_tensor(g) if isinstance(g, IndexedSlices) else g
