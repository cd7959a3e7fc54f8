"""Data types: graphflow's DType objects, mapped to numpy dtypes and TF DataType enums."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.proto import types_pb2


class DType:
    """An element type, e.g. ``gf.float32``; wraps a TensorFlow ``DataType`` enum value."""

    __slots__ = ("_enum", "_name", "_np")
    _np: np.dtype[Any] | None

    def __init__(self, enum: types_pb2.DataType, name: str, np_dtype: Any) -> None:
        self._enum = enum
        self._name = name
        self._np = np.dtype(np_dtype) if np_dtype is not None else None

    @property
    def name(self) -> str:
        return self._name

    @property
    def as_datatype_enum(self) -> types_pb2.DataType:
        return self._enum

    @property
    def as_numpy_dtype(self) -> type:
        if self._np is None:
            raise TypeError(f"dtype {self._name} has no numpy equivalent in graphflow")
        return self._np.type

    @property
    def np_dtype(self) -> np.dtype:
        if self._np is None:
            raise TypeError(f"dtype {self._name} has no numpy equivalent in graphflow")
        return self._np

    @property
    def is_floating(self) -> bool:
        return self._np is not None and self._np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self._np is not None and self._np.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self._np is not None and self._np.kind == "b"

    @property
    def is_numeric(self) -> bool:
        return self.is_floating or self.is_integer

    @property
    def base_dtype(self) -> DType:
        return self

    def __repr__(self) -> str:
        return f"gf.{self._name}"

    def __str__(self) -> str:
        return self._name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self._enum == other._enum
        try:
            return self._enum == as_dtype(other)._enum
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self._enum)


float16 = DType(types_pb2.DT_HALF, "float16", np.float16)
float32 = DType(types_pb2.DT_FLOAT, "float32", np.float32)
float64 = DType(types_pb2.DT_DOUBLE, "float64", np.float64)
int8 = DType(types_pb2.DT_INT8, "int8", np.int8)
int16 = DType(types_pb2.DT_INT16, "int16", np.int16)
int32 = DType(types_pb2.DT_INT32, "int32", np.int32)
int64 = DType(types_pb2.DT_INT64, "int64", np.int64)
uint8 = DType(types_pb2.DT_UINT8, "uint8", np.uint8)
uint16 = DType(types_pb2.DT_UINT16, "uint16", np.uint16)
uint32 = DType(types_pb2.DT_UINT32, "uint32", np.uint32)
uint64 = DType(types_pb2.DT_UINT64, "uint64", np.uint64)
bool_ = DType(types_pb2.DT_BOOL, "bool", np.bool_)
string = DType(types_pb2.DT_STRING, "string", np.object_)
#: A handle to a run-time resource (a TensorArray, a stack): a Python object at run time,
#: never fed, fetched as that object (TensorFlow's DT_RESOURCE).
resource = DType(types_pb2.DT_RESOURCE, "resource", np.object_)

half = float16
double = float64

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
        bool_, string, resource]
_BY_ENUM: dict[int, DType] = {d.as_datatype_enum: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "double": float64, "float": float32, "bool_": bool_})
_BY_NP = {d.np_dtype: d for d in _ALL if d.np_dtype.kind != "O"}
_REF_OFFSET = 100


def as_dtype(value: Any) -> DType:
    """Convert a DType, numpy dtype/type, DataType enum value or name to a DType."""
    if isinstance(value, DType):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        enum = int(value)
        # DT_FLOAT_REF etc.: graphflow tracks the base type (the message names the value given)
        base = enum - _REF_OFFSET if enum > _REF_OFFSET else enum
        if base in _BY_ENUM:
            return _BY_ENUM[base]
        name = types_pb2.DataType.Name(enum) if enum in types_pb2.DataType.values() else enum
        raise TypeError(f"DataType {name} is not supported by graphflow; supported: "
                        f"{', '.join(sorted(_BY_NAME))}")
    if isinstance(value, str):
        if value in _BY_NAME:
            return _BY_NAME[value]
        raise TypeError(f"unknown dtype name {value!r}; supported: {', '.join(sorted(_BY_NAME))}")
    if value is bool:
        return bool_
    if value is float:
        return float32
    if value is int:
        return int32
    try:
        np_dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"cannot interpret {value!r} as a graphflow dtype") from None
    if np_dtype.kind in "USO":
        return string
    if np_dtype.byteorder not in "=|":  # e.g. big-endian '>f4': same element type
        np_dtype = np_dtype.newbyteorder("=")
    if np_dtype in _BY_NP:
        return _BY_NP[np_dtype]
    raise TypeError(f"numpy dtype {np_dtype} is not supported by graphflow; supported: "
                    f"{', '.join(sorted(_BY_NAME))}")
