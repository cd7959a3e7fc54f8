"""The lecture's backprop walkthrough: f(x, y, z) = (x + y) * max(y, z) at (1, 2, 0).

Forward pass: a = x + y = 3, b = max(y, z) = 2, f = a * b = 6.
Backward pass: df/da = b = 2, df/db = a = 3; df/dx = 2, df/dz = 0 (max routes the gradient
to its larger input), and y feeds both + and max, so its gradient sums at the branch:
df/dy = 2 + 3 = 5.

Prints the values, then writes the walkthrough picture (each edge: forward value in green,
gradient flowing back along it in red) and the same graph with its gradient subgraph drawn.
Run: ``.venv/bin/python examples/computation_graph.py [--out out/examples]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import graphflow as gf


def build() -> tuple[gf.Graph, dict[str, gf.Tensor]]:
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [], name="x")
        y = gf.placeholder(gf.float32, [], name="y")
        z = gf.placeholder(gf.float32, [], name="z")
        a = gf.add(x, y, name="a")
        b = gf.maximum(y, z, name="b")
        f = gf.multiply(a, b, name="f")
    return graph, {"x": x, "y": y, "z": z, "a": a, "b": b, "f": f}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/examples", help="directory for the pictures")
    parser.add_argument("--format", default="svg", choices=["svg", "png", "pdf", "dot"])
    args = parser.parse_args(argv)

    graph, t = build()
    feeds = {t["x"]: 1.0, t["y"]: 2.0, t["z"]: 0.0}
    values = gf.viz.compute_values(graph, feeds, grad_of=t["f"])
    f = values.value("f")
    print(f"f = (x + y) * max(y, z) at (x, y, z) = (1, 2, 0): "
          f"a = {values.value('a'):g}, b = {values.value('b'):g}, f = {f:g}")
    grads = [values.gradient(n) for n in ("x", "y", "z")]
    print("gradients: df/dx = {:g}, df/dy = {:g}, df/dz = {:g}".format(*grads))
    print("           df/da = {:g}, df/db = {:g}".format(values.gradient("a"),
                                                          values.gradient("b")))

    out = Path(args.out)
    fmt = args.format if gf.viz.find_dot() is not None or args.format == "dot" else "dot"
    if fmt != args.format:
        print("Graphviz's `dot` is not installed, so writing .dot files instead "
              "(apt-get install graphviz / brew install graphviz for images)")
    pictures = {
        f"walkthrough.{fmt}": gf.viz.RenderOptions(),
        f"walkthrough_with_gradient_nodes.{fmt}": gf.viz.RenderOptions(show_gradient_nodes=True),
    }
    for name, options in pictures.items():
        print(f"wrote {gf.viz.render(values, out / name, options)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
