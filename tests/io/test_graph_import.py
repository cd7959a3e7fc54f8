"""Tests for graphflow.compiler.importer and gf.io.load_graph: exported graphs, read back and
imported into a fresh Graph, compute identical outputs; input_map, return_elements, name
prefixes; unknown op types and version errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.proto import graph_pb2

LECTURE_FEED = {"x:0": 1.0, "y:0": 2.0, "z:0": 0.0}
X_BATCH = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)


def mlp_outputs(graph: gf.Graph, prefix: str = "") -> np.ndarray:
    with gf.Session(graph=graph) as s:
        s.run(prefix + "init")
        return s.run(prefix + "out/logits:0", {prefix + "x:0": X_BATCH})


@pytest.mark.parametrize("name", ["g.pb", "g.pbtxt"])
def test_lecture_graph_round_trip_computes_6(tmp_path, name, lecture):
    path = gf.io.write_graph(lecture(), tmp_path, name, as_text=name.endswith("txt"))
    fresh = gf.Graph()
    with fresh.as_default():
        f, = gf.import_graph_def(gf.io.read_graph(path), return_elements=["f:0"])
    assert f.name == "import/f:0" and f.graph is fresh
    with gf.Session(graph=fresh) as s:
        out = s.run(f, {"import/" + k: v for k, v in LECTURE_FEED.items()})
    assert out == 6.0


@pytest.mark.parametrize("name", ["mlp.pb", "mlp.pbtxt"])
def test_mlp_with_variables_round_trip_is_identical(tmp_path, name, mlp):
    original = mlp()
    expected = mlp_outputs(original)
    path = gf.io.write_graph(original, tmp_path, name, as_text=name.endswith("txt"))
    loaded = gf.io.load_graph(path)  # names unchanged
    assert [op.name for op in loaded.get_operations()] == \
        [op.name for op in original.get_operations()]
    got = mlp_outputs(loaded)
    assert got.shape == (6, 3) and got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)  # bit for bit
    fresh = gf.Graph()
    with fresh.as_default():
        gf.import_graph_def(gf.io.read_graph(path))
    np.testing.assert_array_equal(mlp_outputs(fresh, "import/"), expected)


def test_imported_static_shapes_and_dtypes_match(mlp):
    original = mlp()
    fresh = gf.Graph()
    with fresh.as_default():
        gf.import_graph_def(original.as_graph_def(), name="")
    assert fresh.as_graph_def() == original.as_graph_def()  # import + export is the identity
    for a, b in zip(original.get_operations(), fresh.get_operations()):
        assert a.name == b.name and a.type == b.type
        assert [(t.dtype, t.shape) for t in a.outputs] == [(t.dtype, t.shape) for t in b.outputs]


def test_name_prefix_and_repeated_imports(lecture):
    gd = lecture().as_graph_def()
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(gd)
        gf.import_graph_def(gd)
        gf.import_graph_def(gd, name="mine")
        gf.import_graph_def(gd, name=None)  # None: the default scope, as TF
    names = [op.name for op in g.get_operations()]
    assert "import_2/f" in names
    assert "import/f" in names and "import_1/f" in names and "mine/f" in names
    assert list(g.get_operation_by_name("import_1/f").node_def.input) == \
        ["import_1/add", "import_1/Maximum"]


def test_name_empty_keeps_names_and_clashes_are_errors(lecture):
    gd = lecture().as_graph_def()
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(gd, name="")
        assert [op.name for op in g.get_operations()] == ["x", "y", "z", "add", "Maximum", "f"]
        with pytest.raises(gf.GraphBuildError, match="duplicate node name 'x' \\(Placeholder\\)"):
            gf.import_graph_def(gd, name="")


def test_input_map_replaces_a_placeholder(lecture):
    gd = lecture().as_graph_def()
    g = gf.Graph()
    with g.as_default():
        five = gf.constant(5.0, name="five")
        f, add = gf.import_graph_def(gd, input_map={"x:0": five}, return_elements=["f:0", "add"])
        assert add.inputs[0] is five
        with gf.Session() as s:
            assert s.run(f, {"import/y:0": 2.0, "import/z:0": 0.0}) == 14.0  # (5+2)*2
            # The replaced placeholder is still imported but nothing needs it.
            assert g.get_operation_by_name("import/x").type == "Placeholder"


def test_input_map_bare_name_means_output_0(lecture):
    gd = lecture().as_graph_def()
    with gf.Graph().as_default():
        y = gf.constant(3.0)
        f, = gf.import_graph_def(gd, input_map={"y": y}, return_elements=["f:0"])
        with gf.Session() as s:
            assert s.run(f, {"import/x:0": 1.0, "import/z:0": 0.0}) == 12.0


@pytest.mark.parametrize(("kwargs", "exc", "pattern"), [
    ({"input_map": {"nope:0": None}}, TypeError, r"input_map\['nope:0'\] must be a gf.Tensor"),
    ({"return_elements": ["nope:0"]}, ValueError, "return_elements: no node 'nope'"),
    ({"return_elements": ["nope"]}, ValueError, "return_elements: no node 'nope'"),
    ({"return_elements": ["f:3"]}, ValueError,
     r"return_elements: 'f:3' does not exist; node 'f' \(Mul\) has 1 output\(s\)"),
])
def test_import_argument_errors(kwargs, exc, pattern, lecture):
    with gf.Graph().as_default(), pytest.raises(exc, match=pattern):
        gf.import_graph_def(lecture().as_graph_def(), **kwargs)


def test_unused_input_map_key_is_an_error(lecture):
    with gf.Graph().as_default():
        c = gf.constant(1.0)
        with pytest.raises(ValueError, match="input_map has keys not found in the graph_def: "
                                             "nope:0"):
            gf.import_graph_def(lecture().as_graph_def(), input_map={"nope:0": c})


def test_nodes_in_any_order_and_control_inputs():
    g = gf.Graph()
    with g.as_default():
        a = gf.constant(1.0, name="a")
        with gf.control_dependencies([a]):
            b = gf.constant(2.0, name="b")
        gf.add(a, b, name="c")
    gd = g.as_graph_def()
    shuffled = graph_pb2.GraphDef()
    shuffled.versions.CopyFrom(gd.versions)
    shuffled.node.extend(reversed(gd.node))
    fresh = gf.Graph()
    with fresh.as_default():
        c, b = gf.import_graph_def(shuffled, return_elements=["c:0", "b"])
        assert list(b.node_def.input) == ["^import/a"]
        assert [op.name for op in b.control_inputs] == ["import/a"]
        with gf.Session() as s:
            assert s.run(c) == 3.0


def test_unknown_op_type_names_node_and_op(tmp_path, lecture):
    gd = lecture().as_graph_def()
    gd.node.add(name="fancy", op="FancyOp", input=["f"])
    with gf.Graph().as_default(), pytest.raises(gf.UnimplementedError) as info:
        gf.import_graph_def(gd)
    assert "op type 'FancyOp' (node 'import/fancy') is not registered in graphflow" \
        in str(info.value)
    assert info.value.node_name == "import/fancy" and info.value.op_type == "FancyOp"
    assert "Known op types: " in str(info.value) and "MatMul" in str(info.value)
    path = gf.io.write_graph(gd, tmp_path, "fancy.pb", as_text=False)
    with pytest.raises(gf.UnimplementedError) as info:
        gf.io.load_graph(path)
    assert str(info.value).startswith(f"while loading '{path}': op type 'FancyOp' "
                                      "(node 'fancy')")


def test_cycle_in_a_file(tmp_path):
    gd = graph_pb2.GraphDef()
    gd.versions.producer = 134
    gd.node.add(name="a", op="Identity", input=["b"])
    gd.node.add(name="b", op="Identity", input=["a"])
    path = gf.io.write_graph(gd, tmp_path, "cycle.pbtxt")
    with pytest.raises(gf.GraphBuildError, match=f"while loading '{path}': the graph has a cycle: "
                                                 r"'(a|b)' \(Identity\)"):
        gf.io.load_graph(path)


def test_min_consumer_too_high(tmp_path, lecture):
    gd = lecture().as_graph_def()
    gd.versions.min_consumer = 10000
    with gf.Graph().as_default(), pytest.raises(ValueError, match=r"the GraphDef requires "
                                                                  r"consumer version >= 10000"):
        gf.import_graph_def(gd)
    path = gf.io.write_graph(gd, tmp_path, "new.pb", as_text=False)
    with pytest.raises(ValueError, match=f"while loading '{path}': the GraphDef requires "
                                         "consumer version >= 10000"):
        gf.io.load_graph(path)


def test_bad_consumer_version(lecture):
    gd = lecture().as_graph_def()
    gd.versions.bad_consumers.append(gd.versions.producer)
    with gf.Graph().as_default(), pytest.raises(ValueError, match="disallows consumer version"):
        gf.import_graph_def(gd)


def test_function_library_is_unimplemented(lecture):
    gd = lecture().as_graph_def()
    # Field 2 (library) holding a FunctionDefLibrary with one (opaque) function entry.
    data = gd.SerializeToString() + b"\x12\x04\x0a\x02\x0a\x00"
    with_lib = graph_pb2.GraphDef.FromString(data)
    with gf.Graph().as_default(), pytest.raises(gf.UnimplementedError,
                                                match="the GraphDef has a function library"):
        gf.import_graph_def(with_lib)


def test_load_graph_of_a_missing_or_bad_file(tmp_path, mlp):
    with pytest.raises(gf.NotFoundError):
        gf.io.load_graph(tmp_path / "absent.pb")
    bad = tmp_path / "bad.pb"
    bad.write_bytes(Path(gf.io.write_graph(mlp(), tmp_path, "m.pb", False)).read_bytes()[:40])
    with pytest.raises(gf.DataLossError, match=f"'{bad}'"):
        gf.io.load_graph(bad)
