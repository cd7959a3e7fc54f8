"""The TF1 control-flow op records: Switch, Merge, Enter, Exit, NextIteration, LoopCond,
ControlTrigger — shape rules, kernels (dead values), errors, and the frame checks."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import control_flow_ops as cfo
from graphflow.ops.control_flow_ops import DEAD
from graphflow.proto import graph_pb2
from tests.helpers import run


def _kernel(op_type: str, node_attrs: dict | None = None, specs: list | None = None):
    record = registry.get(op_type)
    g = gf.Graph()
    node = g.graph_def.node.add(name="n", op=op_type)
    ctx = registry.KernelContext(record, node, specs or [], [])
    return record.kernel(ctx)


def test_switch_routes_data_to_the_taken_side_and_marks_the_other_dead() -> None:
    switch = _kernel("Switch")
    x = np.arange(3.0)
    assert switch(x, np.bool_(True)) == (DEAD, x)
    assert switch(x, np.bool_(False)) == (x, DEAD)


def test_merge_forwards_the_first_live_input_and_its_index() -> None:
    merge = _kernel("Merge")
    out, index = merge(DEAD, np.float32(2.0))
    assert out == np.float32(2.0) and index == 1 and index.dtype == np.int32
    assert merge(DEAD, DEAD) == (DEAD, DEAD)


def test_dead_is_a_singleton_with_a_readable_repr() -> None:
    assert cfo._Dead() is DEAD
    assert repr(DEAD) == "<dead tensor>"


def test_switch_shape_rule_keeps_the_data_spec_and_needs_a_bool_scalar_pred() -> None:
    x = gf.placeholder(gf.float32, [2, 5])
    f, t = cfo.switch(x, gf.constant(True))
    assert f.shape.as_list() == [2, 5] and t.shape.as_list() == [2, 5]
    with pytest.raises(gf.GraphBuildError, match="predicate .* must be a bool scalar"):
        gf.get_default_graph().create_op("Switch", [x, gf.constant(1.0)])
    with pytest.raises(gf.GraphBuildError, match="must be a scalar"):
        cfo.switch(x, gf.constant([True, False]))


def test_merge_shape_rule_keeps_what_both_inputs_agree_on() -> None:
    a = gf.placeholder(gf.float32, [2, 3])
    b = gf.placeholder(gf.float32, [4, 3])
    out, index = cfo.merge([a, b])
    assert out.shape.as_list() == [None, 3]
    assert index.dtype == gf.int32 and index.shape.as_list() == []
    c = gf.placeholder(gf.float32, [4])
    assert cfo.merge([a, c])[0].shape.rank is None
    with pytest.raises(gf.GraphBuildError, match="same dtype"):
        cfo.merge([a, gf.placeholder(gf.int32, [2, 3])])


def test_enter_needs_a_frame_name_and_drops_static_values_of_loop_variables() -> None:
    c = gf.constant([1.0, 2.0])
    entered = cfo.enter(c, "loop/while_context")
    assert entered.spec.value is None
    constant = cfo.enter(c, "loop/while_context", is_constant=True)
    assert constant.spec.value is not None
    with pytest.raises(gf.GraphBuildError, match="frame_name"):
        cfo.enter(c, "")


def test_loop_cond_needs_a_bool_scalar() -> None:
    with pytest.raises(gf.GraphBuildError, match="loop condition .* must be a bool scalar"):
        cfo.loop_cond(gf.constant(1))


def test_control_trigger_has_no_outputs() -> None:
    op = gf.get_default_graph().create_op("ControlTrigger", [])
    assert op.outputs == ()
    run(op)


def test_fetching_a_tensor_of_the_untaken_branch_is_an_error() -> None:
    p = gf.placeholder(gf.bool, [])
    x = gf.constant(3.0)
    f, t = cfo.switch(x, p)
    doubled = t * 2.0
    assert run(doubled, {p: True}) == 6.0
    with pytest.raises(gf.InvalidArgumentError, match="untaken branch of a cond"):
        run(doubled, {p: False})


def test_loop_op_gradient_rules_say_loops_are_differentiated_whole() -> None:
    x = gf.constant(1.0)
    e = cfo.enter(x, "f")
    with pytest.raises(LookupError, match="differentiates as a whole"):
        registry.get("Enter").grad(e.op, x)


def _graph_def(nodes: list[tuple[str, str, list[str], dict]]) -> graph_pb2.GraphDef:
    gd = graph_pb2.GraphDef()
    gd.versions.producer = 134
    for name, op, inputs, attrs in nodes:
        node = gd.node.add(name=name, op=op)
        node.input.extend(inputs)
        for k, v in attrs.items():
            if isinstance(v, str):
                node.attr[k].s = v.encode()
            elif isinstance(v, bool):
                node.attr[k].b = v
            else:
                node.attr[k].type = v
    return gd


def test_an_exit_outside_any_loop_is_refused_naming_it() -> None:
    gd = _graph_def([("c", "Const", [], {}), ("x", "Exit", ["c"], {"T": 1})])
    gd.node[0].attr["dtype"].type = 1
    gd.node[0].attr["value"].tensor.dtype = 1
    gd.node[0].attr["value"].tensor.float_val.append(1.0)
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(gd, name="")
        with pytest.raises(gf.GraphBuildError, match="Exit node 'x'.*outside any while loop"):
            gf.Session().run("x:0")


def test_a_graph_def_loop_without_loop_cond_is_refused_naming_the_frame() -> None:
    g = gf.Graph()
    with g.as_default():
        c = gf.constant(1.0, name="c")
        e = cfo.enter(c, "broken")
        m = cfo.merge([e, e])[0]
        n = cfo.next_iteration(m * 2.0)
        g.update_input(m.op, 1, n)
        with pytest.raises(gf.GraphBuildError, match="frame 'broken', which has 0 LoopCond"):
            gf.Session().run(n)


def test_update_input_only_replaces_a_merge_input_of_the_same_dtype() -> None:
    g = gf.Graph()
    with g.as_default():
        a = gf.constant(1.0)
        b = gf.identity(a)
        with pytest.raises(gf.GraphBuildError, match="only a Merge's input"):
            g.update_input(b.op, 0, a)
        m = cfo.merge([a, a])[0]
        with pytest.raises(gf.GraphBuildError, match="dtype float32"):
            g.update_input(m.op, 1, gf.constant(1))
