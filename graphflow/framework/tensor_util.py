"""Conversions between numpy arrays and ``TensorProto`` (TF's serialized tensor value).

``make_tensor_proto`` writes a single repeated value for splat constants (all
elements equal, TF's compact form) and raw ``tensor_content`` bytes otherwise.
``make_ndarray`` reads every form TensorFlow writes: ``tensor_content``, the
typed ``*_val`` fields, and the version-0 rule that a single value fills the shape.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.tensor_shape import TensorShape
from graphflow.proto import tensor_pb2, types_pb2

# DataType enum -> name of the typed repeated field holding its values.
_VAL_FIELD = {
    types_pb2.DT_FLOAT: "float_val",
    types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_INT32: "int_val",
    types_pb2.DT_INT16: "int_val",
    types_pb2.DT_INT8: "int_val",
    types_pb2.DT_UINT8: "int_val",
    types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_INT64: "int64_val",
    types_pb2.DT_BOOL: "bool_val",
    types_pb2.DT_HALF: "half_val",
    types_pb2.DT_STRING: "string_val",
    types_pb2.DT_UINT32: "uint32_val",
    types_pb2.DT_UINT64: "uint64_val",
}


_INT32 = np.iinfo(np.int32)


def _default_dtype(array: np.ndarray) -> dtypes.DType:
    """TF's defaults: Python floats become float32, Python ints int32 (int64 when a value
    does not fit in int32, as ``tf.constant(2**40)`` does, instead of wrapping around)."""
    if array.dtype == np.float64:
        return dtypes.float32
    if array.dtype == np.int64:
        if array.size and (array.min() < _INT32.min or array.max() > _INT32.max):
            return dtypes.int64
        return dtypes.int32
    return dtypes.as_dtype(array.dtype)


def to_numpy(values: Any, dtype: Any = None) -> np.ndarray:
    """Convert a Python/numpy value to an array of the graphflow dtype (or its default)."""
    if dtype is not None:
        dt = dtypes.as_dtype(dtype)
        src = np.asarray(values)
        if dt.is_integer and src.dtype.kind == "f" and not np.all(np.mod(src, 1) == 0):
            raise TypeError(f"cannot convert non-integer value {values!r} to {dt.name} "
                            "without losing information; cast explicitly with gf.cast")
        if dt is dtypes.string:
            return np.asarray(values, dtype=object)
        return np.asarray(values, dtype=dt.np_dtype)
    if isinstance(values, np.ndarray) or np.isscalar(values) and isinstance(values, np.generic):
        return np.asarray(values)
    array = np.asarray(values)
    if array.dtype.kind in "US":
        return array.astype(object)
    return array.astype(_default_dtype(array).np_dtype)


def make_tensor_proto(values: Any, dtype: Any = None, shape: Any = None) -> tensor_pb2.TensorProto:
    """Serialize ``values`` (broadcast to ``shape`` if given) as a ``TensorProto``."""
    array = to_numpy(values, dtype)
    dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.as_dtype(array.dtype)
    proto = tensor_pb2.TensorProto(dtype=dt.as_datatype_enum)
    if shape is not None:
        target = [int(d) for d in shape]
        if array.size == 1:
            array = np.broadcast_to(array.reshape(()), target)
        elif list(array.shape) != target:
            if array.size != int(np.prod(target)):
                raise ValueError(f"cannot make a constant of shape {tuple(target)} from a value "
                                 f"of shape {array.shape} ({array.size} elements)")
            array = array.reshape(target)
    proto.tensor_shape.CopyFrom(TensorShape(array.shape).as_proto())
    flat = array.reshape(-1)
    field = _VAL_FIELD.get(dt.as_datatype_enum)
    if dt is dtypes.string:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in flat)
    elif flat.size > 0 and field is not None and _is_splat(flat):
        first = flat[:1]
        if dt is dtypes.float16:
            proto.half_val.append(int(first.view(np.uint16)[0]))
        else:
            getattr(proto, field).append(first[0].item())
    elif flat.size > 0:
        proto.tensor_content = np.ascontiguousarray(flat).astype(
            dt.np_dtype.newbyteorder("<"), copy=False).tobytes()
    return proto


def _is_splat(flat: np.ndarray) -> bool:
    """All elements identical bit for bit (so -0.0 next to 0.0 is not a splat)."""
    if flat.size == 1:
        return True
    if flat.dtype.kind == "f":
        bits = flat.view(f"u{flat.dtype.itemsize}")
        return bool(np.all(bits == bits[0]))
    return bool(np.all(flat == flat[0]))


def check_tensor_proto(proto: tensor_pb2.TensorProto) -> None:
    """What ``make_ndarray`` would refuse, found without decoding the values (cheap for large
    constants): an unsupported dtype, a shape that is not fully defined, content whose byte
    count does not match the shape, or more values than the shape holds. Raises ValueError
    or TypeError with the reason."""
    dt = dtypes.as_dtype(proto.dtype)
    shape = TensorShape(proto.tensor_shape)
    if not shape.is_fully_defined():
        raise ValueError(f"a TensorProto must have a fully defined shape, got {shape}")
    dims = cast("list[int]", shape.as_list())
    size = math.prod(dims)  # exact (an int64 product could wrap for absurd dims)
    if proto.tensor_content:
        expected = size * dt.np_dtype.itemsize
        if dt is dtypes.string or len(proto.tensor_content) != expected:
            raise ValueError(f"TensorProto content has {len(proto.tensor_content)} bytes, "
                             f"expected {expected} for {dt.name} {tuple(dims)}")
        return
    if dt is dtypes.string:
        count = len(proto.string_val)
    elif dt is dtypes.float16:
        count = len(proto.half_val)
    else:
        field = _VAL_FIELD.get(dt.as_datatype_enum)
        if field is None:
            raise TypeError(f"cannot decode a TensorProto of dtype {dt.name}")
        count = len(getattr(proto, field))
    if count > size:
        raise ValueError(f"TensorProto holds {count} values but its shape {tuple(dims)} "
                         f"needs {size}")


def make_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """Decode a ``TensorProto`` into a new numpy array (TF's ``tf.make_ndarray``)."""
    dt = dtypes.as_dtype(proto.dtype)
    shape = TensorShape(proto.tensor_shape)
    if not shape.is_fully_defined():
        raise ValueError(f"a TensorProto must have a fully defined shape, got {shape}")
    dims = cast("list[int]", shape.as_list())  # fully defined: no unknown (None) dims
    size = math.prod(dims)  # exact (an int64 product could wrap for absurd dims)
    if proto.tensor_content:
        np_dtype = dt.np_dtype.newbyteorder("<")
        if len(proto.tensor_content) != size * np_dtype.itemsize:
            raise ValueError(f"TensorProto content has {len(proto.tensor_content)} bytes, expected "
                             f"{size * np_dtype.itemsize} for {dt.name} {tuple(dims)}")
        return np.frombuffer(proto.tensor_content, dtype=np_dtype).astype(
            dt.np_dtype).reshape(dims)
    if dt is dtypes.string:
        values = np.array(list(proto.string_val), dtype=object)
    elif dt is dtypes.float16:
        values = np.array(list(proto.half_val), dtype=np.uint16).view(np.float16)
    else:
        field = _VAL_FIELD.get(dt.as_datatype_enum)
        if field is None:
            raise TypeError(f"cannot decode a TensorProto of dtype {dt.name}")
        values = np.array(list(getattr(proto, field)), dtype=dt.np_dtype)
    if values.size == size:
        return values.reshape(dims)
    if values.size == 0:
        return np.zeros(dims, dtype=dt.np_dtype) if dt is not dtypes.string else \
            np.full(dims, b"", dtype=object)
    if values.size < size:  # version 0: the last value repeats to fill the shape
        padded = np.empty(size, dtype=values.dtype)
        padded[: values.size] = values
        padded[values.size:] = values[-1]
        return padded.reshape(dims)
    raise ValueError(f"TensorProto holds {values.size} values but its shape {tuple(dims)} "
                     f"needs {size}")


def constant_value_as_shape(tensor: Any, depth: int = 0) -> TensorShape:
    """The shape that the int32/int64 shape vector ``tensor`` describes, as far as it is
    known while building (TF1's ``tensor_util.constant_value_as_shape``): a known value
    gives every dim; ``Shape(x)`` gives x's static shape; ``Pack`` of scalars and
    ``ConcatV2`` of shape vectors give what each part knows; anything else only its length.
    """
    spec = tensor.spec
    if spec.value is not None and np.ndim(spec.value) == 1:
        return TensorShape([None if int(v) < 0 else int(v) for v in spec.value])
    op = tensor.op
    length = spec.shape[0] if spec.shape.rank == 1 else None
    if depth < 32:
        if op.type == "Shape" and op.inputs:
            return cast(TensorShape, op.inputs[0].shape)
        if op.type in ("Identity", "Cast") and op.inputs:
            return constant_value_as_shape(op.inputs[0], depth + 1)
        if op.type == "Pack" and all(t.shape.rank == 0 for t in op.inputs):
            return TensorShape([_scalar_dim(t) for t in op.inputs])
        if op.type == "ConcatV2" and len(op.inputs) >= 2:
            dims: list[Any] = []
            for part in op.inputs[:-1]:
                shape = constant_value_as_shape(part, depth + 1)
                if shape.rank is None:
                    return TensorShape(None if length is None else [None] * length)
                dims.extend(shape.as_list())
            return TensorShape(dims)
    return TensorShape(None if length is None else [None] * length)


def _scalar_dim(t: Any) -> int | None:
    value = t.spec.value
    if value is None or np.ndim(value) != 0:
        return None
    v = int(value)
    return None if v < 0 else v
