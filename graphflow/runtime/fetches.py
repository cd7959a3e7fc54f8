"""Flatten nested fetch structures (lists, tuples, namedtuples, dicts) to graph elements
and rebuild the same structure from the fetched values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.framework.graph import Graph
from graphflow.framework.tensor import Operation, Tensor


def flatten_fetches(graph: Graph, fetches: Any) -> tuple[list[Tensor | Operation],
                                                          Callable[[list[Any]], Any]]:
    """Return the flat list of graph elements in ``fetches`` and a function that rebuilds
    the original structure from a flat list of values."""
    flat: list[Tensor | Operation] = []
    rebuild = _flatten(graph, fetches, flat)
    return flat, rebuild


def _flatten(graph: Graph, item: Any, flat: list[Any]) -> Callable[[list[Any]], Any]:
    if isinstance(item, (Tensor, Operation)):
        graph.check_same_graph(item, "this session's graph")
        index = len(flat)
        flat.append(item)
        return lambda values: values[index]
    if isinstance(item, dict):
        keys = list(item.keys())
        parts = [_flatten(graph, item[k], flat) for k in keys]
        cls = type(item)
        return lambda values: cls(zip(keys, (p(values) for p in parts)))
    if isinstance(item, tuple) and hasattr(item, "_fields"):  # namedtuple
        parts = [_flatten(graph, v, flat) for v in item]
        cls = type(item)
        return lambda values: cls(*(p(values) for p in parts))
    if isinstance(item, (list, tuple)):
        parts = [_flatten(graph, v, flat) for v in item]
        cls = type(item)
        return lambda values: cls(p(values) for p in parts)
    if hasattr(item, "_as_fetches"):  # IndexedSlices and friends
        sub, combine = item._as_fetches()
        part = _flatten(graph, sub, flat)
        return lambda values: combine(part(values))
    if item is None:
        raise TypeError("a fetch was None: Session.run() fetches must be Tensors, Operations, "
                        "tensor/op names or nested lists/tuples/dicts of them")
    try:
        element = graph.as_graph_element(item)
    except (KeyError, ValueError) as err:
        raise ValueError(f"cannot fetch {item!r}: {err}") from None
    index = len(flat)
    flat.append(element)
    return lambda values: values[index]
