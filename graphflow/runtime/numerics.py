"""NaN/Inf origin: the error ``gf.Session(check_numerics=True)`` raises.

With ``check_numerics`` on, the executor generates a check after every step of the compiled
plan (``_numerics(i, outputs)``) and keeps every input value alive (no ``del`` releases), so
the first step in execution order whose output holds NaN or Inf stops the run. This module
turns that step and the plan function's locals into a ``NumericsError`` (an
``InvalidArgumentError``) naming:
  1. the node (full scope name), its op type, and — for a node of a gradient subgraph — the
     forward node whose backward pass it belongs to;
  2. each output that is not finite, with its NaN / +Inf / -Inf counts;
  3. each input: tensor name, dtype, shape, whether it is finite, and its min/max;
  4. a hint for the usual culprits (log of 0, division by 0, exp overflow, a fed NaN, a
     variable that already holds NaN).
The structured facts stay on the error (``.inputs``, ``.outputs``, ``.step_index``) so tools
(e.g. ``graphflow.debug.picture``) can draw the origin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.compiler.gradient_scopes import forward_node_of
from graphflow.framework import op_registry as registry
from graphflow.framework.errors import InvalidArgumentError


@dataclass(frozen=True)
class ValueSummary:
    """What an error says about one tensor value (``available=False``: it was not kept)."""

    tensor: str
    role: str
    dtype: str = "?"
    shape: tuple[int, ...] = ()
    available: bool = True
    finite: bool = True
    min: float | None = None
    max: float | None = None
    nan: int = 0
    posinf: int = 0
    neginf: int = 0
    source: str = ""  # "fed", "constant", or "" (computed by an earlier step)

    def describe(self) -> str:
        head = f"{self.role} '{self.tensor}'"
        if not self.available:
            return f"{head}: value not available"
        shape = "(" + ", ".join(str(d) for d in self.shape) + ("," if len(self.shape) == 1
                                                                 else "") + ")"
        text = f"{head} {self.dtype} {shape}"
        if self.source:
            text += f" [{self.source}]"
        text += ": " + ("finite" if self.finite else f"NOT finite ({self.bad_counts()})")
        if self.min is not None:
            text += f", min {self.min:.6g}, max {self.max:.6g}"
            if not self.finite:
                text += " (over its finite entries)"
        elif self.available and self.shape and 0 in self.shape:
            text += ", empty"
        return text

    def bad_counts(self) -> str:
        parts = [f"{n} {what}" for n, what in ((self.nan, "NaN"), (self.posinf, "+Inf"),
                                                (self.neginf, "-Inf")) if n]
        return ", ".join(parts) or "no NaN/Inf"


def summarize(tensor: str, role: str, value: Any, source: str = "") -> ValueSummary:
    """Finite-ness, NaN/Inf counts and min/max (over finite entries) of ``value``."""
    if value is None:
        return ValueSummary(tensor, role, available=False, source=source)
    if hasattr(value, "to_dense"):
        value = value.to_dense()
    a = np.asarray(value)
    kind = a.dtype.kind
    if kind not in "biufc":
        return ValueSummary(tensor, role, str(a.dtype), a.shape, source=source)
    if kind in "fc":
        nan = int(np.isnan(a).sum())
        posinf = int(np.isposinf(a).sum()) if kind == "f" else 0
        neginf = int(np.isneginf(a).sum()) if kind == "f" else 0
        if kind == "c":
            posinf = int(np.isinf(a).sum())
        finite_values = a[np.isfinite(a)] if nan or posinf or neginf else a
    else:
        nan = posinf = neginf = 0
        finite_values = a
    lo = hi = None
    if finite_values.size and kind != "c":
        lo, hi = float(finite_values.min()), float(finite_values.max())
    return ValueSummary(tensor, role, str(a.dtype), tuple(a.shape), True,
                        not (nan or posinf or neginf), lo, hi, nan, posinf, neginf, source)


class NumericsError(InvalidArgumentError):
    """NaN/Inf first appeared in the output of ``node_name`` (see the module doc)."""

    def __init__(self, message: str, node_name: str, op_type: str, step_index: int,
                 inputs: list[ValueSummary], outputs: list[ValueSummary],
                 forward_node: str | None = None) -> None:
        super().__init__(message, node_name, op_type)
        self.step_index = step_index
        self.inputs = inputs
        self.outputs = outputs
        self.forward_node = forward_node


def numerics_error(plan: Any, step: Any, frame_locals: Mapping[str, Any]) -> NumericsError:
    """The error for ``step``, the first step of ``plan`` whose output is not finite;
    ``frame_locals`` are the plan function's locals (``s<slot>`` values)."""
    index = next((i for i, st in enumerate(plan.steps) if st is step), -1)
    record = step.record
    fed = {s for _, s in plan.feeds}

    def value_of(slot: int) -> Any:
        if slot in plan.constants:
            return plan.constants[slot]
        return frame_locals.get(f"s{slot}")

    def source_of(slot: int) -> str:
        if slot in fed:
            return "fed"
        if slot in plan.constants:
            return "constant"
        return ""

    refs = set(record.ref_inputs) if record is not None else set()
    positions = [k for k in range(len(step.op.inputs)) if k not in refs]
    inputs = [summarize(plan.slot_tensors[s].name, _role(record, k), value_of(s), source_of(s))
              for k, s in zip(positions, step.inputs)]
    outputs = [summarize(step.op.outputs[k].name, f"output {k}", value_of(s))
               for k, s in enumerate(step.outputs) if s is not None]
    bad = [o for o in outputs if o.available and not o.finite]
    forward = forward_node_of(step.name)
    where = f"step {index + 1} of {len(plan.steps)}" if index >= 0 else "a step"
    lines = [f"check_numerics: {step.op_type} node '{step.name}' is the first node in "
             f"execution order ({where}) whose output contains NaN or Inf: "
             + "; ".join(f"'{o.tensor}' {o.dtype} {o.shape} has {o.bad_counts()}" for o in bad)]
    if forward:
        lines.append(f"  it is a gradient node: part of the backward pass of '{forward}'")
    if inputs:
        lines.append("  inputs:")
        lines.extend(f"    {i.describe()}" for i in inputs)
    else:
        lines.append("  (the node has no value inputs)")
    hint = _hint(step.op_type, inputs, forward)
    if hint:
        lines.append(f"  hint: {hint}")
    return NumericsError("\n".join(lines), step.name, step.op_type, index, inputs, bad or outputs,
                         forward)


