"""Tests for graphflow.compiler.plan: steps, slots, fetch slots, releases, describe()."""

from __future__ import annotations

import pytest

import graphflow as gf
from graphflow.compiler.plan import Plan, build_plan


@pytest.fixture()
def chain():
    """x (fed) -> y = identity(x) -> z = y + c -> w = identity(z); v = -z (unused)."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        y = gf.identity(x, name="y")
        c = gf.constant([1.0, 2.0], name="c")
        z = gf.add(y, c, name="z")
        w = gf.identity(z, name="w")
        v = gf.negative(z, name="v")
    return g, {"x": x, "y": y, "c": c, "z": z, "w": w, "v": v}


def test_steps_slots_and_fetches(chain):
    g, t = chain
    plan = build_plan(g, [t["w"], t["z"]], [t["x"]])
    assert isinstance(plan, Plan)
    assert [s.name for s in plan.steps] == ["y", "c", "z", "w"]  # v is pruned
    assert [s.op_type for s in plan.steps] == ["Identity", "Const", "AddV2", "Identity"]
    assert [(f.name, s) for f, s in plan.feeds] == [("x:0", 0)]
    slot = {tensor.name: i for i, tensor in enumerate(plan.slot_tensors)}
    assert plan.num_slots == len(plan.slot_tensors) == 5
    y, c, z, _ = plan.steps
    assert y.inputs == (slot["x:0"],) and y.outputs == (slot["y:0"],)
    assert c.inputs == () and c.outputs == (slot["c:0"],)
    assert z.inputs == (slot["y:0"], slot["c:0"]) and z.outputs == (slot["z:0"],)
    assert plan.fetches == [slot["w:0"], slot["z:0"]]


def test_releases_free_slots_after_last_use(chain):
    g, t = chain
    plan = build_plan(g, [t["w"]], [t["x"]])
    slot = {tensor.name: i for i, tensor in enumerate(plan.slot_tensors)}
    release = {s.name: set(s.release) for s in plan.steps}
    # y and c die at z; z dies at w; fed and fetched slots are never released.
    assert release == {"y": set(), "c": set(), "z": {slot["y:0"], slot["c:0"]},
                       "w": {slot["z:0"]}}
    assert all(slot["x:0"] not in s.release and slot["w:0"] not in s.release
               for s in plan.steps)


def test_operation_fetch_has_no_slot_and_unused_outputs_are_dropped(chain):
    g, t = chain
    plan = build_plan(g, [t["w"].op, t["c"]], [t["y"]])
    assert [s.name for s in plan.steps] == ["c", "z", "w"]  # x and y not needed: y is fed
    assert plan.fetches[0] is None and plan.fetches[1] is not None
    assert plan.steps[-1].outputs == (None,)  # w's value is not read by anything


def test_fetching_a_fed_tensor_runs_nothing(chain):
    g, t = chain
    plan = build_plan(g, [t["z"]], [t["z"]])
    assert plan.steps == [] and plan.fetches == [plan.feeds[0][1]]


def test_ref_inputs_are_bound_by_variable_name():
    g = gf.Graph()
    with g.as_default():
        w = gf.Variable(1.0, name="W")
        step = w.assign_add(2.0, name="step")
    plan = build_plan(g, [step], [])
    by_name = {s.name: s for s in plan.steps}
    assert by_name["step"].refs == ("W",)
    assert len(by_name["step"].inputs) == 1  # the delta only; the variable is a ref
    assert "W" not in by_name and plan.fetch_aliases == [True]


def test_fetch_aliases_mark_values_that_may_share_memory(chain):
    g, t = chain
    plan = build_plan(g, [t["w"], t["z"], t["c"]], [t["x"]])
    assert plan.fetch_aliases == [True, False, True]  # Identity and Const may alias


def test_describe_lists_every_step(chain):
    g, t = chain
    plan = build_plan(g, [t["w"], t["w"].op], [t["x"]])
    text = plan.describe()
    lines = text.splitlines()
    assert lines[0] == "plan: 4 steps, 5 slots, 0 constants, 0 buffers"
    assert lines[1] == "  feed  x:0 -> s0"
    assert "AddV2" in lines[4] and " z " in lines[4] and "(s1, s2) -> (s3)" in lines[4]
    assert "free=['s1', 's2']" in lines[4]
    assert lines[-1] == "  fetch s4, op"


def test_ref_input_from_a_non_variable_is_an_error():
    source = gf.Graph()
    with source.as_default():
        w = gf.Variable(1.0, name="W")
        w.assign_add(2.0, name="step")
    gd = source.as_graph_def()
    copy = gd.node.add(name="copy", op="Identity", input=["W/read"])
    copy.attr["T"].CopyFrom(gd.node[1].attr["dtype"])
    step = next(n for n in gd.node if n.name == "step")
    step.input[0] = "copy"  # a hand-written GraphDef updating a computed value
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(gd, name="")
    with pytest.raises(gf.GraphBuildError, match=r"AssignAdd node 'step': input 0 must be a "
                                                 r"variable .* comes from 'copy' \(Identity\)\. "
                                                 r"Fix: pass the gf.Variable itself"):
        build_plan(g, [g.get_operation_by_name("step")], [])
