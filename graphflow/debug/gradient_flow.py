"""Gradient-flow report: is every layer learning, and how fast?

Stages of ``gradient_flow_report(loss, feed_dicts)``:
  1. copy the graph (``debug.workspace``; the user's graph is not modified), take variable
     values from the given session, and add ``d loss / d var`` for every trainable
     variable the loss depends on, in the copy;
  2. find the activations on the loss's path: Tanh, Sigmoid and Relu nodes;
  3. run each batch (one ``Session.run`` per feed dict) fetching loss, gradients and
     activations;
  4. per variable: gradient L2 norm and RMS, weight norm, update/weight ratio, fraction of
     zero gradient entries; per activation: saturation or dead units;
  5. group variables into layers by name scope (``layer3/W`` and ``layer3/b`` ->
     ``layer3``), order the layers from the input to the loss (longest data path to the
     loss, farthest first) and flag vanishing / exploding gradients, saturated tanh/sigmoid
     layers, dead ReLUs and oversized updates.

Definitions (all averaged over the batches; see ``Thresholds`` for the flag limits):
  * gradient norm: ``||g||_2`` of the variable's gradient for one batch, averaged over
    batches; a layer's norm is ``sqrt(sum ||g_v||^2)`` over its variables. Layers of
    different sizes are compared by the gradient RMS ``||g|| / sqrt(#params)``.
  * update/weight: ``learning_rate * ||g|| / ||w||``: the relative change plain SGD would
    make (about 1e-3 is healthy; the given learning rate is used for every optimizer).
  * zero gradients: fraction of gradient entries exactly 0 (dead units, unused rows).
  * saturation: tanh ``|y| > 0.99``; sigmoid ``y < 0.01 or y > 0.99``; fraction of entries.
  * dead ReLU: a unit (an index of the non-batch axes; axis 0 is the batch) whose output is
    0 for every example of every batch; fraction of units.
  * vanishing: with layers ordered input -> loss and r_i = rms_i / rms_(i+1): the first
    layer's RMS is below ``vanish_ratio`` (1e-3) times the last layer's, or every r_i is
    below ``vanish_step`` (0.1): the gradient shrinks tenfold or more at every layer.
  * exploding: some gradient is NaN/Inf, or some layer's gradient norm exceeds
    ``explode_norm`` (1e3), or the first layer's RMS exceeds ``explode_ratio`` (1e3) times
    the last's, or every r_i exceeds ``explode_step`` (10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow.compiler import frames, graph_index
from graphflow.compiler.gradients import gradients
from graphflow.debug.tables import format_table
from graphflow.debug.workspace import Workspace, ancestors, tensor_name
from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import as_dense
from graphflow.framework.tensor_names import split_tensor_name
from graphflow.ops.variables import trainable_variables

ACTIVATIONS = ("Tanh", "Sigmoid", "Relu")


@dataclass(frozen=True)
class Thresholds:
    """Limits of the report's flags (see the module doc for the definitions)."""

    vanish_ratio: float = 1e-3
    vanish_step: float = 0.1
    explode_ratio: float = 1e3
    explode_step: float = 10.0
    explode_norm: float = 1e3
    saturated_fraction: float = 0.2
    dead_fraction: float = 0.2
    max_update_ratio: float = 0.1


@dataclass(frozen=True)
class VariableFlow:
    """Per-variable statistics (averages over the batches)."""

    name: str
    layer: str
    shape: tuple[int, ...]
    grad_norm: float
    weight_norm: float
    update_ratio: float
    zero_fraction: float
    finite: bool = True

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def grad_rms(self) -> float:
        return self.grad_norm / math.sqrt(max(self.size, 1))


@dataclass(frozen=True)
class ActivationFlow:
    """One Tanh/Sigmoid/Relu node: fraction saturated (tanh/sigmoid) or of dead units."""

    name: str
    op_type: str
    layer: str
    saturated: float | None = None
    dead: float | None = None
    units: int = 0


@dataclass(frozen=True)
class LayerFlow:
    """The variables of one name scope, with their activations."""

    name: str
    variables: tuple[str, ...]
    params: int
    grad_norm: float
    weight_norm: float
    update_ratio: float
    zero_fraction: float
    saturated: float | None = None
    dead: float | None = None
    ratio_to_next: float | None = None  # rms / rms of the next layer toward the loss
    notes: tuple[str, ...] = ()

    @property
    def grad_rms(self) -> float:
        return self.grad_norm / math.sqrt(max(self.params, 1))


