"""The first-run compile's speed-ups never change a plan: specialize's memo of element-wise
shape rules (``specialize.MEMO_ELEMENTWISE_RULES``) against every rule run,
``PlanStep.evolve`` against ``dataclasses.replace``, and the names and types an
``Operation`` reads once against its NodeDef."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import specialize as specialize_mod
from graphflow.compiler.pipeline import CompileOptions, compile_plan
from graphflow.compiler.plan import PlanStep, build_plan
from graphflow.framework import op_registry
from graphflow.framework.errors import InvalidArgumentError
from graphflow.ops import op_base


def _summary(compiled):
    plan = compiled.plan
    return ([(st.name, st.inputs, st.outputs, st.release, st.out_buffers, st.donated)
             for st in plan.steps],
            {s: (v.dtype, v.shape, v.tobytes()) for s, v in plan.constants.items()},
            [(sp.dtype, None if sp.shape.rank is None else sp.shape.as_list(),
              None if sp.value is None else np.asarray(sp.value).tobytes())
             for sp in plan.slot_specs],
            plan.fetches, plan.fetch_aliases, plan.buffers, compiled.source)


def _mixed_graph():
    """Element-wise chains over two dtypes and broadcast shapes, constant inputs with known
    values (one known: the memo applies; both known: the step folds), an int chain, a
    gradient (shape machinery), and a LeakyRelu (a Unary whose own rule reads an attr)."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        x64 = gf.placeholder(gf.float64, [None], name="x64")
        m = gf.placeholder(gf.float32, [None, None], name="m")
        n = gf.placeholder(gf.int32, [None], name="n")
        c = gf.constant(np.float32(0.5))
        y, y64 = x, x64
        for i in range(12):
            y = gf.tanh(y) if i % 3 == 0 else (y * c if i % 3 == 1 else y + c)
            y64 = gf.tanh(y64) if i % 3 == 0 else y64 * np.float64(0.25)
        wide = m + y  # [a, b] + [b]: a broadcast shape differing from both inputs
        wide = gf.nn.leaky_relu(wide * c, alpha=0.3) + gf.nn.leaky_relu(wide, alpha=0.1)
        folded = gf.constant(np.float32(2.0)) * c + c  # both values known: folds
        k = (n + 1) * n - gf.constant(np.int32(3))
        loss = gf.reduce_sum(wide * folded) + gf.reduce_sum(y) + \
            gf.cast(gf.reduce_sum(y64), gf.float32) + gf.cast(gf.reduce_sum(k), gf.float32)
        (dx,) = gf.gradients(loss, [x])
    return g, [x, x64, m, n], [loss, dx, wide, y64, k]


SHAPE_SETS = [[(4,), (4,), (3, 4), (5,)], [(1,), (7,), (2, 1), (1,)],
              [(6,), (6,), (1, 6), (2,)]]


@pytest.mark.parametrize("check_numerics", [False, True])
def test_memo_of_elementwise_rules_gives_the_same_plans(monkeypatch, check_numerics):
    g, feeds, fetches = _mixed_graph()
    base = build_plan(g, fetches, feeds)
    options = CompileOptions(check_numerics=check_numerics)
    with_memo = [_summary(compile_plan(g, fetches, feeds, shapes, options, base=base))
                 for shapes in SHAPE_SETS]
    monkeypatch.setattr(specialize_mod, "MEMO_ELEMENTWISE_RULES", False)
    without = [_summary(compile_plan(g, fetches, feeds, shapes, options, base=base))
               for shapes in SHAPE_SETS]
    assert with_memo == without


def test_memoized_specs_keep_each_steps_dtype_and_shape():
    g, feeds, fetches = _mixed_graph()
    plan = compile_plan(g, fetches, feeds, SHAPE_SETS[0]).plan
    specs = plan.slot_specs
    by_name = {st.name: st for st in plan.steps}
    y64 = fetches[3].op.name
    assert specs[by_name[y64].outputs[0]].dtype == gf.float64  # same shape as y, not its dtype
    assert specs[by_name[fetches[2].op.name].outputs[0]].shape.as_list() == [3, 4]
    assert specs[by_name[fetches[4].op.name].outputs[0]].dtype == gf.int32
    with gf.Session(graph=g) as sess:
        feed = {feeds[0]: np.linspace(-1, 1, 4).astype(np.float32),
                feeds[1]: np.linspace(-1, 1, 4), feeds[2]: np.ones((3, 4), np.float32),
                feeds[3]: np.arange(5, dtype=np.int32)}
        _, _, wide, y64_value, k = sess.run(fetches, feed)
    assert wide.shape == (3, 4) and y64_value.dtype == np.float64 and k.dtype == np.int32
    assert np.array_equal(k, (np.arange(5) + 1) * np.arange(5) - 3)


def test_an_elementwise_rule_that_rejects_the_fed_shapes_names_its_own_node():
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, [None], name="a")
        b = gf.placeholder(gf.float32, [None], name="b")
        first = gf.add(a, a, name="first")  # accepted for (3,) + (3,): its result memoized
        second = gf.add(first, b, name="second")  # (3,) + (4,): rejected
    with pytest.raises(InvalidArgumentError, match="second") as err:
        compile_plan(g, [second], [a, b], [(3,), (4,)])
    assert "'first'" not in str(err.value)
    plan = compile_plan(g, [second], [a, b], [(3,), (3,)]).plan  # nothing remembered wrongly
    assert plan.slot_specs[plan.fetches[0]].shape.as_list() == [3]


def test_only_the_element_wise_base_rules_are_memoized():
    assert op_base.reads_only_input_specs(op_registry.get("AddV2", "n"))
    assert op_base.reads_only_input_specs(op_registry.get("Tanh", "n"))
    assert op_base.reads_only_input_specs(op_registry.get("TanhGrad", "n"))
    assert not op_base.reads_only_input_specs(op_registry.get("LeakyRelu", "n"))  # own rule
    assert not op_base.reads_only_input_specs(op_registry.get("MatMul", "n"))


def test_plan_step_evolve_is_dataclasses_replace():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        y = gf.tanh(x)
    step = build_plan(g, [y], [x]).steps[0]
    changes = {"out_buffers": (3,), "donated": (0,), "parallel": "async", "join": 4}
    evolved, replaced = step.evolve(**changes), dataclasses.replace(step, **changes)
    assert evolved == replaced and evolved is not step
    assert (step.out_buffers, step.donated, step.parallel, step.join) == ((), (), "", None)
    evolved.release = (9,)
    assert step.release == ()
    with pytest.raises(TypeError, match="out_buffer"):
        step.evolve(out_buffer=(1,))
    assert {f.name for f in dataclasses.fields(PlanStep)} >= changes.keys()


def test_operation_name_and_type_are_its_node_defs():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        with g.name_scope("block"):
            y = gf.tanh(x, name="t")
    for op in g.operations:
        assert (op.name, op.type) == (op.node_def.name, op.node_def.op)
    assert (y.op.name, y.op.type, y.name) == ("block/t", "Tanh", "block/t:0")
    imported = gf.Graph()
    with imported.as_default():
        gf.import_graph_def(g.as_graph_def(), name="copy")
    assert sorted((op.name, op.type) for op in imported.operations) == \
        [("copy/block/t", "Tanh"), ("copy/x", "Placeholder")]
