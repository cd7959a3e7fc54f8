"""V2 checkpoints ("tensor bundles") in TensorFlow's format
(``tensorflow/core/util/tensor_bundle/tensor_bundle.cc``):

- ``<prefix>.data-00000-of-00001``: the tensors' raw little-endian bytes, one after another
  in key order;
- ``<prefix>.index``: a table (``checkpoint_table``) whose ``""`` key holds a
  ``BundleHeaderProto`` (one shard, little-endian, version 1) and whose other keys, the
  tensor names, hold ``BundleEntryProto``s (dtype, shape, shard, offset, size, the masked
  CRC32C of the bytes, ``checkpoint_crc``).

``write_bundle(prefix, tensors)`` and ``read_bundle(prefix)`` (which checks each tensor's
CRC). Numeric and bool tensors are supported; string tensors and partitioned (sliced)
variables are an ``UnimplementedError`` naming the tensor."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import DataLossError, NotFoundError, UnimplementedError
from graphflow.proto import tensor_bundle_pb2, tensor_shape_pb2
from graphflow.train.checkpoint_crc import crc32c, mask
from graphflow.train.checkpoint_table import read_table, write_table

HEADER_KEY = b""
BUNDLE_VERSION = 1  # TF's kTensorBundleVersion


def data_path(prefix: str, shard: int = 0, num_shards: int = 1) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def index_path(prefix: str) -> str:
    return f"{prefix}.index"


def _as_array(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind in "USO":
        raise UnimplementedError(f"checkpoint tensor '{name}': string tensors are not supported "
                                 "in graphflow's V2 checkpoints")
    return np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")


def write_bundle(prefix: str | os.PathLike[str], tensors: Mapping[str, object]) -> list[str]:
    """Write ``tensors`` (name -> array) as a V2 checkpoint; returns the files written."""
    prefix = os.fspath(prefix)
    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    header = tensor_bundle_pb2.BundleHeaderProto(
        num_shards=1, endianness=tensor_bundle_pb2.BundleHeaderProto.LITTLE)
    header.version.producer = BUNDLE_VERSION
    pairs = [(HEADER_KEY, header.SerializeToString())]
    offset = 0
    data_file = data_path(prefix)
    with open(data_file + ".tmp", "wb") as out:
        for name in sorted(tensors, key=lambda n: n.encode("utf-8")):
            array = _as_array(name, tensors[name])
            raw = array.tobytes()
            entry = tensor_bundle_pb2.BundleEntryProto(
                dtype=dtypes.as_dtype(array.dtype).as_datatype_enum, shard_id=0,
                offset=offset, size=len(raw), crc32c=mask(crc32c(raw)))
            entry.shape.CopyFrom(tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in array.shape]))
            out.write(raw)
            offset += len(raw)
            pairs.append((name.encode("utf-8"), entry.SerializeToString()))
    index_file = index_path(prefix)
    Path(index_file + ".tmp").write_bytes(write_table(pairs))
    os.replace(data_file + ".tmp", data_file)
    os.replace(index_file + ".tmp", index_file)
    return [index_file, data_file]


def read_bundle(prefix: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Tensor name -> value of the V2 checkpoint at ``prefix`` (TF-written or graphflow's)."""
    prefix = os.fspath(prefix)
    index_file = index_path(prefix)
    if not os.path.isfile(index_file):
        raise NotFoundError(f"checkpoint '{prefix}' does not exist (no {index_file})")
    pairs = read_table(Path(index_file).read_bytes(), index_file)
    if not pairs or pairs[0][0] != HEADER_KEY:
        raise DataLossError(f"{index_file}: no bundle header (the \"\" key)")
    header = tensor_bundle_pb2.BundleHeaderProto.FromString(pairs[0][1])
    if header.endianness != tensor_bundle_pb2.BundleHeaderProto.LITTLE:
        raise UnimplementedError(f"{index_file}: big-endian checkpoints are not supported")
    shards: dict[int, bytes] = {}
    out: dict[str, np.ndarray] = {}
    for key, value in pairs[1:]:
        name = key.decode("utf-8")
        entry = tensor_bundle_pb2.BundleEntryProto.FromString(value)
        if entry.slices:
            raise UnimplementedError(f"checkpoint tensor '{name}' is saved as slices (a "
                                     "partitioned variable), which graphflow does not read")
        dtype = dtypes.as_dtype(entry.dtype)
        if dtype is dtypes.string:
            raise UnimplementedError(f"checkpoint tensor '{name}' is a string tensor, which "
                                     "graphflow's checkpoint reader does not support")
        if entry.shard_id not in shards:
            path = data_path(prefix, entry.shard_id, max(1, header.num_shards))
            if not os.path.isfile(path):
                raise NotFoundError(f"checkpoint '{prefix}': data file {path} is missing")
            shards[entry.shard_id] = Path(path).read_bytes()
        raw = shards[entry.shard_id][entry.offset:entry.offset + entry.size]
        if len(raw) != entry.size or mask(crc32c(raw)) != entry.crc32c:
            raise DataLossError(f"checkpoint tensor '{name}': its bytes fail the CRC32C check "
                                f"(the data file of '{prefix}' is corrupt or truncated)")
        shape = tuple(int(d.size) for d in entry.shape.dim)
        out[name] = np.frombuffer(raw, dtype=dtype.np_dtype.newbyteorder("<")).astype(
            dtype.np_dtype).reshape(shape)
    return out