@dataclass(frozen=True)
class Flag:
    """A problem the report found: ``kind`` is vanishing, exploding, saturated, dead_relu or
    large_update; ``layers`` the layers concerned."""

    kind: str
    message: str
    layers: tuple[str, ...] = ()


@dataclass
class GradientFlowReport:
    """The result of ``gradient_flow_report``; ``to_table()`` renders it for reading."""

    loss: str
    losses: list[float]
    learning_rate: float
    layers: list[LayerFlow]  # ordered from the input to the loss
    variables: list[VariableFlow]
    activations: list[ActivationFlow]
    flags: list[Flag] = field(default_factory=list)
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def vanishing(self) -> bool:
        return any(f.kind == "vanishing" for f in self.flags)

    @property
    def exploding(self) -> bool:
        return any(f.kind == "exploding" for f in self.flags)

    def flagged(self, kind: str) -> list[Flag]:
        return [f for f in self.flags if f.kind == kind]

    def layer(self, name: str) -> LayerFlow:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer '{name}' in the report; layers: "
                       f"{', '.join(x.name for x in self.layers)}")

    def to_table(self, variables: bool = True) -> str:
        mean_loss = float(np.mean(self.losses)) if self.losses else float("nan")
        out = [(f"gradient flow of '{self.loss}' over {len(self.losses)} batch(es): mean loss "
                f"{mean_loss:.6g}; update/weight for learning rate {self.learning_rate:g}"),
               "layers, input -> loss:"]
        rows = [[x.name, str(x.params), _num(x.grad_norm), _num(x.grad_rms),
                 _num(x.ratio_to_next), _num(x.update_ratio), _pct(x.zero_fraction),
                 _pct(x.saturated), _pct(x.dead), "; ".join(x.notes)] for x in self.layers]
        out.append(format_table(["layer", "params", "grad norm", "grad rms", "rms/next",
                                 "update/w", "zero g", "saturated", "dead", "notes"], rows))
        if variables:
            out.append("variables:")
            rows = [[v.name, _shape(v.shape), _num(v.grad_norm), _num(v.weight_norm),
                     _num(v.update_ratio), _pct(v.zero_fraction)] for v in self.variables]
            out.append(format_table(["variable", "shape", "grad norm", "weight norm",
                                     "update/w", "zero g"], rows))
        if self.activations:
            out.append("activations:")
            rows = [[a.name, a.op_type, str(a.units), _pct(a.saturated), _pct(a.dead)]
                    for a in self.activations]
            out.append(format_table(["activation", "op", "units", "saturated", "dead"], rows))
        if self.flags:
            out.append("flags:")
            out.extend(f"  [{f.kind}] {f.message}" for f in self.flags)
        else:
            out.append("flags: none (no vanishing/exploding gradients, saturation, dead units "
                       "or oversized updates found)")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_table()


def gradient_flow_report(loss: Any, feed_dicts: Any = None, *, graph: Any = None,
                         session: Any = None, var_list: Sequence[Any] | None = None,
                         learning_rate: float = 0.01, thresholds: Thresholds | None = None,
                         variable_values: Mapping[str, np.ndarray] | None = None
                         ) -> GradientFlowReport:
    """Report gradient flow from ``loss`` (a Tensor, or a tensor name with ``graph``) to its
    trainable variables over ``feed_dicts`` (one feed dict, or a list: one per batch).

    ``session`` supplies the variables' current values (else their initializers' values);
    ``var_list`` restricts the variables (default: the graph's trainable variables when the
    loss is a Tensor of a ``gf.Graph``, else every variable the loss depends on). See the
    module doc for the definitions and flags."""
    thresholds = thresholds or Thresholds()
    source = graph if graph is not None else getattr(loss, "graph", None)
    if source is None:
        raise ValueError("gradient_flow_report: pass graph= when the loss is given by name")
    batches = _batches(feed_dicts)
    ws = Workspace.build(source, session, variable_values)
    try:
        return _report(ws, loss, batches, source, var_list, learning_rate, thresholds)
    finally:
        ws.close()


