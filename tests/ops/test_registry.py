"""The op registry's contract, checked over EVERY registered record after ``import
graphflow`` (so op families added later are covered too): each record has a shape rule, a
kernel, and a gradient rule or ``differentiable = False``; op types are TensorFlow's names;
a lookup miss raises UnimplementedError listing the known op types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import graphflow as gf  # registers every op record
from graphflow.framework import op_registry as registry
from graphflow.framework.op_registry import Op

RECORDS = sorted(registry.registered_ops().items())
IDS = [name for name, _ in RECORDS]

# TF op type names graphflow promises to read and write (wire compatibility).
TF_CORE_OPS = [
    "Add", "AddN", "AddV2", "Assign", "AssignAdd", "AssignSub", "BroadcastGradientArgs",
    "BroadcastTo", "Cast", "CheckNumerics", "Const", "Equal", "Exp", "ExpandDims", "Fill",
    "Greater", "GreaterEqual", "Identity", "Less", "LessEqual", "Log", "MatMul", "Max",
    "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "NoOp", "NotEqual", "OnesLike",
    "Placeholder", "PlaceholderWithDefault", "Pow", "RandomStandardNormal", "RandomUniform",
    "RealDiv", "Reshape", "ScatterAdd", "ScatterSub", "ScatterUpdate", "Select", "SelectV2",
    "Shape", "Sigmoid", "SigmoidGrad", "Size", "Sqrt", "SqrtGrad", "Square", "Squeeze",
    "StopGradient", "Sub", "Sum", "Tanh", "TanhGrad", "TruncatedNormal", "VariableV2",
    "ZerosLike",
]


def _overrides(record: Op, method: str) -> bool:
    """True when the record's class defines ``method`` itself or inherits it from a class
    other than the base ``Op`` (whose versions raise NotImplementedError)."""
    return getattr(type(record), method) is not getattr(Op, method)


def test_registry_is_populated() -> None:
    assert len(RECORDS) >= len(TF_CORE_OPS)


@pytest.mark.parametrize("op_type", TF_CORE_OPS)
def test_core_tf_op_types_are_registered(op_type: str) -> None:
    assert registry.lookup(op_type) is not None, f"{op_type} is not registered"


@pytest.mark.parametrize("op_type,record", RECORDS, ids=IDS)
def test_record_has_all_three_parts(op_type: str, record: Op) -> None:
    assert _overrides(record, "infer"), f"{op_type} has no shape rule (infer)"
    assert _overrides(record, "kernel"), f"{op_type} has no kernel"
    assert record.differentiable is False or _overrides(record, "grad"), (
        f"{op_type} is differentiable but has no gradient rule: implement grad() or set "
        "differentiable = False")


@pytest.mark.parametrize("op_type,record", RECORDS, ids=IDS)
def test_record_is_keyed_by_its_tf_op_type(op_type: str, record: Op) -> None:
    assert record.op_type == op_type
    # TF op type names are CamelCase identifiers (AddV2, MatMul, Conv2DBackpropInput, ...)
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", op_type), op_type
    assert isinstance(record.input_names, tuple)
    assert all(isinstance(n, str) and n.lstrip("*") for n in record.input_names)
    for i in record.ref_inputs:  # a ref input must be a declared input
        assert 0 <= i < len(record.input_names), (op_type, i)


@pytest.mark.parametrize("op_type,record", [(n, r) for n, r in RECORDS
                                            if r.differentiable and _overrides(r, "grad")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_gradient_rule_documents_its_math(op_type: str, record: Op) -> None:
    """Brief/guide convention: every gradient rule's docstring states its math."""
    doc = type(record).grad.__doc__
    assert doc and doc.strip(), f"{op_type}.grad has no docstring stating its math"


def test_lookup_miss_lists_known_op_types() -> None:
    with pytest.raises(gf.UnimplementedError) as info:
        registry.get("NoSuchOpAnywhere", "model/layer/odd")
    msg = str(info.value)
    assert "'NoSuchOpAnywhere'" in msg and "'model/layer/odd'" in msg
    assert "Known op types" in msg
    for op_type in ("AddV2", "MatMul", "Sum", "VariableV2"):
        assert op_type in msg
    assert info.value.op_type == "NoSuchOpAnywhere"
    assert info.value.node_name == "model/layer/odd"
    assert isinstance(info.value, NotImplementedError)
    assert registry.lookup("NoSuchOpAnywhere") is None


def test_unknown_op_in_a_graph_def_fails_on_import() -> None:
    from graphflow.proto import graph_pb2

    graph_def = graph_pb2.GraphDef()
    graph_def.versions.producer = 134
    graph_def.node.add(name="mystery", op="FancyNewOp")
    g = gf.Graph()
    with g.as_default(), pytest.raises(gf.UnimplementedError, match="FancyNewOp.*mystery"):
        gf.import_graph_def(graph_def, name="")


def test_register_rejects_duplicates_and_missing_op_type() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        @registry.register
        class AddV2Again(Op):
            op_type = "AddV2"

    with pytest.raises(ValueError, match="must set op_type"):
        @registry.register
        class Nameless(Op):
            pass

    assert type(registry.get("AddV2")).__name__ == "AddV2"


def test_override_and_restore() -> None:
    class Fake(Op):
        op_type = "FakeForRegistryTest"

    previous = registry.override("FakeForRegistryTest", Fake())
    try:
        assert previous is None
        assert isinstance(registry.get("FakeForRegistryTest"), Fake)
    finally:
        registry.restore("FakeForRegistryTest", previous)
    assert registry.lookup("FakeForRegistryTest") is None


def test_every_op_family_has_its_own_test_module() -> None:
    """Tests are one-to-one with the op families: ``graphflow/ops/<m>.py`` defining op
    records is tested by a ``test_<m>.py`` (in tests/ops, or beside the package that owns
    the family)."""
    tests_dir = Path(__file__).resolve().parent.parent
    have = {p.stem for p in tests_dir.rglob("test_*.py")}
    families = {type(r).__module__.rpartition(".")[2]
                for r in registry.registered_ops().values()
                if type(r).__module__.startswith("graphflow.ops.")}
    missing = sorted(m for m in families if f"test_{m}" not in have)
    assert not missing, missing
