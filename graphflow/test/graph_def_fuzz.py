"""Seeded GraphDef mutation fuzzing: hostile ``.pb`` files get graphflow's errors, never an
internal exception or a silently different graph.

``fuzz(graph_def, feeds, fetches, cases, seed)`` serializes a reference graph, mutates it
(truncation, byte flips, byte insertions, and field edits: renamed nodes, rewired inputs,
dropped or duplicated inputs, attrs of the wrong kind or value, out-of-range DataType enums,
negative dims), then reads, imports and runs each mutant. Each case ends in one of three
ways — it is rejected with a ``GraphflowError`` (the library's errors: ``DataLossError`` for
unreadable bytes, ``GraphBuildError`` for invalid nodes, ``OpError`` at run time), it is
not a change at all (same bytes after parsing), or it runs — and any other exception is a
finding. ``tests/io/test_graph_def_fuzz.py`` runs a few hundred cases in the suite;
``scripts/fuzz_graph_defs.py`` runs as many as you like.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow.compiler.importer import import_graph_def
from graphflow.framework.errors import GraphflowError
from graphflow.framework.graph import Graph
from graphflow.framework.tensor_names import split_tensor_name
from graphflow.io.graph_io import parse_graph_def
from graphflow.proto import graph_pb2, node_def_pb2, types_pb2
from graphflow.runtime.session import Session


@dataclass
class FuzzReport:
    """Counts per outcome, and the findings (mutations that leaked another exception)."""

    rejected: int = 0
    ran: int = 0
    unchanged: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return self.rejected + self.ran + self.unchanged + len(self.findings)


Mutation = Callable[[random.Random, bytes, graph_pb2.GraphDef], tuple[str, bytes]]


def _truncate(rng: random.Random, data: bytes, gd: graph_pb2.GraphDef) -> tuple[str, bytes]:
    cut = rng.randrange(0, len(data))
    return f"truncate at byte {cut}", data[:cut]


def _flip(rng: random.Random, data: bytes, gd: graph_pb2.GraphDef) -> tuple[str, bytes]:
    out = bytearray(data)
    where = rng.randrange(len(out))
    out[where] ^= 1 << rng.randrange(8)
    return f"flip a bit of byte {where}", bytes(out)


def _insert(rng: random.Random, data: bytes, gd: graph_pb2.GraphDef) -> tuple[str, bytes]:
    where = rng.randrange(len(data) + 1)
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
    return f"insert {junk!r} at byte {where}", data[:where] + junk + data[where:]


def _edit(edit: Callable[[random.Random, graph_pb2.GraphDef], str]) -> Mutation:
    def mutate(rng: random.Random, data: bytes, gd: graph_pb2.GraphDef) -> tuple[str, bytes]:
        copy = graph_pb2.GraphDef()
        copy.CopyFrom(gd)
        what = edit(rng, copy)
        return what, copy.SerializeToString()
    return mutate


def _pick(rng: random.Random, gd: graph_pb2.GraphDef) -> Any:
    return gd.node[rng.randrange(len(gd.node))]


def _rename(rng: random.Random, gd: graph_pb2.GraphDef) -> str:
    node = _pick(rng, gd)
    other = _pick(rng, gd)
    choice = rng.choice([other.name, other.name + ":0", "", "a b", "/lead", "x\x00", "é",
                         node.name + "_renamed"])
    node.name = choice
    return f"rename a node to {choice!r}"


def _rewire(rng: random.Random, gd: graph_pb2.GraphDef) -> str:
    node = _pick(rng, gd)
    if not node.input:
        return "no-op (no inputs)"
    i = rng.randrange(len(node.input))
    target = _pick(rng, gd).name
    choice = rng.choice([target, f"{target}:{rng.randint(0, 3)}", f"^{target}", "missing",
                         f"{target}:\u00b2", f"{target}:", ":0", f"{target}:99999999999999999"])
    node.input[i] = choice
    return f"set input {i} of '{node.name}' to {choice!r}"


def _drop_or_duplicate_input(rng: random.Random, gd: graph_pb2.GraphDef) -> str:
    node = _pick(rng, gd)
    if node.input and rng.random() < 0.5:
        del node.input[rng.randrange(len(node.input))]
        return f"drop an input of '{node.name}'"
    source = _pick(rng, gd).name
    node.input.append(source)
    return f"append input {source!r} to '{node.name}'"


def _attr(rng: random.Random, gd: graph_pb2.GraphDef) -> str:
    node = _pick(rng, gd)
    if not node.attr:
        return "no-op (no attrs)"
    key = rng.choice(sorted(node.attr))
    attr = node.attr[key]
    kind = rng.choice(["s", "i", "f", "b", "type", "bad_type", "shape", "dims", "clear"])
    if kind != "dims":
        attr.Clear()
    if kind == "s":
        attr.s = b"\xff\xfe"
    elif kind == "i":
        attr.i = rng.choice([-7, 0, 1, 2, 5, 2**40])
    elif kind == "f":
        attr.f = rng.choice([float("nan"), -1.0, 1e30])
    elif kind == "b":
        attr.b = True
    elif kind == "type":
        attr.type = rng.choice([types_pb2.DT_INT32, types_pb2.DT_BOOL, types_pb2.DT_STRING,
                                types_pb2.DT_DOUBLE, types_pb2.DT_COMPLEX64])
    elif kind == "bad_type":
        attr.type = rng.choice([-1, 999, 4242])
    elif kind == "shape":
        for d in rng.choice([[-5], [2, -1], [2**40, 2**40], [0], []]):
            attr.shape.dim.add().size = d
    elif kind == "dims" and attr.HasField("shape"):
        attr.shape.dim.add().size = rng.choice([-5, 3, 2**40])
    return f"set attr '{key}' of '{node.name}' ({kind})"


def _shuffle(rng: random.Random, gd: graph_pb2.GraphDef) -> str:
    nodes = [node_def_pb2.NodeDef() for _ in gd.node]
    for copy, node in zip(nodes, gd.node):
        copy.CopyFrom(node)
    rng.shuffle(nodes)
    del gd.node[:]
    gd.node.extend(nodes)
    return "shuffle the node order"


MUTATIONS: Sequence[Mutation] = (_truncate, _flip, _insert, _edit(_rename), _edit(_rewire),
                                 _edit(_drop_or_duplicate_input), _edit(_attr), _edit(_attr),
                                 _edit(_shuffle))


def fuzz(graph_def: graph_pb2.GraphDef, feeds: Mapping[str, Any], fetches: Sequence[str],
         cases: int, seed: int = 0) -> FuzzReport:
    """Run ``cases`` seeded mutants of ``graph_def`` (see the module docstring)."""
    rng = random.Random(seed)
    data = graph_def.SerializeToString(deterministic=True)
    report = FuzzReport()
    for case in range(cases):
        mutate = MUTATIONS[case % len(MUTATIONS)]
        what, mutant = mutate(rng, data, graph_def)
        outcome = _try(mutant, data, feeds, fetches)
        if outcome == "rejected":
            report.rejected += 1
        elif outcome == "ran":
            report.ran += 1
        elif outcome == "unchanged":
            report.unchanged += 1
        else:
            report.findings.append(f"case {case} ({what}): {outcome}")
    return report


def _try(mutant: bytes, original: bytes, feeds: Mapping[str, Any],
         fetches: Sequence[str]) -> str:
    try:
        parsed = parse_graph_def(mutant, "<fuzz case>")
        if parsed.SerializeToString(deterministic=True) == original:
            return "unchanged"
        graph = Graph()
        with graph.as_default():
            import_graph_def(parsed, name="")
        names = {op.name for op in graph.get_operations()}
        runnable = [f for f in fetches if split_tensor_name(f)[0] in names]
        fed = {k: v for k, v in feeds.items() if split_tensor_name(k)[0] in names}
        with Session(graph=graph) as sess, np.errstate(all="ignore"):
            for fetch in runnable:
                try:
                    sess.run(fetch, fed)
                except GraphflowError:
                    pass
        return "ran"
    except GraphflowError:
        return "rejected"
    except Exception as err:  # noqa: BLE001 - the finding is any other exception
        return f"{type(err).__name__}: {err}"
