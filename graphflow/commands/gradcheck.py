"""``graphflow gradcheck FILE.pb``: check each node's gradient rule locally against finite
differences (float64) and name the first node whose rule is wrong. Exit status 1 if one is."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("gradcheck", help="per-node gradient check of a GraphDef file",
                              description=__doc__)
    p.add_argument("file", help="a .pb or .pbtxt GraphDef")
    p.add_argument("--loss", action="append", default=None, metavar="TENSOR",
                   help="check nodes on the path to this tensor (repeatable); default: "
                        "every floating output")
    p.add_argument("--feed", metavar="FILE.npz",
                   help="feeds (keys: placeholder names); missing placeholders get random "
                        "values")
    p.add_argument("--variables", metavar="CKPT.npz",
                   help="variable values (a gf.train.Saver checkpoint); default: the "
                        "variables' initializers")
    p.add_argument("--max-elements", type=int, default=64,
                   help="entries compared per input (default 64)")
    p.add_argument("--delta", type=float, default=1e-6, help="finite-difference step")
    p.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance")
    p.add_argument("--batch-size", type=int, default=4,
                   help="size of unknown dims of randomly fed placeholders (default 4)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random feeds and test directions (default 0)")
    p.add_argument("--include-gradient-nodes", action="store_true",
                   help="also check nodes under gradients/ scopes (second-order rules)")
    p.add_argument("--all", action="store_true", help="list every node, not only failures")
    p.add_argument("--traceback", action="store_true",
                   help="show the full Python traceback of an error (for bug reports)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graphflow.debug.per_node_check import check_node_gradients
    from graphflow.debug.workspace import load_feeds
    from graphflow.io.graph_io import read_graph
    from graphflow.train.saver import load_checkpoint

    graph_def = read_graph(args.file)
    feeds = load_feeds(args.feed) if args.feed else None
    values = load_checkpoint(args.variables) if args.variables else None
    report = check_node_gradients(graph_def, args.loss, feeds, variable_values=values,
                                  max_elements=args.max_elements, delta=args.delta,
                                  rtol=args.rtol,
                                  include_gradient_nodes=args.include_gradient_nodes,
                                  batch_size=args.batch_size, seed=args.seed)
    print(report.to_table(show_all=args.all))
    return 0 if report.ok else 1
