"""Tests for graphflow.compiler.pipeline (compile_plan and its passes in order) and
graphflow.compiler.codegen (the generated source, its line -> step map, linecache)."""

from __future__ import annotations

import gc
import linecache

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import codegen
from graphflow.compiler.pipeline import CompileOptions, compile_plan, signature_plan
from graphflow.compiler.plan import build_plan
from graphflow.framework import op_registry
from graphflow.framework.resources import RunResources


@pytest.fixture()
def mean_grad():
    """x (?, 3) -> loss = mean(tanh(x)); dx = d loss / dx (with the shape machinery)."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        loss = gf.reduce_mean(gf.tanh(x), name="loss")
        (dx,) = gf.gradients(loss, [x])
    return g, x, loss, dx


def test_passes_run_in_order_and_each_can_be_switched_off(mean_grad):
    g, x, _, dx = mean_grad
    base = build_plan(g, [dx], [x])
    full = compile_plan(g, [dx], [x], [(4, 3)])
    generic = compile_plan(g, [dx], [x])  # no feed shapes: the static ones, no buffers
    plain = compile_plan(g, [dx], [x], [(4, 3)], CompileOptions(specialize=False))
    kinds = {st.op_type for st in full.plan.steps}
    assert not {"Shape", "Size", "BroadcastGradientArgs"} & kinds  # folded with (4, 3)
    assert len(full.plan.steps) < len(generic.plan.steps) <= len(base.steps)
    assert full.plan.buffers and not generic.plan.buffers
    assert [st.name for st in plain.plan.steps] == [st.name for st in base.steps]
    assert full.plan.constants and not plain.plan.constants
    assert full.feed_specs[0].shape.as_list() == [4, 3]
    assert generic.feed_specs[0].shape.as_list() == [None, 3]
    no_code = compile_plan(g, [dx], [x], [(4, 3)], CompileOptions(codegen=False))
    assert no_code.code is None and no_code.source == ""
    assert [st.name for st in no_code.plan.steps] == [st.name for st in full.plan.steps]


def test_check_numerics_folds_nothing_and_checks_every_step(mean_grad):
    g, x, _, dx = mean_grad
    checked = compile_plan(g, [dx], [x], [(4, 3)], CompileOptions(check_numerics=True))
    assert not checked.plan.buffers
    assert checked.source.count("_numerics(") == sum(
        1 for st in checked.plan.steps if any(s is not None for s in st.outputs))
    assert "del s" not in checked.source
    # Both lines of a step (the call and its check) map to that step.
    steps_of_lines = list(checked.code.line_steps.values())
    assert sorted(set(steps_of_lines)) == list(range(len(checked.plan.steps)))


def test_a_graph_def_and_names_give_the_same_plan_as_the_graph(mean_grad):
    g, x, loss, dx = mean_grad
    from_graph = compile_plan(g, [dx, loss.op], [x], [(2, 3)])
    from_def = compile_plan(g.as_graph_def(), [dx.name, "loss"], ["x:0"], [(2, 3)])
    assert [(s.name, s.op_type, s.inputs, s.outputs) for s in from_def.plan.steps] == \
        [(s.name, s.op_type, s.inputs, s.outputs) for s in from_graph.plan.steps]
    assert from_def.plan.steps[0].op.graph is not g  # a private import of the GraphDef
    assert from_def.plan.fetches[1] is None  # "loss" names the operation


def test_steps_carry_their_op_record(mean_grad):
    g, x, _, dx = mean_grad
    compiled = compile_plan(g, [dx], [x], [(4, 3)])
    for step in compiled.plan.steps:
        assert step.record is op_registry.get(step.op_type)


def test_folding_needs_only_run_resources_not_a_session():
    """Constant folding runs kernels with the RunResources it is given (no Session)."""
    g = gf.Graph()
    with g.as_default():
        c = gf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
        y = gf.reduce_sum(c * 2.0, axis=1, name="y")
    compiled = compile_plan(g, [y], [], [], resources=RunResources(seed=1))
    assert compiled.plan.steps == []  # everything folded
    value = compiled.plan.constants[compiled.plan.fetches[0]]
    np.testing.assert_array_equal(value, [6.0, 24.0])
    assert not value.flags.writeable  # shared by every run: read-only


def test_signature_plan_rejects_an_unfed_placeholder_naming_the_fetch():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        a = gf.identity(x * 2.0, name="a")
        b = gf.constant(1.0, name="b")
    with pytest.raises(gf.InvalidArgumentError, match=r"placeholder tensor 'x' with dtype "
                                                      r"float32 and shape \(2,\): fetch 'a:0' "
                                                      r"depends on it"):
        signature_plan(g, [a, b], [])


def test_wrong_number_of_feed_shapes_is_an_error(mean_grad):
    g, x, _, dx = mean_grad
    with pytest.raises(ValueError, match="2 feed shapes for 1 feeds"):
        compile_plan(g, [dx], [x], [(1, 3), (2, 3)])


def test_describe_lists_feeds_steps_constants_buffers_and_source(mean_grad):
    g, x, loss, dx = mean_grad
    compiled = compile_plan(g, [dx, loss.op], [x], [(4, 3)])
    text = str(compiled)
    assert text.startswith(f"plan: {len(compiled.plan.steps)} steps, "
                           f"{len(compiled.plan.constants)} folded constants, "
                           f"{len(compiled.plan.buffers)} buffers (generated code; passes: "
                           "specialize, plan_memory)")
    assert "feeds:\n  s0 = x:0 float32 (4, 3)\n" in text
    tanh = next(st for st in compiled.plan.steps if st.op_type == "Tanh")
    assert f"Tanh                 {tanh.name}  (x:0=s0) -> (" in text
    assert "folded constants:\n" in text and "buffers:\n  b0: float32" in text
    assert "fetches: " in text and "(operation)" in text
    assert f"source ({compiled.code.filename}):\n  def _plan(s0):" in text


def test_codegen_line_map_and_linecache_entry_live_as_long_as_the_code(mean_grad):
    g, x, _, dx = mean_grad
    code = compile_plan(g, [dx], [x], [(4, 3)]).code
    lines = code.lines()
    for lineno, index in code.line_steps.items():
        assert lines[lineno - 1].lstrip().split(" = ")[-1].startswith(f"k{index}(")
    assert code.step_at(1) is None and code.step_at(len(lines)) is None  # def, return
    assert linecache.getline(code.filename, 2) == lines[1] + "\n"
    filename = code.filename
    del code
    gc.collect()
    assert filename not in linecache.cache


def test_each_generated_code_has_its_own_file_name(mean_grad):
    g, x, _, dx = mean_grad
    a = codegen.generate(build_plan(g, [dx], [x]))
    b = codegen.generate(build_plan(g, [dx], [x]))
    assert a.filename != b.filename and a.source == b.source


def test_each_record_is_looked_up_once_per_signature_and_never_per_shape(mean_grad,
                                                                        monkeypatch):
    g, x, _, dx = mean_grad
    calls: list[str] = []
    real_get, real_lookup = op_registry.get, op_registry.lookup

    def get(op_type, node_name=None):
        calls.append(op_type)
        return real_get(op_type, node_name)

    def lookup(op_type):
        calls.append(op_type)
        return real_lookup(op_type)

    monkeypatch.setattr(op_registry, "get", get)
    monkeypatch.setattr(op_registry, "lookup", lookup)
    base = signature_plan(g, [dx], [x])
    assert sorted(calls) == sorted(st.op_type for st in base.steps)  # one per kept op
    calls.clear()
    for shape in [(4, 3), (2, 3)]:
        compile_plan(g, [dx], [x], [shape], base=base)
    assert calls == []  # specialize, memory plan and codegen use the steps' records
