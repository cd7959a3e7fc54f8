"""Loop frames of a graph: which while loop (TF1 frame) every op belongs to, and the parts
of one loop — what the plan turns into a single loop step.

Stages:
  1. ``frame_map(graph)``: the frame of every op, computed once per op as the graph grows
     (cached per Graph): an ``Enter`` opens the child frame named by its ``frame_name``
     under its input's frame, an ``Exit`` returns to the parent, a ``Merge`` is in its
     first (non-back-edge) input's frame, any other op in the deepest frame among its
     data and control inputs (the top level, ``None``, if it has none);
  2. ``loop_parts(frame, ops)``: for the ops of one frame (and the frames nested in it)
     kept by a plan, the loop variables (Enter -> Merge <- NextIteration, Switch on the
     LoopCond, Exit), the loop invariants (other Enters), the outer tensors read directly
     (``captures``), and the LoopCond — with errors naming the node when the structure is
     not a loop TF1 would build.
Frames are identified by (parent frame, frame name), so two loops with the same
``frame_name`` in different parents are different frames, as in TensorFlow's executor.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from graphflow.framework.errors import GraphBuildError, node_error
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops.control_flow_ops import CONTROL_FLOW_OPS, MERGE_OPS, SWITCH_OPS

ENTER_OPS = frozenset({"Enter", "RefEnter"})
EXIT_OPS = frozenset({"Exit", "RefExit"})
NEXT_OPS = frozenset({"NextIteration", "RefNextIteration"})


@dataclass(eq=False)
class Frame:
    """One loop frame: its ``frame_name`` and the frame it is nested in (None: top level)."""

    name: str
    parent: Frame | None
    depth: int

    def __repr__(self) -> str:
        return f"Frame({self.name!r}, depth={self.depth})"

    def within(self, other: Frame | None) -> bool:
        """True if this frame is ``other`` or nested (at any depth) inside it."""
        f: Frame | None = self
        while f is not None:
            if f is other:
                return True
            f = f.parent
        return other is None


class FrameMap:
    """The frame of every op of one graph, extended as the graph grows."""

    def __init__(self) -> None:
        self.frames: list[Frame | None] = []
        self.by_key: dict[tuple[int, str], Frame] = {}
        self.has_control_flow = False

    def update(self, graph: Graph) -> None:
        ops = graph.operations
        frames = self.frames
        for i in range(len(frames), len(ops)):
            op = ops[i]
            if not self.has_control_flow:
                if op.type not in CONTROL_FLOW_OPS:
                    frames.append(None)
                    continue
                self.has_control_flow = True
            frames.append(self._frame_of(op, frames))

    def _frame_of(self, op: Operation, frames: list[Frame | None]) -> Frame | None:
        kind = op.type
        if kind in ENTER_OPS:
            parent = frames[op.inputs[0].op.index] if op.inputs else None
            name = op.get_attr("frame_name")
            name = name.decode() if isinstance(name, bytes) else str(name)
            key = (id(parent), name)
            frame = self.by_key.get(key)
            if frame is None:
                frame = self.by_key[key] = Frame(name, parent,
                                                 0 if parent is None else parent.depth + 1)
            return frame
        if kind in EXIT_OPS:
            inner = frames[op.inputs[0].op.index] if op.inputs else None
            if inner is None:
                raise GraphBuildError(node_error(
                    op.name, op.type, "is an Exit outside any while loop (its input is not in "
                    "a loop frame)", "Exit nodes must read a loop's Switch"))
            return inner.parent
        best: Frame | None = None
        for t in op.inputs:
            if t.op.index < op.index or kind not in MERGE_OPS:
                best = _deeper(best, frames[t.op.index] if t.op.index < len(frames) else None)
        for c in op.control_inputs:
            best = _deeper(best, frames[c.index])
        return best

    def frame_of(self, op: Operation) -> Frame | None:
        if op.index >= len(self.frames):  # created since the last update
            self.update(op.graph)
        return self.frames[op.index]

    def loop_of(self, op: Operation) -> Frame | None:
        """The frame whose loop step runs ``op``: its frame, except that an Exit (whose
        output is outside its loop) belongs to the loop it exits."""
        if op.type in EXIT_OPS:
            return self.frame_of(op.inputs[0].op)
        return self.frame_of(op)


def _deeper(a: Frame | None, b: Frame | None) -> Frame | None:
    if a is None:
        return b
    if b is None:
        return a
    return b if b.depth > a.depth else a


_MAPS: weakref.WeakKeyDictionary[Graph, FrameMap] = weakref.WeakKeyDictionary()


def frame_map(graph: Graph) -> FrameMap:
    """The (cached, up-to-date) frame of every op of ``graph``."""
    fmap = _MAPS.get(graph)
    if fmap is None:
        fmap = _MAPS[graph] = FrameMap()
    fmap.update(graph)
    return fmap


def child_of(frame: Frame | None, level: Frame | None) -> Frame | None:
    """The frame directly inside ``level`` that contains ``frame`` (``frame`` itself when
    it is a child of ``level``); None if ``frame`` is ``level`` or outside it."""
    f = frame
    while f is not None and f.parent is not level:
        f = f.parent
    return f


@dataclass(eq=False)
class LoopVar:
    """One loop variable: Enter -> Merge(Enter, NextIteration) -> Switch(LoopCond) -> Exit."""

    enter: Operation
    merge: Operation
    next: Operation
    switch: Operation | None
    exit: Operation | None


@dataclass(eq=False)
class LoopParts:
    """What a loop frame's ops are, for the plan to run it as one step."""

    frame: Frame
    ops: list[Operation]
    variables: list[LoopVar]
    invariants: list[Operation]  # Enter nodes of loop invariants
    captures: list[Tensor]  # outer tensors read directly by ops inside the loop
    loop_cond: Operation
    outer_controls: list[Operation] = field(default_factory=list)


