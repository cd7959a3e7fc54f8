"""Tests for graphflow.framework.tensor_util: numpy <-> TensorProto for every dtype, splat
constants, tensor_content, TF's version-0 fill rule, 0-d and empty tensors, errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import dtypes
from graphflow.framework.tensor_util import check_tensor_proto, make_ndarray, make_tensor_proto
from graphflow.proto import tensor_pb2, types_pb2

NUMERIC = [dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16,
           dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16, dtypes.uint32,
           dtypes.uint64, dtypes.bool_]


def _samples(dt: dtypes.DType) -> list[np.ndarray]:
    npd = dt.np_dtype
    return [
        (np.arange(6) % 2).reshape(2, 3).astype(npd) if dt is dtypes.bool_
        else np.arange(6).reshape(2, 3).astype(npd),        # distinct values
        np.array(1, dtype=npd),                              # 0-d
        np.ones((2, 3), dtype=npd),                          # splat
        np.zeros((0, 3), dtype=npd),                         # empty
        np.ones((4,), dtype=npd)[::2],                       # non-contiguous input
    ]


def _assert_same(a: np.ndarray, b: np.ndarray) -> None:
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dt", NUMERIC, ids=lambda d: d.name)
def test_round_trip_every_dtype(dt):
    for array in _samples(dt):
        proto = make_tensor_proto(array, dtype=dt)
        assert proto.dtype == dt.as_datatype_enum
        assert [d.size for d in proto.tensor_shape.dim] == list(array.shape)
        _assert_same(array, make_ndarray(proto))
        again = tensor_pb2.TensorProto.FromString(proto.SerializeToString())
        _assert_same(array, make_ndarray(again))


def test_round_trip_strings():
    for array in [np.array([b"a", b"bc"], dtype=object), np.array(b"x", dtype=object),
                  np.array([[b"q"] * 3] * 2, dtype=object), np.zeros((0, 2), dtype=object)]:
        proto = make_tensor_proto(array, dtype=gf.string)
        assert proto.dtype == types_pb2.DT_STRING
        _assert_same(array, make_ndarray(proto))
    assert list(make_tensor_proto(["hé", "x"]).string_val) == ["hé".encode(), b"x"]


def test_splat_constant_is_one_value():
    proto = make_tensor_proto(np.full((3, 4), 2.5, np.float32))
    assert list(proto.float_val) == [2.5] and not proto.tensor_content
    _assert_same(np.full((3, 4), 2.5, np.float32), make_ndarray(proto))
    proto = make_tensor_proto(7, shape=[2, 2])
    assert list(proto.int_val) == [7]
    _assert_same(np.full((2, 2), 7, np.int32), make_ndarray(proto))


def test_distinct_values_use_tensor_content():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    proto = make_tensor_proto(array)
    assert proto.tensor_content == array.astype("<f4").tobytes() and not proto.float_val


def test_signed_zeros_and_nans_survive():
    # -0.0 == 0.0 numerically, but a splat of either would change the other's sign bit.
    array = np.array([-0.0, 0.0])
    back = make_ndarray(make_tensor_proto(array))
    assert list(np.signbit(back)) == [True, False]
    back = make_ndarray(make_tensor_proto(np.array([np.nan, 1.0, np.inf], np.float32)))
    assert np.isnan(back[0]) and back[1] == 1.0 and np.isposinf(back[2])


def test_big_endian_input_is_written_little_endian():
    array = np.arange(4, dtype=">f4")
    proto = make_tensor_proto(array)
    assert proto.dtype == types_pb2.DT_FLOAT
    np.testing.assert_array_equal(make_ndarray(proto), np.arange(4, dtype=np.float32))


def test_python_value_defaults_follow_tf():
    assert make_tensor_proto(3.0).dtype == types_pb2.DT_FLOAT
    assert make_tensor_proto(3).dtype == types_pb2.DT_INT32
    assert make_tensor_proto(True).dtype == types_pb2.DT_BOOL
    assert make_tensor_proto([1.5, 2]).dtype == types_pb2.DT_FLOAT
    assert make_tensor_proto(np.float64(1.5)).dtype == types_pb2.DT_DOUBLE  # numpy keeps its
    # A Python int that does not fit in int32 becomes int64 (TF), never a wrapped-around int32.
    proto = make_tensor_proto(2 ** 40)
    assert proto.dtype == types_pb2.DT_INT64 and make_ndarray(proto) == 2 ** 40
    assert make_ndarray(make_tensor_proto([1, -2 ** 35])).tolist() == [1, -2 ** 35]


def test_version0_fill_rule():
    """Fewer values than elements: the last value repeats (TF's reader does the same)."""
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    proto.tensor_shape.dim.add().size = 4
    proto.float_val.extend([1.0, 2.0])
    _assert_same(np.array([1, 2, 2, 2], np.float32), make_ndarray(proto))
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_INT64)
    proto.tensor_shape.dim.add().size = 3
    proto.int64_val.append(5)
    _assert_same(np.array([5, 5, 5], np.int64), make_ndarray(proto))
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_HALF)
    proto.tensor_shape.dim.add().size = 2
    proto.half_val.append(int(np.float16(1.0).view(np.uint16)))
    _assert_same(np.ones(2, np.float16), make_ndarray(proto))


