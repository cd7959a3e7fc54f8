"""``IndexedSlices``: a sparse set of rows of a dense tensor (TF's representation of the
gradient of a gather / embedding lookup). Only the looked-up rows are materialized."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from graphflow.framework.dtypes import DType
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import TensorShape


class IndexedSlicesValue(NamedTuple):
    """What ``Session.run`` returns for an IndexedSlices fetch."""

    values: np.ndarray
    indices: np.ndarray
    dense_shape: np.ndarray

    def to_dense(self) -> np.ndarray:
        """Scatter-add the rows into a dense array (duplicate indices are summed)."""
        out = np.zeros(tuple(int(d) for d in self.dense_shape), dtype=self.values.dtype)
        np.add.at(out, self.indices, self.values)
        return out


def as_dense(value: Any, dtype: Any = None) -> np.ndarray:
    """A fetched value as a dense array: an ``IndexedSlicesValue`` scattered into its dense
    shape (``to_dense``), anything else through ``np.asarray`` (with ``dtype`` if given)."""
    if isinstance(value, IndexedSlicesValue):
        value = value.to_dense()
    return np.asarray(value, dtype=dtype)


class IndexedSlices:
    """Rows ``values[i]`` of a dense tensor of shape ``dense_shape`` at row ``indices[i]``;
    duplicate indices mean their rows are summed."""

    def __init__(self, values: Tensor, indices: Tensor, dense_shape: Tensor | None = None,
                 static_dense_shape: TensorShape | None = None) -> None:
        self.values = values
        self.indices = indices
        self.dense_shape = dense_shape
        self._static_dense_shape = static_dense_shape

    @property
    def dtype(self) -> DType:
        return self.values.dtype

    @property
    def graph(self) -> Any:
        return self.values.graph

    @property
    def op(self) -> Any:
        return self.values.op

    @property
    def name(self) -> str:
        return self.values.name

    @property
    def shape(self) -> TensorShape:
        """Static shape of the dense tensor these rows belong to."""
        if self._static_dense_shape is not None:
            return self._static_dense_shape
        return TensorShape(None)

    def _as_fetches(self) -> tuple[list[Tensor], Any]:
        parts = [self.values, self.indices]
        if self.dense_shape is not None:
            parts.append(self.dense_shape)

        def combine(values: list[Any]) -> IndexedSlicesValue:
            shape = values[2] if len(values) > 2 else np.array(self.shape.as_list())
            return IndexedSlicesValue(values[0], values[1], shape)
        return parts, combine

    def __repr__(self) -> str:
        return (f"IndexedSlices(values={self.values.name}, indices={self.indices.name}, "
                f"dense_shape={self.shape})")
