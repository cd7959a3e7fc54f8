"""``graphflow inspect FILE.pb``: op counts, parameters, placeholders, outputs, forward vs
gradient nodes, producer version and ops graphflow cannot run; with ``--flow --loss NAME``
also the gradient-flow report (per-layer gradient norms, saturation, dead ReLUs, flags); with
``--plan --fetch NAME [--feed x=32,16]`` the plan a Session would run for those fetches
(``Session.explain``: steps, folded constants, buffers, generated source)."""

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
    plan = p.add_argument_group("execution plan")
    plan.add_argument("--plan", action="store_true",
                      help="also print the plan a Session runs for --fetch (steps, folded "
                           "constants, buffers, generated source)")
    plan.add_argument("--fetch", action="append", default=[], metavar="NAME",
                      help="a tensor ('loss:0') or operation ('train') to fetch; repeat for "
                           "more. --feed NAME=SHAPE (e.g. x=32,16) feeds zeros of that shape")
    plan.add_argument("--interpret", action="store_true",
                      help="plan for SessionConfig(interpret=True) (no generated source)")
    plan.add_argument("--inter-op-threads", type=int, default=0, metavar="N",
                      help="plan for SessionConfig(inter_op_threads=N): shows which large "
                           "products run on the worker thread or are split (default 0: "
                           "what a Session chooses on this machine; 1: every step on the "
                           "calling thread)")
    flow = p.add_argument_group("gradient flow")
    flow.add_argument("--flow", action="store_true",
                      help="also report gradient flow from --loss to the variables")
    flow.add_argument("--loss", metavar="TENSOR", help="the loss tensor, e.g. 'loss:0'")
    flow.add_argument("--feed", action="append", default=[], metavar="FILE.npz",
                      help="one batch of feeds (keys: placeholder names); repeat for more "
                           "batches. Default: one batch of random values. With --plan also "
                           "NAME=SHAPE (zeros of the placeholder's dtype, e.g. x=32,16 or "
                           "x=() for a scalar) or NAME=FILE.npz")
    flow.add_argument("--variables", metavar="CKPT.npz",
                      help="variable values (a gf.train.Saver checkpoint); default: the "
                           "variables' initializers")
    flow.add_argument("--learning-rate", type=float, default=0.01,
                      help="for the update/weight ratio lr*|g|/|w| (default 0.01)")
    flow.add_argument("--batch-size", type=int, default=16,
                      help="size of unknown dims of randomly fed placeholders (default 16)")
    flow.add_argument("--seed", type=int, default=0, help="seed of the random feeds")
    p.add_argument("--traceback", action="store_true",
                   help="show the full Python traceback of an error (for bug reports)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graphflow.debug.inspect_graph import MIN_CONST_ELEMENTS, inspect_graph
    from graphflow.io.graph_io import read_graph

    graph_def = read_graph(args.file)
    size = MIN_CONST_ELEMENTS if args.min_const_size is None else args.min_const_size
    found = inspect_graph(graph_def, min_const_elements=size)
    found.source = str(args.file)
    print(found.to_text())
    if args.plan:
        print()
        print(_plan(graph_def, args))
    if not args.flow:
        return 0
    if not args.loss:
        raise ValueError("--flow needs --loss TENSOR (the loss's tensor name)")
    if any("=" in f for f in args.feed):
        raise ValueError("--flow reads --feed FILE.npz batches only (NAME=SHAPE is for --plan)")
    print()
    print(_flow(graph_def, args).to_table())
    return 0


def _plan(graph_def: Any, args: argparse.Namespace) -> Any:
    """The plan ``Session.explain`` returns for --fetch given --feed (nothing is run)."""
    from graphflow.compiler.importer import import_graph_def
    from graphflow.framework.graph import Graph
    from graphflow.runtime.session import Session, SessionConfig

    if not args.fetch:
        raise ValueError("--plan needs at least one --fetch NAME (a tensor 'loss:0' or an "
                         "operation 'train')")
    graph = Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")
    feeds: dict[Any, Any] = {}
    for text in args.feed:
        feeds.update(_plan_feeds(graph, text))
    config = SessionConfig(interpret=args.interpret, inter_op_threads=args.inter_op_threads)
    with Session(graph=graph, config=config) as sess:
        return sess.explain(list(args.fetch), feeds)


def _plan_feeds(graph: Any, text: str) -> dict[Any, Any]:
    """``NAME=SHAPE`` (zeros), ``NAME=FILE.npz`` (its array NAME, or its only array) or
    ``FILE.npz`` (every array, keyed by placeholder name)."""
    import numpy as np

    from graphflow.debug.workspace import load_feeds

    name, sep, value = text.partition("=")
    if not sep:
        return {graph.as_graph_element(k, allow_operation=False): v
                for k, v in load_feeds(text).items()}
    tensor = graph.as_graph_element(name if ":" in name else f"{name}:0",
                                    allow_operation=False)
    if value.endswith(".npz"):
        arrays = load_feeds(value)
        if tensor.name not in arrays and len(arrays) != 1:
            raise ValueError(f"--feed {text}: '{value}' has no array '{name}' (it has "
                             f"{', '.join(sorted(arrays))})")
        return {tensor: arrays.get(tensor.name, next(iter(arrays.values())))}
    dims = value.strip().strip("()[]").replace(" ", "")
    try:
        shape = tuple(int(d) for d in dims.split(",") if d)
    except ValueError:
        raise ValueError(f"--feed {text}: '{value}' is not a shape (write it like 32,16 or "
                         "() for a scalar) nor a .npz file") from None
    return {tensor: np.zeros(shape, dtype=tensor.dtype.np_dtype)}


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