def _batches(feed_dicts: Any) -> list[Mapping[Any, Any]]:
    if feed_dicts is None:
        return [{}]
    if isinstance(feed_dicts, Mapping):
        return [feed_dicts]
    batches = list(feed_dicts)
    return batches or [{}]


def _report(ws: Workspace, loss_key: Any, batches: list[Mapping[Any, Any]], source: Any,
            var_list: Sequence[Any] | None, learning_rate: float, thresholds: Thresholds
            ) -> GradientFlowReport:
    loss = ws.tensor(loss_key)
    if not loss.dtype.is_floating:
        raise TypeError(f"gradient_flow_report: loss '{loss.name}' has dtype "
                        f"{loss.dtype.name}; it must be a floating-point tensor")
    upstream = ancestors(ws.graph, [loss])
    var_ops = _variables(ws, source, var_list, upstream)
    if not var_ops:
        raise ValueError(f"gradient_flow_report: loss '{loss.name}' depends on no trainable "
                         "variable (a frozen graph?); nothing to report")
    fmap = frames.frame_map(ws.graph)  # an activation inside a while loop has a value per
    acts = [op for op in ws.graph.get_operations()  # iteration: see debug/time_axis.py
            if op.type in ACTIVATIONS and op.name in upstream and fmap.frame_of(op) is None]
    with ws.graph.as_default():
        grads = gradients(loss, [op.outputs[0] for op in var_ops], name="gradient_flow")
    pairs = [(op, g) for op, g in zip(var_ops, grads) if g is not None]
    if not pairs:
        raise ValueError(f"gradient_flow_report: no gradient flows from '{loss.name}' to "
                         f"the variables {', '.join(op.name for op in var_ops)}")
    stats = {op.name: _VarStats() for op, _ in pairs}
    act_stats = {op.name: _ActStats(op.type) for op in acts}
    losses = []
    for batch in batches:
        fetch = {"loss": loss, "grads": {op.name: g for op, g in pairs},
                 "weights": {op.name: op.outputs[0] for op, _ in pairs},
                 "acts": {op.name: op.outputs[0] for op in acts}}
        out = ws.run(fetch, batch)
        losses.append(float(np.sum(out["loss"])))
        for name, g in out["grads"].items():
            stats[name].add(as_dense(g), np.asarray(out["weights"][name]), learning_rate)
        for name, y in out["acts"].items():
            act_stats[name].add(np.asarray(y))
    depth = _depth_to(ws.graph, loss, upstream)
    variables = [stats[op.name].result(op.name, _layer_of(op.name), op.outputs[0].shape)
                 for op, _ in pairs]
    layer_names = {v.layer for v in variables}
    activations = [act_stats[op.name].result(op.name, _match_layer(op.name, layer_names))
                   for op in acts]
    layers = _layers(variables, activations, depth, learning_rate)
    layers, flags = _flag(layers, variables, thresholds)
    return GradientFlowReport(loss.name, losses, learning_rate, layers, variables,
                              activations, flags, thresholds)


def _variables(ws: Workspace, source: Any, var_list: Sequence[Any] | None,
               upstream: set[str]) -> list[Any]:
    if var_list is not None:
        names = [split_tensor_name(tensor_name(v))[0] for v in var_list]
    elif isinstance(source, Graph) and trainable_variables(source):
        names = [v.op.name for v in trainable_variables(source)]
    else:
        names = [op.name for op in ws.variables()]
    ops = [ws.graph.get_operation_by_name(n) for n in names]
    return [op for op in ops if op.name in upstream and op.outputs[0].dtype.is_floating]


class _VarStats:
    def __init__(self) -> None:
        self.norms: list[float] = []
        self.weights: list[float] = []
        self.ratios: list[float] = []
        self.zeros: list[float] = []
        self.finite = True

    def add(self, g: np.ndarray, w: np.ndarray, lr: float) -> None:
        g64 = g.astype(np.float64)
        finite = bool(np.isfinite(g64).all())
        self.finite &= finite
        norm = float(np.linalg.norm(g64)) if finite else float("inf")
        wnorm = float(np.linalg.norm(w.astype(np.float64)))
        self.norms.append(norm)
        self.weights.append(wnorm)
        self.ratios.append(lr * norm / wnorm if wnorm > 0 else float("nan"))
        self.zeros.append(float(np.mean(g == 0)) if g.size else 0.0)

    def result(self, name: str, layer: str, shape: Any) -> VariableFlow:
        dims = tuple(int(d) for d in shape.as_list()) if shape.is_fully_defined() else ()
        return VariableFlow(name, layer, dims, _mean(self.norms), _mean(self.weights),
                            _mean(self.ratios), _mean(self.zeros), self.finite)


