"""Tests for graphflow.io.graph_io: write_graph/read_graph round trips (text and binary),
deterministic bytes, and clear errors for truncated, garbage and malformed files.

(tests/io has no ``__init__.py`` on purpose: a package named ``io`` would shadow the standard
library's. Shared graph builders are fixtures in ``conftest.py``.)"""

from __future__ import annotations

from pathlib import Path

import pytest

import graphflow as gf
from graphflow.proto import graph_pb2


@pytest.mark.parametrize(("name", "as_text"), [("g.pbtxt", True), ("g.pb", False)])
def test_write_read_round_trip(tmp_path, name, as_text, mlp):
    g = mlp()
    path = gf.io.write_graph(g, tmp_path / "sub", name, as_text=as_text)
    assert path == str(tmp_path / "sub" / name) and Path(path).exists()
    data = Path(path).read_bytes()
    assert data.startswith(b"node {") if as_text else not data.startswith(b"node")
    assert gf.io.read_graph(path) == g.as_graph_def()


def test_write_graph_def_and_text_of_binary_agree(tmp_path, lecture):
    g = lecture()
    a = gf.io.write_graph(g, tmp_path, "a.pb", as_text=False)
    b = gf.io.write_graph(g.as_graph_def(), tmp_path, "b.pb", as_text=False)
    assert Path(a).read_bytes() == Path(b).read_bytes()
    t = gf.io.write_graph(g, tmp_path, "a.pbtxt")
    assert gf.io.read_graph(t) == gf.io.read_graph(a)


def test_bytes_are_deterministic(tmp_path, mlp):
    for as_text, name in ((False, "g.pb"), (True, "g.pbtxt")):
        first = Path(gf.io.write_graph(mlp(), tmp_path / "1", name, as_text)).read_bytes()
        second = Path(gf.io.write_graph(mlp(), tmp_path / "2", name, as_text)).read_bytes()
        assert first == second


def test_binary_file_is_a_graph_def(tmp_path, lecture):
    path = gf.io.write_graph(lecture(), tmp_path, "g.pb", as_text=False)
    gd = graph_pb2.GraphDef.FromString(Path(path).read_bytes())
    assert [n.op for n in gd.node] == ["Placeholder"] * 3 + ["AddV2", "Maximum", "Mul"]
    assert gd.versions.producer >= 22


def test_write_graph_rejects_other_objects(tmp_path):
    with pytest.raises(TypeError, match="expected a gf.Graph or GraphDef, got int"):
        gf.io.write_graph(3, tmp_path, "x.pb")


# -- bad files -------------------------------------------------------------------------------

@pytest.fixture()
def pb_bytes(tmp_path, mlp) -> bytes:
    return Path(gf.io.write_graph(mlp(), tmp_path, "full.pb", as_text=False)).read_bytes()