def loop_parts(frame: Frame, ops: list[Operation], fmap: FrameMap) -> LoopParts:
    """Identify the parts of the loop ``frame`` among ``ops`` (all kept ops inside it)."""
    members = {op.index for op in ops}
    own = [op for op in ops if fmap.frame_of(op) is frame]
    conds = [op for op in own if op.type == "LoopCond"]
    if len(conds) != 1:
        where = ", ".join(f"'{op.name}'" for op in conds) or "none"
        first = own[0] if own else ops[0]
        raise GraphBuildError(node_error(
            first.name, first.type, f"belongs to while loop frame '{frame.name}', which has "
            f"{len(conds)} LoopCond nodes ({where}); a loop frame needs exactly one",
            "build loops with gf.while_loop (or load a TensorFlow 1 GraphDef unchanged)"))
    loop_cond = conds[0]
    consumers: dict[tuple[int, int], list[Operation]] = {}
    for op in ops:
        for t in op.inputs:
            consumers.setdefault((t.op.index, t.value_index), []).append(op)
    variables: list[LoopVar] = []
    loop_merges = set()
    for op in own:
        if op.type not in MERGE_OPS:
            continue
        kinds = [t.op.type for t in op.inputs]
        if not any(k in NEXT_OPS for k in kinds):
            continue  # a cond's merge inside the loop body
        if len(op.inputs) != 2 or not any(k in ENTER_OPS for k in kinds):
            raise GraphBuildError(node_error(
                op.name, op.type, f"is a loop Merge with inputs {[t.name for t in op.inputs]}; "
                "a loop variable's Merge reads one Enter and one NextIteration"))
        enter_op = next(t.op for t in op.inputs if t.op.type in ENTER_OPS)
        next_op = next(t.op for t in op.inputs if t.op.type in NEXT_OPS)
        sw = next((c for c in consumers.get((op.index, 0), ()) if c.type in SWITCH_OPS
                   and c.inputs[1].op is loop_cond), None)
        ex = None
        if sw is not None:
            ex = next((c for c in consumers.get((sw.index, 0), ()) if c.type in EXIT_OPS),
                      None)
        variables.append(LoopVar(enter_op, op, next_op, sw, ex))
        loop_merges.add(op.index)
    var_enters = {v.enter.index for v in variables}
    invariants = [op for op in own if op.type in ENTER_OPS and op.index not in var_enters]
    captures: list[Tensor] = []
    seen: set[tuple[int, int]] = set()
    outer_controls: list[Operation] = []
    for op in ops:
        if op.type in ENTER_OPS and fmap.frame_of(op) is frame:
            continue  # an Enter's input is outside by design
        for t in op.inputs:
            key = (t.op.index, t.value_index)
            if t.op.index not in members and key not in seen:
                seen.add(key)
                captures.append(t)
        for c in op.control_inputs:
            if c.index not in members and c not in outer_controls:
                outer_controls.append(c)
    for op in ops:
        if op.type in EXIT_OPS and fmap.loop_of(op) is frame and \
                not any(v.exit is op for v in variables):
            raise GraphBuildError(node_error(
                op.name, op.type, f"exits loop frame '{frame.name}' but does not read the "
                "false side of a loop variable's Switch"))
    for e in [v.enter for v in variables] + invariants:
        if e.inputs[0].op.index in members:
            raise GraphBuildError(node_error(
                e.name, e.type, f"enters loop frame '{frame.name}' from inside it"))
    return LoopParts(frame, ops, variables, invariants, captures, loop_cond, outer_controls)
