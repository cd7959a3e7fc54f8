"""Tests for graphflow.framework.tensor_shape: unknown rank/dims, merge, compatibility,
protos and numpy-style broadcasting of static shapes."""

from __future__ import annotations

import numpy as np
import pytest

from graphflow.framework.tensor_shape import TensorShape, as_shape, broadcast_shapes
from graphflow.proto import tensor_shape_pb2

S = TensorShape


def test_unknown_rank():
    s = S(None)
    assert s.rank is None and s.ndims is None and s.dims is None
    assert not s.is_fully_defined() and s.num_elements() is None
    assert str(s) == "<unknown>"
    assert s[0] is None and s[1:] == S(None)
    with pytest.raises(ValueError, match="unknown rank"):
        s.as_list()
    with pytest.raises(ValueError, match="unknown rank"):
        len(s)
    with pytest.raises(ValueError, match="unknown rank"):
        list(s)


def test_unknown_dims():
    s = S([None, 3])
    assert s.rank == 2 and s.as_list() == [None, 3] and len(s) == 2
    assert str(s) == "(?, 3)" and str(S([2])) == "(2,)" and str(S([])) == "()"
    assert not s.is_fully_defined() and s.num_elements() is None
    assert S([2, 3, 4]).num_elements() == 24 and S([]).num_elements() == 1
    assert S([-1, 2]) == S([None, 2])  # -1 is TF's spelling of an unknown dim
    assert S(3) == S([3])
    assert s[1] == 3 and s[0] is None and s[:1] == S([None])


@pytest.mark.parametrize(("bad", "exc", "pattern"), [
    ([-2], ValueError, r"must be >= 0 \(or None / -1 for unknown\), got -2"),
    (["a"], TypeError, r"must be an int or None, got 'a'"),
])
def test_bad_dims(bad, exc, pattern):
    with pytest.raises(exc, match=pattern):
        S(bad)


@pytest.mark.parametrize(("a", "b", "compatible", "merged"), [
    ([None, 3], [2, None], True, [2, 3]),
    ([2, 3], [2, 3], True, [2, 3]),
    ([2, 3], [2, 4], False, None),
    ([2, 3], [2], False, None),
    (None, [1, 2], True, [1, 2]),
    ([None], None, True, [None]),
    (None, None, True, None),
])
def test_compatible_and_merge(a, b, compatible, merged):
    assert S(a).is_compatible_with(S(b)) is compatible
    assert S(b).is_compatible_with(a) is compatible
    if compatible:
        assert S(a).merge_with(b) == S(merged)
        assert S(b).merge_with(S(a)) == S(merged)
    else:
        with pytest.raises(ValueError, match=r"shapes .* and .* are not compatible"):
            S(a).merge_with(b)


def test_with_rank_and_concatenate():
    assert S(None).with_rank(2) == S([None, None])
    assert S([1, 2]).with_rank(2) == S([1, 2])
    with pytest.raises(ValueError, match=r"shape \(1,\) must have rank 2"):
        S([1]).with_rank(2)
    assert S([1]).concatenate([2, None]) == S([1, 2, None])
    assert S(None).concatenate([2]) == S(None)


def test_equality_and_hash():
    assert S([1, None]) == S([1, None]) == [1, None]
    assert S([1, 2]) != S([2, 1])
    assert S(None) != S([])
    assert hash(S([1, 2])) == hash(S((1, 2)))
    assert as_shape([1, 2]) == S([1, 2]) and as_shape(S([3])) == S([3])


@pytest.mark.parametrize("dims", [None, [], [None, 3], [0, 5, 1]])
def test_proto_round_trip(dims):
    proto = S(dims).as_proto()
    assert isinstance(proto, tensor_shape_pb2.TensorShapeProto)
    assert proto.unknown_rank is (dims is None)
    if dims is not None:
        assert [d.size for d in proto.dim] == [-1 if d is None else d for d in dims]
    assert S(proto) == S(dims)


@pytest.mark.parametrize(("a", "b", "out"), [
    ([2, 1, 4], [3, 1], [2, 3, 4]),
    ([], [2, 5], [2, 5]),
    ([None, 3], [3], [None, 3]),
    ([None, 3], [1, 3], [None, 3]),
    ([None], [4], [4]),       # ? broadcasts against 4 only if it is 4 (or 1) at run time
    ([1], [None], [None]),
    ([None], [None], [None]),
    ([5, 1, 3], [2, 1], [5, 2, 3]),
])
def test_broadcast_shapes(a, b, out):
    assert broadcast_shapes(S(a), S(b)) == S(out)
    assert broadcast_shapes(S(b), S(a)) == S(out)
    if None not in a + b:  # agrees with numpy where everything is known
        assert list(np.broadcast_shapes(tuple(a), tuple(b))) == out


def test_broadcast_unknown_rank():
    assert broadcast_shapes(S(None), S([2])) == S(None)


def test_broadcast_error_names_both_shapes_and_dims():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 3\) cannot be broadcast "
                                         r"together \(dimension 2 vs 4\)"):
        broadcast_shapes(S([2, 3]), S([4, 3]))
