"""Python values <-> ``AttrValue`` protos (node attributes such as ``T`` or ``transpose_a``).

Decoding turns strings into ``str``, types into ``DType``, shapes into
``TensorShape`` and tensors into numpy arrays, so op rules read plain values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.framework import dtypes, tensor_util
from graphflow.framework.tensor_shape import TensorShape
from graphflow.proto import attr_value_pb2, tensor_pb2, tensor_shape_pb2


def encode(value: Any) -> attr_value_pb2.AttrValue:
    """Encode a Python value as an AttrValue, choosing the field by the value's type."""
    attr = attr_value_pb2.AttrValue()
    encode_into(attr, value)
    return attr


def encode_into(attr: attr_value_pb2.AttrValue, value: Any) -> None:
    """Fill ``attr`` (e.g. ``node.attr[key]``) from a Python value, without an extra copy."""
    if isinstance(value, dtypes.DType):  # the most common attr (T, dtype): test it first
        attr.type = value.as_datatype_enum
    elif isinstance(value, bool):
        attr.b = value
    elif isinstance(value, (int, np.integer)):
        attr.i = int(value)
    elif isinstance(value, (float, np.floating)):
        attr.f = float(value)
    elif isinstance(value, str):
        attr.s = value.encode("utf-8")
    elif isinstance(value, bytes):
        attr.s = value
    elif isinstance(value, attr_value_pb2.AttrValue):
        attr.CopyFrom(value)
    elif isinstance(value, TensorShape):
        attr.shape.CopyFrom(value.as_proto())
    elif isinstance(value, tensor_shape_pb2.TensorShapeProto):
        attr.shape.CopyFrom(value)
    elif isinstance(value, tensor_pb2.TensorProto):
        attr.tensor.CopyFrom(value)
    elif isinstance(value, np.ndarray):
        attr.tensor.CopyFrom(tensor_util.make_tensor_proto(value))
    elif isinstance(value, (list, tuple)):
        _encode_list(attr.list, list(value))
    else:
        raise TypeError(f"cannot store {type(value).__name__} value {value!r} as a node attribute")


def _encode_list(out: attr_value_pb2.AttrValue.ListValue, items: list[Any]) -> None:
    out.SetInParent()
    if not items:
        return
    first = items[0]
    if isinstance(first, bool):
        out.b.extend(bool(v) for v in items)
    elif isinstance(first, (int, np.integer)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        out.i.extend(int(v) for v in items)
    elif isinstance(first, (int, float, np.integer, np.floating)):  # floats, or ints mixed in
        if not all(isinstance(v, (int, float, np.integer, np.floating)) for v in items):
            raise TypeError(f"cannot store the mixed list {items!r} as a node attribute")
        out.f.extend(float(v) for v in items)
    elif isinstance(first, (str, bytes)):
        out.s.extend(v.encode("utf-8") if isinstance(v, str) else v for v in items)
    elif isinstance(first, dtypes.DType):
        out.type.extend(dtypes.as_dtype(v).as_datatype_enum for v in items)
    elif isinstance(first, TensorShape):
        out.shape.extend(TensorShape(v).as_proto() for v in items)
    else:
        raise TypeError(f"cannot store a list of {type(first).__name__} as a node attribute")


def decode(attr: attr_value_pb2.AttrValue) -> Any:
    """Decode an AttrValue into a plain Python value (see the module docstring)."""
    kind = attr.WhichOneof("value")
    if kind is None:
        return None
    if kind == "s":
        return _decode_bytes(attr.s)
    if kind in ("i", "f", "b", "placeholder"):
        return getattr(attr, kind)
    if kind == "type":
        return dtypes.as_dtype(attr.type)
    if kind == "shape":
        return TensorShape(attr.shape)
    if kind == "tensor":
        return tensor_util.make_ndarray(attr.tensor)
    if kind == "list":
        lst = attr.list
        if lst.s:
            return [_decode_bytes(s) for s in lst.s]
        if lst.i:
            return list(lst.i)
        if lst.f:
            return list(lst.f)
        if lst.b:
            return list(lst.b)
        if lst.type:
            return [dtypes.as_dtype(t) for t in lst.type]
        if lst.shape:
            return [TensorShape(s) for s in lst.shape]
        if lst.tensor:
            return [tensor_util.make_ndarray(t) for t in lst.tensor]
        return []
    if kind == "func":
        return attr.func.name
    raise TypeError(f"unsupported attribute kind {kind!r}")


def _decode_bytes(value: bytes) -> str | bytes:
    """UTF-8 text as ``str``; other bytes (binary attrs) unchanged."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value
