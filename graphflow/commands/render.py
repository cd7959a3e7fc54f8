"""``graphflow render FILE.pb [-o OUT] [--feed NAME=VALUE ...] [--grad-of TENSOR] [--collapse]``

Draws a GraphDef file (.pb or .pbtxt) to OUT (format from its extension: .svg, .png, .pdf,
.dot, or .html for the interactive explorer: one self-contained page with pan/zoom, expandable
name scopes, search, node details and, with values, a step-through of backprop; default:
FILE with ``.svg``). With ``--feed`` and/or ``--grad-of`` it draws the values
view: each edge shows its forward value and, for ``--grad-of``, the gradient of that tensor
flowing back along it. Feed values are JSON or Python literals (``x=1``, ``x=[1,2]``,
``x=[[1,0],[0,1]]``, ``x=nan``) or ``x=@file.npy``.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path
from typing import Any

import numpy as np


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "render", help="draw a graph file as an image (structure, or values and gradients)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("graph", metavar="FILE.pb", help="GraphDef file (.pb or .pbtxt)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="output file: .svg (default), .png, .pdf, .dot, or .html (the "
                             "interactive explorer)")
    parser.add_argument("--feed", action="append", default=[], metavar="NAME=VALUE",
                        help="feed a placeholder (repeatable); enables the values view")
    parser.add_argument("--grad-of", metavar="TENSOR",
                        help="draw the gradient of this tensor (e.g. 'loss' or 'mul:0') on "
                             "every forward edge")
    parser.add_argument("--collapse", nargs="?", type=int, const=1, default=None,
                        metavar="DEPTH", help="collapse name scopes at DEPTH (default 1: the "
                                              "top-level scopes) into single nodes")
    parser.add_argument("--show-gradient-nodes", action="store_true",
                        help="values view: also draw the gradient subgraph's nodes")
    parser.add_argument("--hide-gradient-nodes", action="store_true",
                        help="do not draw nodes under gradients/ scopes")
    parser.add_argument("--no-clusters", action="store_true",
                        help="do not draw name scopes as boxes")
    parser.add_argument("--rankdir", choices=["TB", "LR", "BT", "RL"],
                        help="layout direction (default: TB, LR for the values view)")
    parser.add_argument("--traceback", action="store_true", help="show full tracebacks")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from graphflow import viz
    from graphflow.io import read_graph

    if args.show_gradient_nodes and args.hide_gradient_nodes:
        raise ValueError("--show-gradient-nodes and --hide-gradient-nodes contradict each other")
    graph_def = read_graph(args.graph)
    out = Path(args.output) if args.output else Path(args.graph).with_suffix(".svg")
    show = True if args.show_gradient_nodes else (False if args.hide_gradient_nodes else None)
    options = viz.RenderOptions(collapse_depth=args.collapse, show_gradient_nodes=show,
                                clusters=False if args.no_clusters else None,
                                rankdir=args.rankdir)
    source: Any = graph_def
    if args.feed or args.grad_of:
        feeds = dict(parse_feed(text) for text in args.feed)
        source = viz.compute_values(graph_def, feeds, grad_of=args.grad_of)
    if out.suffix.lower() in (".html", ".htm"):
        path = viz.to_html(source, out, options,  # --collapse: open with scopes collapsed
                           expanded=False if args.collapse is not None else None)
    else:
        path = viz.render(source, out, options)
    print(f"wrote {path}")
    return 0


def parse_feed(text: str) -> tuple[str, np.ndarray]:
    """``"x=[1, 2]"`` -> ("x", array([1, 2])); values are JSON, Python literals, ``nan``/
    ``inf``, or ``@path.npy``."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise ValueError(f"--feed '{text}': expected NAME=VALUE, e.g. --feed x=1 or "
                         "--feed x=[1,2]")
    if value.startswith("@"):
        try:
            return name, np.load(value[1:], allow_pickle=False)
        except (OSError, ValueError) as err:
            raise ValueError(f"--feed {name}: cannot read '{value[1:]}' as a .npy file: "
                             f"{err}") from None
    return name, np.asarray(_literal(name, value))


def _literal(name: str, value: str) -> Any:
    try:
        return json.loads(value)  # also accepts NaN, Infinity
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        pass
    special = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}
    if value.lower() in special:
        return special[value.lower()]
    raise ValueError(f"--feed {name}={value}: not a number or list; use JSON or Python "
                     "literals such as 1, 2.5, [1, 2], [[1, 0], [0, 1]], or @file.npy")
