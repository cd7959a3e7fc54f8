"""Plan specialization: fold what is known before the plan runs, drop what does nothing.

Given a ``Plan`` and the specs of its feeds (concrete shapes when the session knows the fed
arrays' shapes; the graph's static specs otherwise):
  1. re-run every step's shape rule on its inputs' specs, giving every slot the most
     concrete spec known (with concrete feed shapes, ``Shape``/``Size`` outputs and the
     whole dynamic-shape machinery of gradients — BroadcastGradientArgs, Reshape targets,
     counts for ``Mean`` — become known values); a rule that rejects the fed shapes is
     reported as a run-time error naming the node;
  2. constant-fold: a pure step whose inputs are all known values is evaluated now (by its
     own kernel) and removed; its outputs become plan constants;
  3. alias identities: a step that returns its input unchanged (Identity, StopGradient,
     Reshape/ExpandDims/Squeeze/BroadcastTo to the same shape, Cast to the same dtype,
     AddN of one input) is removed and its output slot becomes a name for its input's slot;
  4. drop pure steps whose outputs nothing reads any more (e.g. a reduction whose only
     consumer was a ``Shape`` that folded) and that no kept step has as a control input
     (such a step runs, with its run-time checks, as in TensorFlow and the shape-generic
     plan), then recompute each slot's last use.
The result is a smaller ``Plan`` with ``constants`` and ``slot_specs`` filled in.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.compiler.plan import Plan, PlanStep, assign_releases
from graphflow.framework import op_registry as registry
from graphflow.framework.errors import GraphBuildError, InvalidArgumentError, OpError, node_error
from graphflow.framework.op_registry import InferContext, KernelContext
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import TensorSpec
from graphflow.ops import op_base

#: Largest folded result (elements); bigger constant subexpressions are computed at run time.
FOLD_LIMIT = 1 << 20
_NEVER_FOLD = {"Placeholder"}
_IDENTITIES = {"Identity", "StopGradient", "Snapshot", "PlaceholderWithDefault"}
_SAME_SHAPE_IDENTITIES = {"Reshape", "ExpandDims", "Squeeze", "BroadcastTo"}

#: Reuse, across the feed-shape sets of one plan, what specialization found for the steps
#: that do not depend on any feed (their specs, folded values and identity decisions are the
#: same for every set of shapes): a new batch size then re-infers only the feed-dependent
#: steps. Off: every step is re-inferred (tests compare the two).
MEMO_FEED_INDEPENDENT = True

#: A kept Reshape of a kept Reshape (both with fully known shapes) reads the first one's
#: input instead (a reshape of a reshape is the reshape of the original: the same elements
#: in the same order), so the first is dropped when nothing else reads it — e.g. the two
#: Reshapes between a MatMul gradient and an embedding's row update. Off: both run.
MERGE_RESHAPES = True

#: Element-wise steps whose shape rule is ``op_base.Unary``'s or ``Binary``'s (which read only
#: their inputs' dtypes and shapes, and their values only to fold when all are known) with
#: an input of unknown value share one rule result per (record, input dtypes and shapes) in one
#: specialization: a chain of thousands of element-wise ops on one shape runs each op type's
#: rule once (a rule that rejects its inputs is never remembered: each such step still
#: raises its own error). Off: every step's rule runs (tests compare).
MEMO_ELEMENTWISE_RULES = True

#: What one step's specialization decided: (output specs, folded values or None, identity).
_Outcome = tuple[list[TensorSpec], list[np.ndarray] | None, bool]
_memo: dict[tuple[int, bool, int], dict[int, _Outcome]] = {}


def _memo_for(plan: Plan, fold: bool, fold_limit: int) -> dict[int, _Outcome] | None:
    if not MEMO_FEED_INDEPENDENT:
        return None
    key = (id(plan), fold, fold_limit)
    memo = _memo.get(key)
    if memo is None:
        memo = _memo[key] = {}
        weakref.finalize(plan, _memo.pop, key, None)
    return memo


def specialize(plan: Plan, feed_specs: list[TensorSpec], resources: RunResources,
               fold_limit: int = FOLD_LIMIT, fold: bool = True) -> Plan:
    """A new plan with known values folded and identities removed (see module doc).
    ``fold=False`` keeps every step that computes something (check_numerics runs it so)."""
    specs: dict[int, TensorSpec] = {s: spec for (_, s), spec in zip(plan.feeds, feed_specs)}
    constants: dict[int, np.ndarray] = {}
    alias: dict[int, int] = {}
    steps: list[PlanStep] = []

    def canon(s: int) -> int:
        while s in alias:
            s = alias[s]
        return s

    memo = _memo_for(plan, fold, fold_limit)
    learned: dict[int, _Outcome] = {}
    # slot -> input slot of the kept Reshape that produced it (both fully known)
    reshaped: dict[int, int] | None = {} if MERGE_RESHAPES and fold else None
    dependent = {s for _, s in plan.feeds}  # slots whose value depends on a feed
    rules: dict[Any, list[TensorSpec]] | None = {} if MEMO_ELEMENTWISE_RULES else None
    for index, step in enumerate(plan.steps):
        op, record = step.op, step.record
        ins = tuple([canon(s) if s in alias else s for s in step.inputs])
        independent = dependent.isdisjoint(ins)
        if not independent:
            dependent.update(o for o in step.outputs if o is not None)
        outcome = memo.get(index) if memo is not None and independent else None
        if outcome is not None:
            _replay(step, outcome, specs, constants, alias, steps, ins, reshaped=reshaped)
            continue
        in_specs = _input_specs(step, record, ins, specs, constants)
        rule_key = _rule_key(record, in_specs) if rules is not None else None
        remembered = None if rule_key is None else rules.get(rule_key)  # type: ignore[union-attr]
        if remembered is not None:
            out_specs = remembered
        else:
            out_specs = _infer(record, op, in_specs)
            if rule_key is not None:
                rules[rule_key] = out_specs  # type: ignore[index]
        for k, o in enumerate(step.outputs):
            if o is not None:
                specs[o] = out_specs[k] if k < len(out_specs) else op.outputs[k].spec
        pure = not record.stateful and not record.ref_inputs and op.type not in _NEVER_FOLD \
            and op.index not in plan.targets  # a fetched op runs (its checks apply)
        known = [sp.value for sp in out_specs]
        values: list[np.ndarray] | None
        if fold and pure and out_specs and all(v is not None for v in known):
            # e.g. Shape/Size of a concrete shape; a rule's folded value may have numpy's
            # dtype (np.sum of int32 is int64), the plan constant must have the tensor's.
            values = [_frozen(np.asarray(v, dtype=sp.dtype.np_dtype))
                      for v, sp in zip(known, out_specs)]
        elif fold and pure and all(s in constants for s in ins) and \
                _small(out_specs, fold_limit, op.type):
            values = _evaluate(record, op, in_specs, out_specs, resources,
                               [constants[s] for s in ins])
        else:
            values = None
        out0 = step.outputs[0] if step.outputs else None
        identity = values is None and pure and out0 is not None and \
            _is_identity(op, in_specs, out_specs)
        if independent:
            learned[index] = (out_specs, values, identity)
        _replay(step, (out_specs, values, identity), specs, constants, alias, steps, ins,
                specs_done=True, reshaped=reshaped)
    if memo is not None:
        memo.update(learned)  # only after the whole plan specialized without an error

    fetches = [None if s is None else canon(s) for s in plan.fetches]
    steps = _without_dead_steps(steps, fetches, plan.targets, _control_slots(plan, canon))
    fed = {s for _, s in plan.feeds}
    assign_releases(steps, set(s for s in fetches if s is not None) | fed | set(constants))
    # A fetch that now names another slot (an aliased identity) or a constant may share
    # memory with state or with every run: the session copies it.
    aliases = [False if s is None else (s in constants or plan.fetch_aliases[i]
                                        or s != plan.fetches[i])
               for i, s in enumerate(fetches)]
    slot_specs = [specs.get(s, t.spec) for s, t in enumerate(plan.slot_tensors)]
    return Plan(steps, plan.num_slots, plan.feeds, fetches, aliases, plan.slot_tensors,
                constants=constants, slot_specs=slot_specs, targets=plan.targets)


def _replay(step: PlanStep, outcome: _Outcome, specs: dict[int, TensorSpec],
            constants: dict[int, np.ndarray], alias: dict[int, int], steps: list[PlanStep],
            ins: tuple[int, ...], specs_done: bool = False,
            reshaped: dict[int, int] | None = None) -> None:
    """Apply one step's outcome: record its output specs, then fold it into constants,
    alias it to its input, or keep it as a step (a Reshape of a Reshape reading the
    first one's input, see ``MERGE_RESHAPES``)."""
    out_specs, values, identity = outcome
    if not specs_done:
        for k, o in enumerate(step.outputs):
            if o is not None:
                specs[o] = out_specs[k] if k < len(out_specs) else step.op.outputs[k].spec
    if values is not None:
        for k, o in enumerate(step.outputs):
            if o is not None:
                constants[o] = values[k]
    elif identity:
        alias[step.outputs[0]] = ins[0]  # type: ignore[index]
    else:
        if reshaped is not None and step.op.type == "Reshape" and ins and \
                step.outputs[0] is not None and _known(specs, ins[0]) and \
                _known(specs, step.outputs[0]):
            ins = (reshaped.get(ins[0], ins[0]),) + ins[1:]
            reshaped[step.outputs[0]] = ins[0]
        steps.append(PlanStep(step.op, step.record, ins, step.outputs, step.refs))


def _known(specs: dict[int, TensorSpec], slot: int) -> bool:
    spec = specs.get(slot)
    return spec is not None and spec.shape.is_fully_defined()


def _without_dead_steps(steps: list[PlanStep], fetches: list[int | None],
                        targets: frozenset[int] = frozenset(),
                        control_slots: Callable[[int], tuple[int, ...]] | None = None
                        ) -> list[PlanStep]:
    """Backward sweep: keep stateful steps, fetched ops, pure steps with an output still
    read, and the control inputs of kept steps — a pure op there runs, with its run-time
    checks, as it does in TensorFlow and in the shape-generic plan. ``control_slots(op
    index)``: the slots an op removed as an identity stands for (their producers are kept)."""
    live = {s for s in fetches if s is not None}
    controls: set[int] = set()  # op indices some kept step has as a control input
    kept: list[PlanStep] = []
    for step in reversed(steps):
        record = step.record
        needed = record.stateful or bool(record.ref_inputs) or step.op.index in targets or \
            step.op.index in controls or any(o is not None and o in live for o in step.outputs)
        if needed:
            kept.append(step)
            live.update(step.inputs)
            for c in step.op.control_inputs:
                controls.add(c.index)
                if control_slots is not None:
                    live.update(control_slots(c.index))
    kept.reverse()
    return kept


def _control_slots(plan: Plan, canon: Callable[[int], int]) -> Callable[[int], tuple[int, ...]]:
    """For ``_without_dead_steps``: an op's output slots, each followed through the
    identities removed (``canon``) — the steps that compute what a control input on it
    waits for."""
    by_op: dict[int, PlanStep] | None = None

    def slots(op_index: int) -> tuple[int, ...]:
        nonlocal by_op
        if by_op is None:
            by_op = {st.op.index: st for st in plan.steps}
        step = by_op.get(op_index)
        if step is None:
            return ()
        return tuple(canon(o) for o in step.outputs if o is not None)
    return slots


def _input_specs(step: PlanStep, record: registry.Op, ins: tuple[int, ...],
                 specs: dict[int, TensorSpec], constants: dict[int, np.ndarray]
                 ) -> list[TensorSpec]:
    """Specs in the op's input order; ref inputs keep their static spec."""
    out, it = [], iter(ins)
    for i, t in enumerate(step.op.inputs):
        if i in record.ref_inputs:
            out.append(t.spec)
            continue
        s = next(it)
        spec = specs.get(s, t.spec)
        if s in constants and spec.value is None:
            spec = TensorSpec(spec.dtype, spec.shape, constants[s])
        out.append(spec)
    return out


def _rule_key(record: registry.Op, in_specs: list[TensorSpec]) -> Any:
    """What an element-wise rule's result depends on when some input's value is unknown
    (None: the rule must run — not an element-wise base rule, or every value is known and
    the rule folds them; see ``MEMO_ELEMENTWISE_RULES``)."""
    if not op_base.reads_only_input_specs(record):
        return None
    key: list[Any] = [record]
    unknown = False
    for spec in in_specs:
        unknown = unknown or spec.value is None
        key.append(spec.dtype)
        key.append(spec.shape.dims)
    return tuple(key) if unknown else None  # all values known: the rule folds them


def _infer(record: registry.Op, op: Any, in_specs: list[TensorSpec]) -> list[TensorSpec]:
    try:
        return record.infer(InferContext(record, op.node_def, in_specs,
                                         [t.name for t in op.inputs]))
    except GraphBuildError as err:
        raise InvalidArgumentError(f"with the fed shapes, {err}", op.name, op.type) from None
    except (ArithmeticError, AttributeError, IndexError, KeyError, TypeError,
            ValueError) as err:  # a rule meeting a case it did not anticipate
        raise InvalidArgumentError(node_error(
            op.name, op.type, f"with the fed shapes its shape rule cannot handle this node "
            f"({type(err).__name__}: {err}); inputs: {in_specs}"), op.name, op.type) from err


def _small(out_specs: list[TensorSpec], limit: int, op_type: str) -> bool:
    if op_type == "Const":
        return True  # already materialized in the graph
    sizes = [s.shape.num_elements() for s in out_specs]
    return all(n is not None and n <= limit for n in sizes)


def _evaluate(record: registry.Op, op: Any, in_specs: list[TensorSpec],
              out_specs: list[TensorSpec], resources: RunResources, values: list[np.ndarray]
              ) -> list[np.ndarray]:
    ctx = KernelContext(record, op.node_def, in_specs, out_specs, resources)
    try:
        with np.errstate(all="ignore"):
            result = record.kernel(ctx)(*values)
    except OpError:  # the kernel's own run-time check (it names the node already)
        raise
    except Exception as err:  # noqa: BLE001 - the same message a run would give
        raise InvalidArgumentError(node_error(
            op.name, op.type, f"failed while folding its constant inputs: "
            f"{type(err).__name__}: {err}"), op.name, op.type) from err
    outs = list(result) if len(op.outputs) > 1 else [result]
    return [_frozen(v) for v in outs]


def _frozen(value: Any) -> np.ndarray:
    """A read-only array: constants are shared by every run, nothing may write into them."""
    arr = np.asarray(value)
    if arr.flags.writeable:
        arr = arr.copy() if arr.base is not None else arr
        arr.flags.writeable = False
    return arr


def _is_identity(op: Any, in_specs: list[TensorSpec], out_specs: list[TensorSpec]) -> bool:
    if op.type in _IDENTITIES:
        return True
    if op.type == "AddN":
        return len(in_specs) == 1
    if op.type == "Cast":
        return in_specs[0].dtype == out_specs[0].dtype
    if op.type in _SAME_SHAPE_IDENTITIES:
        a, b = in_specs[0].shape, out_specs[0].shape
        return a.is_fully_defined() and b.is_fully_defined() and a == b
    return False
