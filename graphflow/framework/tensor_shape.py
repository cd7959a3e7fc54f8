"""Static (possibly partially known) tensor shapes.

A ``TensorShape`` has either unknown rank (``dims is None``) or a list of
dimensions, each an ``int`` or ``None`` for "unknown at graph-build time"
(TF1's ``?``). Indexing returns plain ``int``/``None`` (TF2-style), which keeps
shape rules short.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from graphflow.proto import tensor_shape_pb2

Dim = int | None


class TensorShape:
    """A static shape; see the module docstring."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Any = None) -> None:
        if dims is None:
            self._dims: tuple[Dim, ...] | None = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, tensor_shape_pb2.TensorShapeProto):
            self._dims = None if dims.unknown_rank else tuple(
                None if d.size < 0 else int(d.size) for d in dims.dim)
        elif isinstance(dims, (int,)) and not isinstance(dims, bool):
            self._dims = (_as_dim(dims),)
        else:
            self._dims = tuple(_as_dim(d) for d in dims)

    # -- queries ---------------------------------------------------------------------------
    @property
    def dims(self) -> tuple[Dim, ...] | None:
        return self._dims

    @property
    def rank(self) -> int | None:
        return None if self._dims is None else len(self._dims)

    ndims = rank

    def is_fully_defined(self) -> bool:
        return self._dims is not None and all(d is not None for d in self._dims)

    def as_list(self) -> list[Dim]:
        if self._dims is None:
            raise ValueError("as_list() is not defined on a shape of unknown rank")
        return list(self._dims)

    def num_elements(self) -> int | None:
        """The number of elements; None unless the shape is fully defined."""
        if self._dims is None:
            return None
        n = 1
        for d in self._dims:
            if d is None:
                return None
            n *= d
        return n

    def is_compatible_with(self, other: Any) -> bool:
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other: Any) -> TensorShape:
        """The most specific shape compatible with both; ValueError if incompatible."""
        shape = as_shape(other)
        if not self.is_compatible_with(shape):
            raise ValueError(f"shapes {self} and {shape} are not compatible")
        if self._dims is None:
            return shape
        if shape._dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, shape._dims)])

    def with_rank(self, rank: int) -> TensorShape:
        if self._dims is None:
            return TensorShape([None] * rank)
        if len(self._dims) != rank:
            raise ValueError(f"shape {self} must have rank {rank}")
        return self

    def concatenate(self, other: Any) -> TensorShape:
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def as_proto(self) -> tensor_shape_pb2.TensorShapeProto:
        proto = tensor_shape_pb2.TensorShapeProto()
        if self._dims is None:
            proto.unknown_rank = True
        else:
            for d in self._dims:
                proto.dim.add().size = -1 if d is None else d
        return proto

    # -- python protocol -------------------------------------------------------------------
    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("len() of a shape of unknown rank")
        return len(self._dims)

    def __iter__(self) -> Iterator[Dim]:
        if self._dims is None:
            raise ValueError("cannot iterate over a shape of unknown rank")
        return iter(self._dims)

    def __getitem__(self, key: Any) -> Any:
        if self._dims is None:
            if isinstance(key, slice):
                return TensorShape(None)
            return None
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other: object) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self) -> int:
        return hash(self._dims)

    def __repr__(self) -> str:
        return f"TensorShape({None if self._dims is None else list(self._dims)})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        inner = ", ".join("?" if d is None else str(d) for d in self._dims)
        return f"({inner}{',' if len(self._dims) == 1 else ''})"


def _as_dim(d: Any) -> Dim:
    if d is None:
        return None
    if hasattr(d, "value") and not isinstance(d, int):  # TF Dimension-like
        d = d.value
        if d is None:
            return None
    try:
        value = int(d)
    except (TypeError, ValueError):
        raise TypeError(f"a shape dimension must be an int or None, got {d!r}") from None
    if value < -1:
        raise ValueError(f"a shape dimension must be >= 0 (or None / -1 for unknown), got {value}")
    return None if value == -1 else value


def as_shape(shape: Any) -> TensorShape:
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def scalar() -> TensorShape:
    return TensorShape(())


def broadcast_shapes(a: TensorShape, b: TensorShape) -> TensorShape:
    """Numpy broadcasting of two static shapes; ValueError when they cannot broadcast."""
    if a.dims is None or b.dims is None:
        return TensorShape(None)
    out: list[Dim] = []
    da, db = list(a.dims), list(b.dims)
    n = max(len(da), len(db))
    one: list[Dim] = [1]
    da = one * (n - len(da)) + da
    db = one * (n - len(db)) + db
    for x, y in zip(da, db):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)  # ? vs k -> k (?==k or ?==1 at run time; the run-time check is numpy's)
        elif y is None:
            out.append(x)
        elif x == y:
            out.append(x)
        else:
            raise ValueError(f"shapes {a} and {b} cannot be broadcast together "
                             f"(dimension {x} vs {y})")
    return TensorShape(out)


def dims_from(values: Iterable[int] | Sequence[int]) -> TensorShape:
    return TensorShape([None if int(v) < 0 else int(v) for v in values])
