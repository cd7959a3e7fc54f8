"""``graphflow inspect FILE.pb``: op counts, parameters, placeholders, outputs, forward vs
gradient nodes, producer version and ops graphflow cannot run; with ``--flow --loss NAME``
also the gradient-flow report (per-layer gradient norms, saturation, dead ReLUs, flags)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "inspect", help="summarize a GraphDef file (and, with --flow, its gradient flow)",
        description=__doc__)
    p.add_argument("file", help="a .pb or .pbtxt GraphDef")
    p.add_argument("--min-const-size", type=int, default=None, metavar="N",
                   help="count float Consts with at least N elements as parameters "
                        "(frozen graphs; default 10)")
    flow = p.add_argument_group("gradient flow")
    flow.add_argument("--flow", action="store_true",
                      help="also report gradient flow from --loss to the variables")
    flow.add_argument("--loss", metavar="TENSOR", help="the loss tensor, e.g. 'loss:0'")
    flow.add_argument("--feed", action="append", default=[], metavar="FILE.npz",
                      help="one batch of feeds (keys: placeholder names); repeat for more "
                           "batches. Default: one batch of random values")
    flow.add_argument("--variables", metavar="CKPT.npz",
                      help="variable values (a gf.train.Saver checkpoint); default: the "
                           "variables' initializers")
    flow.add_argument("--learning-rate", type=float, default=0.01,
                      help="for the update/weight ratio lr*|g|/|w| (default 0.01)")
    flow.add_argument("--batch-size", type=int, default=16,
                      help="size of unknown dims of randomly fed placeholders (default 16)")
    flow.add_argument("--seed", type=int, default=0, help="seed of the random feeds")
    p.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graphflow.debug.inspect_graph import MIN_CONST_ELEMENTS, inspect_graph
    from graphflow.io.graph_io import read_graph

    graph_def = read_graph(args.file)
    size = MIN_CONST_ELEMENTS if args.min_const_size is None else args.min_const_size
    found = inspect_graph(graph_def, min_const_elements=size)
    found.source = str(args.file)
    print(found.to_text())
    if not args.flow:
        return 0
    if not args.loss:
        raise ValueError("--flow needs --loss TENSOR (the loss's tensor name)")
    print()
    print(_flow(graph_def, args).to_table())
    return 0


def _flow(graph_def: Any, args: argparse.Namespace) -> Any:
    from graphflow.debug.gradient_flow import gradient_flow_report
    from graphflow.debug.workspace import Workspace, ancestors, load_feeds, random_feeds
    from graphflow.train.saver import load_checkpoint

    values = load_checkpoint(args.variables) if args.variables else None
    batches = [load_feeds(f) for f in args.feed]
    if not batches:
        ws = Workspace.build(graph_def)
        try:
            needed = ancestors(ws.graph, [ws.tensor(args.loss)])
            batches = [random_feeds(ws.graph, needed, args.batch_size, args.seed)]
        finally:
            ws.close()
        if batches[0]:
            print(f"(random feeds for {', '.join(sorted(batches[0]))}: pass --feed FILE.npz "
                  "for real data)")
    return gradient_flow_report(args.loss, batches, graph=graph_def,
                                learning_rate=args.learning_rate, variable_values=values)
