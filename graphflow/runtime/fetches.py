"""Flatten nested fetch structures (lists, tuples, namedtuples, dicts) to graph elements
and rebuild the same structure from the fetched values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import IndexedSlices, IndexedSlicesValue
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
        mapping = type(item)
        return lambda values: mapping(zip(keys, (p(values) for p in parts)))
    if isinstance(item, tuple) and hasattr(item, "_fields"):  # namedtuple
        parts = [_flatten(graph, v, flat) for v in item]
        named = type(item)
        return lambda values: named(*(p(values) for p in parts))
    if isinstance(item, (list, tuple)):
        parts = [_flatten(graph, v, flat) for v in item]
        sequence = type(item)
        return lambda values: sequence(p(values) for p in parts)
    if isinstance(item, IndexedSlices):  # fetched as an IndexedSlicesValue
        return _flatten_slices(graph, item, flat)
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


def _flatten_slices(graph: Graph, item: IndexedSlices, flat: list[Any]
                    ) -> Callable[[list[Any]], Any]:
    parts = [item.values, item.indices]
    if item.dense_shape is not None:
        parts.append(item.dense_shape)
    part = _flatten(graph, parts, flat)
    static_shape = item.shape

    def combine(values: list[Any]) -> IndexedSlicesValue:
        got = part(values)
        shape = got[2] if len(got) > 2 else np.array(static_shape.as_list())
        return IndexedSlicesValue(got[0], got[1], shape)
    return combine
