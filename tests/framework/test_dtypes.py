"""Tests for graphflow.framework.dtypes: as_dtype from names, numpy types, enums; errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import dtypes
from graphflow.proto import types_pb2

# (DType, TF DataType enum, numpy dtype, canonical name)
TABLE = [
    (gf.float16, types_pb2.DT_HALF, np.float16, "float16"),
    (gf.float32, types_pb2.DT_FLOAT, np.float32, "float32"),
    (gf.float64, types_pb2.DT_DOUBLE, np.float64, "float64"),
    (gf.int8, types_pb2.DT_INT8, np.int8, "int8"),
    (gf.int16, types_pb2.DT_INT16, np.int16, "int16"),
    (gf.int32, types_pb2.DT_INT32, np.int32, "int32"),
    (gf.int64, types_pb2.DT_INT64, np.int64, "int64"),
    (gf.uint8, types_pb2.DT_UINT8, np.uint8, "uint8"),
    (gf.bool, types_pb2.DT_BOOL, np.bool_, "bool"),
]


@pytest.mark.parametrize(("dt", "enum", "np_type", "name"), TABLE, ids=[r[3] for r in TABLE])
def test_as_dtype_from_every_spelling(dt, enum, np_type, name):
    assert dt.as_datatype_enum == enum
    assert dt.name == name and str(dt) == name and repr(dt) == f"gf.{name}"
    assert gf.as_dtype(name) is dt
    assert gf.as_dtype(np_type) is dt
    assert gf.as_dtype(np.dtype(np_type)) is dt
    assert gf.as_dtype(enum) is dt
    assert gf.as_dtype(enum + 100) is dt  # DT_*_REF: graphflow tracks the base type
    assert gf.as_dtype(dt) is dt
    assert dt.as_numpy_dtype is np.dtype(np_type).type
    assert dt.base_dtype is dt


def test_aliases_and_python_types():
    assert gf.as_dtype("float") is gf.float32
    assert gf.as_dtype("double") is gf.float64
    assert gf.as_dtype("half") is gf.float16
    assert gf.as_dtype(float) is gf.float32  # TF's default for Python floats
    assert gf.as_dtype(int) is gf.int32
    assert gf.as_dtype(bool) is gf.bool
    assert gf.as_dtype(np.str_) is gf.string
    assert gf.as_dtype(np.dtype(">f4")) is gf.float32  # byte order does not change the type


def test_equality_and_hash():
    assert gf.float32 == "float32" and gf.float32 == np.float32 and gf.float32 == 1
    assert gf.float32 != gf.float64
    assert (gf.float32 == "no such type") is False
    assert (gf.float32 == object()) is False
    assert len({gf.float32, gf.as_dtype("float32"), gf.as_dtype(np.float32)}) == 1


def test_kind_predicates():
    assert gf.float16.is_floating and gf.float64.is_floating and not gf.int32.is_floating
    assert gf.int8.is_integer and gf.uint8.is_integer and not gf.bool.is_integer
    assert gf.bool.is_bool and not gf.bool.is_numeric
    assert gf.int64.is_numeric and gf.float32.is_numeric
    assert not gf.string.is_numeric


def test_string_has_object_numpy_type():
    assert gf.string.as_datatype_enum == types_pb2.DT_STRING
    assert gf.string.as_numpy_dtype is np.object_


@pytest.mark.parametrize(("value", "pattern"), [
    ("floot32", r"unknown dtype name 'floot32'; supported: .*float32"),
    (types_pb2.DT_COMPLEX64, r"DataType DT_COMPLEX64 is not supported by graphflow"),
    (900, r"DataType 900 is not supported"),
    (np.complex64, r"numpy dtype complex64 is not supported by graphflow; supported:"),
    (object(), r"cannot interpret <object object .*> as a graphflow dtype"),
    (True, r"cannot interpret True as a graphflow dtype"),
])
def test_as_dtype_errors(value, pattern):
    with pytest.raises(TypeError, match=pattern):
        gf.as_dtype(value)


def test_supported_list_in_error_names_every_dtype():
    with pytest.raises(TypeError) as info:
        dtypes.as_dtype("nope")
    for name in ("bool", "float16", "float32", "float64", "int32", "int64", "string"):
        assert name in str(info.value)
