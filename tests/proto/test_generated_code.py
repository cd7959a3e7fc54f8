"""The committed graphflow/proto/*_pb2.py(i) are exactly what scripts/gen_protos.py generates
with the pinned grpcio-tools, and the schema keeps TensorFlow's field numbers and enum values
(so graphflow .pb files are TensorFlow GraphDef files)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from graphflow.proto import (
    attr_value_pb2,
    checkpoint_state_pb2,
    graph_pb2,
    node_def_pb2,
    tensor_bundle_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
    versions_pb2,
)
from tests.helpers import field_numbers

REPO = Path(__file__).resolve().parents[2]
PROTO_PACKAGE = REPO / "graphflow" / "proto"
GRPCIO_TOOLS = "grpcio-tools==1.85.1"


def _committed() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(PROTO_PACKAGE.iterdir())
            if p.name.endswith(("_pb2.py", "_pb2.pyi"))}


def test_generated_code_is_up_to_date(tmp_path):
    if importlib.util.find_spec("grpc_tools") is None:
        pytest.fail(f"grpcio-tools is not installed, so the generated protobuf code cannot be "
                    f"checked; install it with: pip install {GRPCIO_TOOLS}")
    out = tmp_path / "proto"
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_protos.py"),
                             "--out", str(out)], capture_output=True, text=True, cwd=REPO,
                            check=False)
    assert result.returncode == 0, f"gen_protos.py failed:\n{result.stdout}\n{result.stderr}"
    generated = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    committed = _committed()
    assert sorted(generated) == sorted(committed), (
        "the set of generated files differs from graphflow/proto; run scripts/gen_protos.py")
    stale = [name for name in generated if generated[name] != committed[name]]
    assert not stale, (f"graphflow/proto is out of date for {stale}; regenerate with "
                       "`python scripts/gen_protos.py` and commit the result")
    expected = {f"{m}_pb2{ext}" for m in ("attr_value", "checkpoint_state", "event", "graph",
                                          "node_def", "summary", "tensor", "tensor_bundle",
                                          "tensor_shape", "types", "versions")
                for ext in (".py", ".pyi")}
    assert set(committed) == expected


def test_runtime_pin_matches_gencode_version():
    """pyproject pins protobuf>=<gencode version>,<next major> (GUIDE §2.6)."""
    header = (PROTO_PACKAGE / "graph_pb2.py").read_text()
    version = next(line.split(":")[1].strip() for line in header.splitlines()
                   if line.startswith("# Protobuf Python Version:"))
    major = int(version.split(".")[0])
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"protobuf>={version},<{major + 1}"' in pyproject


# Field numbers of TensorFlow's tensorflow/core/framework/*.proto.
TF_FIELDS = {
    graph_pb2.GraphDef: {"node": 1, "library": 2, "version": 3, "versions": 4},
    node_def_pb2.NodeDef: {"name": 1, "op": 2, "input": 3, "device": 4, "attr": 5},
    attr_value_pb2.AttrValue: {"list": 1, "s": 2, "i": 3, "f": 4, "b": 5, "type": 6, "shape": 7,
                               "tensor": 8, "placeholder": 9, "func": 10},
    attr_value_pb2.AttrValue.ListValue: {"s": 2, "i": 3, "f": 4, "b": 5, "type": 6, "shape": 7,
                                         "tensor": 8, "func": 9},
    attr_value_pb2.NameAttrList: {"name": 1, "attr": 2},
    tensor_pb2.TensorProto: {"dtype": 1, "tensor_shape": 2, "version_number": 3,
                             "tensor_content": 4, "float_val": 5, "double_val": 6,
                             "int_val": 7, "string_val": 8, "scomplex_val": 9, "int64_val": 10,
                             "bool_val": 11, "dcomplex_val": 12, "half_val": 13,
                             "uint32_val": 16, "uint64_val": 17},
    tensor_shape_pb2.TensorShapeProto: {"dim": 2, "unknown_rank": 3},
    tensor_shape_pb2.TensorShapeProto.Dim: {"size": 1, "name": 2},
    versions_pb2.VersionDef: {"producer": 1, "min_consumer": 2, "bad_consumers": 3},
    # V2 checkpoints: tensorflow/core/protobuf/tensor_bundle.proto, framework/tensor_slice.proto
    # and python/training/checkpoint_state.proto.
    tensor_bundle_pb2.BundleHeaderProto: {"num_shards": 1, "endianness": 2, "version": 3},
    tensor_bundle_pb2.BundleEntryProto: {"dtype": 1, "shape": 2, "shard_id": 3, "offset": 4,
                                         "size": 5, "crc32c": 6, "slices": 7},
    tensor_bundle_pb2.TensorSliceProto: {"extent": 1},
    tensor_bundle_pb2.TensorSliceProto.Extent: {"start": 1, "length": 2},
    checkpoint_state_pb2.CheckpointState: {"model_checkpoint_path": 1,
                                           "all_model_checkpoint_paths": 2,
                                           "all_model_checkpoint_timestamps": 3,
                                           "last_preserved_timestamp": 4},
}


@pytest.mark.parametrize("message", list(TF_FIELDS), ids=lambda m: m.DESCRIPTOR.full_name)
def test_field_numbers_match_tensorflow(message):
    assert field_numbers(message) == TF_FIELDS[message]


def test_field_types_match_tensorflow():
    fd = graph_pb2.GraphDef.DESCRIPTOR.fields_by_name
    assert fd["node"].message_type.full_name == "graphflow.NodeDef"
    assert fd["node"].is_repeated and fd["versions"].message_type.name == "VersionDef"
    attr = node_def_pb2.NodeDef.DESCRIPTOR.fields_by_name["attr"]
    assert attr.message_type.GetOptions().map_entry  # map<string, AttrValue>
    oneof = attr_value_pb2.AttrValue.DESCRIPTOR.oneofs_by_name["value"]
    assert {f.name for f in oneof.fields} == set(TF_FIELDS[attr_value_pb2.AttrValue])
    tp = tensor_pb2.TensorProto.DESCRIPTOR.fields_by_name
    assert tp["half_val"].type == tp["int_val"].type  # int32 holding float16 bits, as TF
    assert tp["tensor_content"].type == tp["tensor_content"].TYPE_BYTES
    assert tensor_shape_pb2.TensorShapeProto.Dim.DESCRIPTOR.fields_by_name["size"].type == \
        tensor_shape_pb2.TensorShapeProto.Dim.DESCRIPTOR.fields_by_name["size"].TYPE_INT64


def test_package_name():
    assert graph_pb2.DESCRIPTOR.package == "graphflow"


TF_DATA_TYPES = {
    "DT_INVALID": 0, "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5,
    "DT_INT8": 6, "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10,
    "DT_QINT8": 11, "DT_QUINT8": 12, "DT_QINT32": 13, "DT_BFLOAT16": 14, "DT_QINT16": 15,
    "DT_QUINT16": 16, "DT_UINT16": 17, "DT_COMPLEX128": 18, "DT_HALF": 19, "DT_RESOURCE": 20,
    "DT_VARIANT": 21, "DT_UINT32": 22, "DT_UINT64": 23,
}


def test_data_type_enum_matches_tensorflow():
    values = {v.name: v.number for v in types_pb2.DataType.DESCRIPTOR.values}
    for name, number in TF_DATA_TYPES.items():
        assert values[name] == number, name
        if number:  # every type has its _REF twin at +100 (DT_FLOAT_REF = 101, ...)
            assert values[f"{name}_REF"] == number + 100
    assert values["DT_FLOAT_REF"] == 101


def test_wire_bytes_are_tensorflow_layout():
    """A hand-assembled TF GraphDef (bytes as TensorFlow writes them) parses field by field."""
    # node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } }
    # versions { producer: 27 }
    attr_entry = b"\x0a\x05dtype" + b"\x12\x02\x30\x01"
    node = b"\x0a\x01c" + b"\x12\x05Const" + b"\x2a" + bytes([len(attr_entry)]) + attr_entry
    data = b"\x0a" + bytes([len(node)]) + node + b"\x22\x02\x08\x1b"
    gd = graph_pb2.GraphDef.FromString(data)
    assert gd.node[0].name == "c" and gd.node[0].op == "Const"
    assert gd.node[0].attr["dtype"].type == types_pb2.DT_FLOAT
    assert gd.versions.producer == 27