class _ActStats:
    def __init__(self, op_type: str) -> None:
        self.op_type = op_type
        self.saturated = 0
        self.count = 0
        self.alive: np.ndarray | None = None

    def add(self, y: np.ndarray) -> None:
        if self.op_type == "Relu":
            per_unit = y.reshape(y.shape[0], -1) if y.ndim >= 2 else y.reshape(1, -1)
            alive: np.ndarray = np.asarray((per_unit > 0).any(axis=0))
            self.alive = alive if self.alive is None or self.alive.shape != alive.shape \
                else self.alive | alive
            return
        if self.op_type == "Tanh":
            sat = np.abs(y) > 0.99
        else:
            sat = (y < 0.01) | (y > 0.99)
        self.saturated += int(sat.sum())
        self.count += y.size

    def result(self, name: str, layer: str) -> ActivationFlow:
        if self.op_type == "Relu":
            units = 0 if self.alive is None else int(self.alive.size)
            dead = float(np.mean(~self.alive)) if self.alive is not None and units else None
            return ActivationFlow(name, self.op_type, layer, dead=dead, units=units)
        sat = self.saturated / self.count if self.count else None
        return ActivationFlow(name, self.op_type, layer, saturated=sat, units=self.count)


def _layer_of(var_name: str) -> str:
    """``layer3/W`` -> ``layer3``; a variable outside any scope is its own layer."""
    scope = var_name.rpartition("/")[0]
    return scope or var_name


def _match_layer(op_name: str, layers: set[str]) -> str:
    """The longest layer scope containing ``op_name`` (``""`` if none)."""
    best = ""
    for layer in layers:
        if op_name.startswith(layer + "/") and len(layer) > len(best):
            best = layer
    return best


def _depth_to(graph: Any, loss: Any, upstream: set[str]) -> dict[str, int]:
    """Longest data-path length from each op to the loss's op (0 for the loss's op)."""
    order = graph_index.topological_order(graph.as_graph_def(), upstream)
    consumers: dict[str, set[str]] = {}
    for name in order:
        for t in graph.get_operation_by_name(name).inputs:
            consumers.setdefault(t.op.name, set()).add(name)
    depth: dict[str, int] = {}
    for name in reversed(order):
        below = [depth[c] for c in consumers.get(name, ()) if c in depth]
        depth[name] = 0 if name == loss.op.name else (1 + max(below) if below else 0)
    return depth


def _layers(variables: list[VariableFlow], activations: list[ActivationFlow],
            depth: Mapping[str, int], lr: float) -> list[LayerFlow]:
    groups: dict[str, list[VariableFlow]] = {}
    for v in variables:
        groups.setdefault(v.layer, []).append(v)
    out = []
    for name, vs in groups.items():
        acts = [a for a in activations if a.layer == name]
        sats = [a.saturated for a in acts if a.saturated is not None]
        deads = [a.dead for a in acts if a.dead is not None]
        norm = math.sqrt(sum(v.grad_norm ** 2 for v in vs))
        wnorm = math.sqrt(sum(v.weight_norm ** 2 for v in vs))
        params = sum(v.size for v in vs)
        zero = sum(v.zero_fraction * v.size for v in vs) / max(params, 1)
        out.append(LayerFlow(name, tuple(v.name for v in vs), params, norm, wnorm,
                             lr * norm / wnorm if wnorm > 0 else float("nan"), zero,
                             max(sats) if sats else None, max(deads) if deads else None))
    key = {layer.name: max(depth.get(v, 0) for v in layer.variables) for layer in out}
    out.sort(key=lambda layer: (-key[layer.name], layer.name))
    return out