@pytest.mark.parametrize("cut", ["middle", "end-3", "start+5"])
def test_truncated_binary_file_is_data_loss_naming_the_file(tmp_path, pb_bytes, cut):
    size = {"middle": len(pb_bytes) // 2, "end-3": len(pb_bytes) - 3, "start+5": 5}[cut]
    path = tmp_path / "cut.pb"
    path.write_bytes(pb_bytes[:size])
    with pytest.raises(gf.DataLossError) as info:
        gf.io.read_graph(path)
    assert f"'{path}'" in str(info.value)
    assert "truncated" in str(info.value)


def test_truncation_at_a_field_boundary_is_detected(tmp_path, pb_bytes):
    """Cutting exactly before the trailing versions field leaves valid protobuf; graphflow
    still reports it, because every writer stores versions after the nodes."""
    full = graph_pb2.GraphDef.FromString(pb_bytes)
    nodes_only = graph_pb2.GraphDef()
    nodes_only.node.extend(full.node)
    path = tmp_path / "cut.pb"
    path.write_bytes(nodes_only.SerializeToString(deterministic=True))
    assert pb_bytes.startswith(path.read_bytes())
    with pytest.raises(gf.DataLossError, match=r"has no 'versions' field.*probably truncated"):
        gf.io.read_graph(path)


def test_truncation_that_drops_nodes_an_input_needs(tmp_path, pb_bytes):
    full = graph_pb2.GraphDef.FromString(pb_bytes)
    partial = graph_pb2.GraphDef()
    partial.node.extend(full.node[5:])
    partial.versions.CopyFrom(full.versions)
    path = tmp_path / "partial.pb"
    path.write_bytes(partial.SerializeToString())
    with pytest.raises(gf.DataLossError, match=r"'.*partial.pb': \w+ node '[^']+': has input "
                                               r"'.*', but no node '.*' exists; the file is "
                                               r"truncated or corrupt"):
        gf.io.read_graph(path)


@pytest.mark.parametrize("garbage", [bytes(range(256)) * 2, b"\xff" * 50])
def test_garbage_bytes(tmp_path, garbage):
    path = tmp_path / "garbage.pb"
    path.write_bytes(garbage)
    with pytest.raises(gf.DataLossError, match=f"'{path}' is not a valid binary GraphDef"):
        gf.io.read_graph(path)


def test_text_file_named_pb_is_read_as_text(tmp_path, lecture):
    """tf.io.write_graph(g, d, "graph.pb") writes text (as_text defaults to True)."""
    path = gf.io.write_graph(lecture(), tmp_path, "g.pb")  # as_text=True, as TF
    assert Path(path).read_bytes().startswith(b"node {")
    assert gf.io.read_graph(path) == lecture().as_graph_def()
    bad = tmp_path / "bad.pb"
    bad.write_bytes(Path(path).read_bytes()[:-20])  # broken text: the binary error, with a hint
    with pytest.raises(gf.DataLossError, match=r"is not a valid binary GraphDef: .* \(is it a "
                                               r"text-format file\? name it .pbtxt\)"):
        gf.io.read_graph(bad)


def test_text_syntax_error_names_file_and_position(tmp_path):
    path = tmp_path / "bad.pbtxt"
    path.write_text('node { name: "a" op: "Const" ')
    with pytest.raises(gf.DataLossError, match=f"'{path}' is not a valid text-format GraphDef: "
                                               r"1:\d+ : Expected \"}\""):
        gf.io.read_graph(path)
    path.write_text('nodes { name: "a" }')
    with pytest.raises(gf.DataLossError, match="is not a valid text-format GraphDef"):
        gf.io.read_graph(path)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(gf.DataLossError, match="is not a valid text-format GraphDef"):
        gf.io.read_graph(path)


def test_nodes_without_names_or_duplicate_names(tmp_path):
    gd = graph_pb2.GraphDef()
    gd.node.add(name="a", op="NoOp")
    gd.node.add(name="a", op="NoOp")
    path = Path(gf.io.write_graph(gd, tmp_path, "dup.pbtxt"))
    with pytest.raises(gf.DataLossError, match=f"'{path}': duplicate node name 'a'"):
        gf.io.read_graph(path)
    gd.node[1].name = ""
    path = Path(gf.io.write_graph(gd, tmp_path, "noname.pbtxt"))
    with pytest.raises(gf.DataLossError, match=r"node #1 has no name"):
        gf.io.read_graph(path)


def test_missing_file():
    with pytest.raises(gf.NotFoundError, match="graph file '/no/such/file.pb' does not exist"):
        gf.io.read_graph("/no/such/file.pb")


TF_NODE_WITH_METADATA = '''node {
  name: "c"
  op: "Const"
  attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 2.5 } } }
  experimental_type { type_id: TFT_PRODUCT args { type_id: TFT_TENSOR } }
  experimental_debug_info { original_node_names: "c" }
}
debug_info { files: "model.py" }
versions { producer: 2474 }
'''


def test_text_files_from_tensorflow_with_tf_only_metadata(tmp_path):
    """TensorFlow writes NodeDef.experimental_type / experimental_debug_info and
    GraphDef.debug_info into .pbtxt files; graphflow skips them (as the binary parser does)."""
    path = tmp_path / "tf.pbtxt"
    path.write_text(TF_NODE_WITH_METADATA)
    gd = gf.io.read_graph(path)
    assert [n.name for n in gd.node] == ["c"] and gd.versions.producer == 2474
    with gf.Session(graph=gf.io.load_graph(path)) as s:
        assert s.run("c:0") == 2.5
    path.write_text(TF_NODE_WITH_METADATA.replace("experimental_type", "experimental_typo"))
    with pytest.raises(gf.DataLossError, match='has no field named "experimental_typo"'):
        gf.io.read_graph(path)


def test_text_file_with_a_function_library_is_unimplemented(tmp_path):
    path = tmp_path / "fn.pbtxt"
    path.write_text('library { function { signature { name: "f" } } }\nversions { producer: 27 }')
    with pytest.raises(gf.UnimplementedError, match=f"'{path}': the GraphDef has a function "
                                                    "library"):
        gf.io.read_graph(path)
