"""Seeing gradient flow instead of guessing: the lecture's warning, demonstrated.

  1. A deep tanh stack with large initial weights (8 layers of 64 units, W ~ N(0, 3^2/64)):
     the gradient-flow report shows every layer saturated.
  2. The same stack with sigmoid units and unit-gain weights: the report flags vanishing
     gradients (the first layer's gradient is ~1e-5 of the last one's).
  3. A loss with log(0): ``gf.Session(check_numerics=True)`` stops at the Log node and says
     its input's min is 0, instead of a NaN loss three steps later.
  4. With ``--out DIR`` (and Graphviz for .svg), the heat-map picture of a small saturated
     stack and the picture of the NaN origin.

Run: ``python examples/debug_vanishing.py [--out pictures/]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import graphflow as gf
from graphflow.debug import gradient_flow_report


def deep_stack(activation, layers: int = 8, width: int = 64, gain: float = 3.0,
               seed: int = 0) -> tuple[gf.Tensor, list[dict]]:
    """A classifier x -> ``layers`` x activation(x W + b) -> 10-way softmax loss."""
    rng = np.random.default_rng(seed)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, width], name="x")
        y = gf.placeholder(gf.int32, [None], name="y")
        h = x
        for i in range(1, layers + 1):
            with gf.name_scope(f"layer{i}"):
                w = rng.normal(0.0, gain / np.sqrt(width), (width, width)).astype(np.float32)
                b = gf.Variable(np.zeros(width, np.float32), name="b")
                h = activation(gf.matmul(h, gf.Variable(w, name="W")) + b)
        with gf.name_scope("out"):
            w = rng.normal(0.0, 1.0 / np.sqrt(width), (width, 10)).astype(np.float32)
            logits = gf.matmul(h, gf.Variable(w, name="W"))
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits), name="loss")
    batches = [{x: rng.standard_normal((32, width)).astype(np.float32),
                y: rng.integers(0, 10, 32).astype(np.int32)} for _ in range(2)]
    return loss, batches


def nan_loss() -> tuple[gf.Tensor, dict]:
    """-mean(log(relu(x W))): a ReLU output of exactly 0 meets a log."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        with gf.name_scope("layer"):
            w = gf.Variable(np.array([[1.0, -1.0], [0.5, 2.0], [-1.0, 1.0]], np.float32),
                            name="W")
            p = gf.nn.relu(gf.matmul(x, w))
        with gf.name_scope("loss"):
            loss = gf.negative(gf.reduce_mean(gf.log(p)), name="nll")
    return loss, {x: np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 2.0]], np.float32)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="directory for the pictures (.svg needs "
                                                 "Graphviz; .dot files are always written)")
    args = parser.parse_args()

    print("== 1. tanh, W ~ N(0, 3^2/64): saturation ==")
    loss, batches = deep_stack(gf.tanh, gain=3.0)
    print(gradient_flow_report(loss, batches, learning_rate=0.1).to_table(variables=False))

    print("\n== 2. sigmoid, W ~ N(0, 1/64): vanishing gradients ==")
    loss, batches = deep_stack(gf.sigmoid, gain=1.0)
    report = gradient_flow_report(loss, batches, learning_rate=0.1)
    print(report.to_table(variables=False))

    print("\n== 3. log(0) in the loss, caught at its origin ==")
    loss, nan_feeds = nan_loss()
    with gf.Session(graph=loss.graph) as sess:
        sess.run(gf.global_variables_initializer())
        print(f"without check_numerics the loss is just {sess.run(loss, nan_feeds)}")
    with gf.Session(graph=loss.graph, check_numerics=True) as sess:
        sess.run(gf.global_variables_initializer())
        try:
            sess.run(loss, nan_feeds)
        except gf.InvalidArgumentError as err:
            print(err)

    if args.out:
        from graphflow import viz
        from graphflow.debug import picture

        args.out.mkdir(parents=True, exist_ok=True)
        suffix = ".svg" if viz.find_dot() else ".dot"
        small, small_batches = deep_stack(gf.tanh, layers=4, width=3, gain=4.0)
        feeds = {k: v[:1] for k, v in small_batches[0].items()}
        options = viz.RenderOptions(max_elements=3)
        heat = picture.render_debug(small.graph, args.out / f"heatmap{suffix}", feeds,
                                    grad_of=small, options=options)
        nan = picture.render_debug(loss.graph, args.out / f"nan_origin{suffix}", nan_feeds,
                                   grad_of=loss, options=options)
        print(f"\npictures: {heat} (gradient heat map), {nan} (NaN origin and path)")


if __name__ == "__main__":
    main()