def _role(record: registry.Op | None, k: int) -> str:
    names = record.input_names if record is not None else ()
    if k < len(names):
        return names[k].lstrip("*")
    if names and names[-1].startswith("*"):
        return names[-1].lstrip("*")
    return f"input {k}"


# -- hints --------------------------------------------------------------------------------
def _hint(op_type: str, inputs: list[ValueSummary], forward: str | None) -> str:
    fed_bad = [i for i in inputs if i.source == "fed" and i.available and not i.finite]
    if fed_bad:
        return (f"the NaN/Inf was fed: '{fed_bad[0].tensor}' arrived in feed_dict already "
                "holding non-finite values; check the input data")
    if op_type in ("VariableV2", "Variable"):
        return ("the variable's stored value already holds NaN/Inf: an earlier update "
                "diverged (lower the learning rate, clip gradients) or it was loaded so")
    bad_in = [i for i in inputs if i.available and not i.finite]
    if bad_in:
        return (f"input '{bad_in[0].tensor}' is already non-finite but was not computed by a "
                "checked step (e.g. a constant)")
    rule = _HINTS.get(op_type)
    text = rule(inputs) if rule is not None else None
    if text:
        return text
    if forward:
        return ("all inputs are finite: the gradient overflowed or divides by zero here; look "
                f"at the forward node '{forward}' and the values it saw")
    return ("all inputs are finite: the op itself produced NaN/Inf (overflow, inf - inf, "
            "0 * inf, or an input outside its domain)")


def _log_hint(inputs: list[ValueSummary]) -> str | None:
    x = inputs[0] if inputs else None
    if x is not None and x.min is not None and x.min <= 0:
        return (f"log of {'0' if x.min == 0 else 'a negative number'} (input min "
                f"{x.min:.6g}): add a small epsilon (gf.log(p + 1e-8)), or compute the loss "
                "from logits with gf.nn.softmax_cross_entropy_with_logits / gf.nn.log_softmax")
    return None


def _sqrt_hint(inputs: list[ValueSummary]) -> str | None:
    x = inputs[0] if inputs else None
    if x is not None and x.min is not None and x.min < 0:
        return f"square root of a negative number (input min {x.min:.6g})"
    return None


def _div_hint(inputs: list[ValueSummary]) -> str | None:
    if len(inputs) > 1:
        y = inputs[1]
        if y.min is not None and y.min <= 0 <= (y.max or 0):
            return ("division by zero: the divisor's range includes 0 "
                    f"(min {y.min:.6g}, max {y.max:.6g}); add an epsilon to the denominator")
    return None


def _exp_hint(inputs: list[ValueSummary]) -> str | None:
    x = inputs[0] if inputs else None
    if x is not None and x.max is not None:
        limit = 88.7 if x.dtype == "float32" else 709.7 if x.dtype == "float64" else 11.0
        if x.max > limit:
            return (f"exp overflow: input max {x.max:.6g} > {limit} for {x.dtype}; subtract the "
                    "max first (as softmax does) or clip the input")
    return None


def _pow_hint(inputs: list[ValueSummary]) -> str | None:
    if inputs and inputs[0].min is not None and inputs[0].min < 0:
        return "a negative base raised to a non-integer power is NaN"
    return None


_HINTS: dict[str, Callable[[list[ValueSummary]], str | None]] = {
    "Log": _log_hint,
    "Sqrt": _sqrt_hint,
    "RealDiv": _div_hint,
    "Div": _div_hint,
    "Exp": _exp_hint,
    "Pow": _pow_hint,
}
