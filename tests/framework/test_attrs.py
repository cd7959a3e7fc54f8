"""Tests for graphflow.framework.attrs: Python value <-> AttrValue round trips and errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import attrs
from graphflow.framework.tensor_shape import TensorShape
from graphflow.proto import attr_value_pb2, tensor_pb2, types_pb2

# (value, oneof field it must be stored in, decoded value)
CASES = [
    (True, "b", True),
    (False, "b", False),
    (0, "i", 0),
    (-7, "i", -7),
    (np.int64(5), "i", 5),
    (1.5, "f", 1.5),
    (np.float32(2.5), "f", 2.5),
    ("abc", "s", "abc"),
    ("", "s", ""),
    (b"\xff\x00", "s", b"\xff\x00"),  # bytes that are not UTF-8 stay bytes
    (gf.float32, "type", gf.float32),
    (TensorShape([None, 3]), "shape", TensorShape([None, 3])),
    (TensorShape(None), "shape", TensorShape(None)),
    (TensorShape([]), "shape", TensorShape([])),
    ([1, 2], "list", [1, 2]),
    ([1.5, 2.0], "list", [1.5, 2.0]),
    ([1, 2.5], "list", [1.0, 2.5]),  # ints mixed with floats: floats, not truncated
    (["a", "b"], "list", ["a", "b"]),
    ([b"\xff", b"ok"], "list", [b"\xff", "ok"]),
    ([True, False], "list", [True, False]),
    ([gf.int32, gf.float64], "list", [gf.int32, gf.float64]),
    ([TensorShape([1]), TensorShape(None)], "list", [TensorShape([1]), TensorShape(None)]),
    ([], "list", []),
]


@pytest.mark.parametrize(("value", "field", "decoded"), CASES, ids=[repr(c[0]) for c in CASES])
def test_round_trip(value, field, decoded):
    attr = attrs.encode(value)
    assert attr.WhichOneof("value") == field
    again = attr_value_pb2.AttrValue.FromString(attr.SerializeToString())
    out = attrs.decode(again)
    assert out == decoded and type(out) is type(decoded)


def test_dtype_is_stored_as_enum():
    assert attrs.encode(gf.float64).type == types_pb2.DT_DOUBLE
    assert list(attrs.encode([gf.int32]).list.type) == [types_pb2.DT_INT32]


def test_tensor_round_trip():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    attr = attrs.encode(array)
    assert attr.WhichOneof("value") == "tensor"
    out = attrs.decode(attr)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, array)
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_INT32)
    proto.int_val.append(4)
    assert attrs.decode(attrs.encode(proto)) == 4


def test_copy_of_attr_value_and_special_kinds():
    attr = attr_value_pb2.AttrValue(i=3)
    assert attrs.decode(attrs.encode(attr)) == 3
    assert attrs.decode(attr_value_pb2.AttrValue(placeholder="T")) == "T"
    func = attr_value_pb2.AttrValue()
    func.func.name = "my_fn"
    assert attrs.decode(func) == "my_fn"
    assert attrs.decode(attr_value_pb2.AttrValue()) is None


@pytest.mark.parametrize(("value", "pattern"), [
    ({"a": 1}, r"cannot store dict value \{'a': 1\} as a node attribute"),
    ([object()], r"cannot store a list of object as a node attribute"),
    ([1.5, "x"], r"cannot store the mixed list \[1.5, 'x'\] as a node attribute"),
])
def test_encode_errors(value, pattern):
    with pytest.raises(TypeError, match=pattern):
        attrs.encode(value)