def test_no_values_means_zeros():
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE)
    proto.tensor_shape.dim.add().size = 2
    _assert_same(np.zeros(2), make_ndarray(proto))
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING)
    proto.tensor_shape.dim.add().size = 2
    _assert_same(np.array([b"", b""], dtype=object), make_ndarray(proto))


def test_scalar_proto_has_empty_shape():
    proto = make_tensor_proto(np.float64(2.0))
    assert len(proto.tensor_shape.dim) == 0 and not proto.tensor_shape.unknown_rank
    assert make_ndarray(proto).shape == ()


def test_broadcast_to_shape_and_reshape():
    np.testing.assert_array_equal(make_ndarray(make_tensor_proto([1, 2, 3, 4], shape=[2, 2])),
                                  [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"cannot make a constant of shape \(2, 2\) from a value "
                                         r"of shape \(3,\) \(3 elements\)"):
        make_tensor_proto([1, 2, 3], shape=[2, 2])


def test_lossy_conversion_errors():
    with pytest.raises(TypeError, match=r"cannot convert non-integer value 1.5 to int32 without "
                                        r"losing information; cast explicitly with gf.cast"):
        make_tensor_proto(1.5, dtype=gf.int32)
    with pytest.raises(OverflowError):
        make_tensor_proto(300, dtype=gf.uint8)


@pytest.mark.parametrize(("build", "pattern"), [
    (lambda p: (p.tensor_shape.dim.add(), setattr(p.tensor_shape.dim[0], "size", 2),
                p.float_val.extend([1, 2, 3])),
     r"TensorProto holds 3 values but its shape \(2,\) needs 2"),
    (lambda p: (p.tensor_shape.dim.add(), setattr(p.tensor_shape.dim[0], "size", 2),
                setattr(p, "tensor_content", b"123")),
     r"TensorProto content has 3 bytes, expected 8 for float32 \(2,\)"),
    (lambda p: (p.tensor_shape.dim.add(), setattr(p.tensor_shape.dim[0], "size", -1)),
     r"must have a fully defined shape, got \(\?,\)"),
])
def test_malformed_protos(build, pattern):
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    build(proto)
    with pytest.raises(ValueError, match=pattern):
        make_ndarray(proto)


def test_sizes_of_huge_shapes_are_exact():
    """2^32 x 2^32 elements wrap to 0 in an int64 product; the size must not, so content
    sized for the wrapped count is refused and a run-time constant gets the size check."""
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    for _ in range(2):
        proto.tensor_shape.dim.add(size=1 << 32)
    proto.tensor_content = b""
    check_tensor_proto(proto)  # no values: zeros of that shape, a well-formed proto
    proto.tensor_content = b"\0" * 4
    with pytest.raises(ValueError, match=r"content has 4 bytes, expected 73786976294838206464"):
        check_tensor_proto(proto)
    graph_def = gf.Graph().as_graph_def()
    node = graph_def.node.add(name="big", op="Const")
    node.attr["dtype"].type = types_pb2.DT_FLOAT
    node.attr["value"].tensor.CopyFrom(proto)
    node.attr["value"].tensor.tensor_content = b""
    node.attr["value"].tensor.float_val.append(1.0)
    with gf.Graph().as_default():
        gf.import_graph_def(graph_def, name="")
        with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError,
                                                  match="'big': would allocate"):
            sess.run("big:0")


def test_unsupported_dtype_in_proto():
    with pytest.raises(TypeError, match="DT_COMPLEX64 is not supported"):
        make_ndarray(tensor_pb2.TensorProto(dtype=types_pb2.DT_COMPLEX64))


def test_shapes_computed_from_shape_ops_are_known_while_building():
    """TF1's constant_value_as_shape: Reshape/Fill/zeros with a shape built from
    gf.shape, gf.stack and gf.concat get the static dims those parts know."""
    import graphflow as gf
    from graphflow.framework.tensor_util import constant_value_as_shape

    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, None, 4])
        y = gf.placeholder(gf.float32, [None, 7])
        target = gf.concat([gf.shape(y), [9]], 0)
        assert constant_value_as_shape(target).as_list() == [None, 7, 9]
        assert gf.reshape(x, target).shape.as_list() == [None, 7, 9]
        batch = gf.shape(x)[0]
        assert gf.zeros(gf.stack([batch, 3])).shape.as_list() == [None, 3]
        assert gf.reshape(x, gf.stack([batch, -1, 2])).shape.as_list() == [None, None, 2]
        n = gf.placeholder(gf.int32, [2])
        assert constant_value_as_shape(n).as_list() == [None, None]
        reshaped = gf.reshape(x, gf.concat([gf.shape(y), [8]], 0))
        assert reshaped.shape.as_list() == [None, 7, 8]
        with gf.Session() as sess:  # and the run agrees with the static shape
            out = sess.run(reshaped, {x: np.zeros((4, 7, 4), np.float32),
                                      y: np.zeros((2, 7), np.float32)})
        assert out.shape == (2, 7, 8)
