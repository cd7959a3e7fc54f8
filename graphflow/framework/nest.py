"""Nested structures of values, as TF1's ``tf.nest``: tuples, lists, namedtuples and dicts
(sorted by key) are structure; everything else (a Tensor, a TensorArray, a number) is a leaf.

``while_loop``'s loop variables, ``cond``'s branch results and RNN cells' states are such
structures; ``flatten`` and ``pack_sequence_as`` convert between them and flat lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def is_sequence(value: Any) -> bool:
    """True for the containers ``flatten`` descends into."""
    return isinstance(value, (list, tuple, Mapping))


def _children(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [value[k] for k in sorted(value)]
    return list(value)


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, depth first (dict values in sorted-key order)."""
    if not is_sequence(structure):
        return [structure]
    out: list[Any] = []
    for child in _children(structure):
        out.extend(flatten(child))
    return out


def _rebuild(structure: Any, children: list[Any]) -> Any:
    if isinstance(structure, Mapping):
        keys = sorted(structure)
        kind: Any = type(structure)
        return kind((k, v) for k, v in zip(keys, children))
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):  # namedtuple
        return type(structure)(*children)
    return type(structure)(children)


def pack_sequence_as(structure: Any, flat: list[Any]) -> Any:
    """``flat`` (leaves in ``flatten`` order) arranged like ``structure``."""
    flat = list(flat)
    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(f"cannot pack {len(flat)} values into a structure with {n} leaves: "
                         f"{structure!r}")
    it = iter(flat)

    def build(s: Any) -> Any:
        if not is_sequence(s):
            return next(it)
        return _rebuild(s, [build(c) for c in _children(s)])
    return build(structure)


def assert_same_structure(a: Any, b: Any, what: str = "structures") -> None:
    """ValueError (naming ``what``) unless ``a`` and ``b`` nest the same way."""
    if is_sequence(a) != is_sequence(b):
        raise ValueError(f"the {what} do not have the same nested structure: {a!r} vs {b!r}")
    if not is_sequence(a):
        return
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb) or (isinstance(a, Mapping) and sorted(a) != sorted(b)):
        raise ValueError(f"the {what} do not have the same nested structure: {a!r} vs {b!r}")
    for x, y in zip(ca, cb):
        assert_same_structure(x, y, what)


def map_structure(fn: Callable[..., Any], *structures: Any) -> Any:
    """``fn`` applied leaf-wise to ``structures`` (which must nest the same way)."""
    first = structures[0]
    for other in structures[1:]:
        assert_same_structure(first, other)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(first, [fn(*leaves) for leaves in zip(*flats)])