def _flag(layers: list[LayerFlow], variables: list[VariableFlow], th: Thresholds
          ) -> tuple[list[LayerFlow], list[Flag]]:
    flags: list[Flag] = []
    rms = [x.grad_rms for x in layers]
    ratios: list[float | None] = []
    for i in range(len(layers)):
        nxt = rms[i + 1] if i + 1 < len(layers) else None
        ratios.append(rms[i] / nxt if nxt else None)
    notes: list[list[str]] = [[] for _ in layers]
    for i, r in enumerate(ratios):
        if r is not None and r < th.vanish_step or r is not None and r > th.explode_step:
            notes[i].append(f"x{r:.2g} of next")
    names = [x.name for x in layers]
    steps = [r for r in ratios if r is not None]
    if len(layers) >= 2 and all(math.isfinite(v) for v in rms):
        first, last = rms[0], rms[-1]
        overall = first / last if last > 0 else float("inf")
        if overall < th.vanish_ratio or (steps and all(r < th.vanish_step for r in steps)):
            flags.append(Flag("vanishing", f"gradients vanish toward the input: gradient RMS "
                              f"{_num(first)} at '{names[0]}' vs {_num(last)} at "
                              f"'{names[-1]}' (x{overall:.2g}); the first layers barely "
                              "learn. Try a non-saturating activation (ReLU), Glorot/Xavier-scaled "
                              "initial weights, or fewer layers", tuple(names)))
        elif overall > th.explode_ratio or (steps and all(r > th.explode_step for r in steps)):
            flags.append(Flag("exploding", f"gradients grow toward the input: gradient RMS "
                              f"{_num(first)} at '{names[0]}' vs {_num(last)} at "
                              f"'{names[-1]}' (x{overall:.2g}). Use smaller initial weights "
                              "or clip gradients", tuple(names)))
    bad = [v.name for v in variables if not v.finite]
    big = [x.name for x in layers if x.grad_norm > th.explode_norm]
    if bad:
        flags.append(Flag("exploding", f"non-finite gradients for {', '.join(bad)}: run with "
                          "gf.Session(check_numerics=True) to find the node where NaN/Inf "
                          "first appears", tuple(v.layer for v in variables if not v.finite)))
    elif big:
        flags.append(Flag("exploding", f"gradient norm above {th.explode_norm:g} in "
                          f"{', '.join(big)}: clip gradients or lower the learning rate",
                          tuple(big)))
    sat = [x for x in layers if x.saturated is not None and x.saturated > th.saturated_fraction]
    for i, x in enumerate(layers):
        if x.saturated is not None and x.saturated > th.saturated_fraction:
            notes[i].append("saturated")
        if x.dead is not None and x.dead > th.dead_fraction:
            notes[i].append("dead ReLUs")
        if x.update_ratio > th.max_update_ratio:
            notes[i].append("large update")
    if sat:
        flags.append(Flag("saturated", "tanh/sigmoid units saturated (no gradient passes a "
                          "saturated unit): " + ", ".join(f"{x.name} {_pct(x.saturated)}"
                                                          for x in sat)
                          + ". Use smaller initial weights or normalize the inputs",
                          tuple(x.name for x in sat)))
    dead = [x for x in layers if x.dead is not None and x.dead > th.dead_fraction]
    if dead:
        flags.append(Flag("dead_relu", "ReLU units that output 0 for every example: "
                          + ", ".join(f"{x.name} {_pct(x.dead)}" for x in dead)
                          + ". Lower the learning rate, or initialize biases slightly positive",
                          tuple(x.name for x in dead)))
    large = [x for x in layers if x.update_ratio > th.max_update_ratio]
    if large:
        flags.append(Flag("large_update", "update/weight above "
                          f"{th.max_update_ratio:g} (about 1e-3 is typical): "
                          + ", ".join(f"{x.name} {_num(x.update_ratio)}" for x in large)
                          + ". Lower the learning rate", tuple(x.name for x in large)))
    out = [LayerFlow(x.name, x.variables, x.params, x.grad_norm, x.weight_norm, x.update_ratio,
                     x.zero_fraction, x.saturated, x.dead, ratios[i], tuple(notes[i]))
           for i, x in enumerate(layers)]
    return out, flags


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    if math.isnan(v):
        return "-"
    return f"{v:.3g}" if v != 0 else "0"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
