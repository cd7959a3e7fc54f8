"""Pictures of the lecture's window classifier: its values and gradients, and its training graph.

1. ``window_classifier_values``: the CS224N window classifier on "museums in Paris are
   amazing" (is the centre word a location?): x = [e(museums); ...; e(amazing)],
   h = tanh(W x + b), s = u . h, J = log(1 + exp(-s)) for the label "yes". The values view
   writes each tensor's value (green) and dJ/d(tensor) (red) on its edges; small tensors
   print their numbers, larger ones a summary (shape, mean, norm).
2. ``window_ner_training``: the full window-NER training graph (forward pass, the gradient
   subgraph in red, Adam's updates), from ``graphflow.models.window_ner`` when it builds,
   else the classifier above with a gradient-descent step; and the same graph with its
   name scopes collapsed into single nodes (``RenderOptions(collapse_depth=1)``).
Run: ``.venv/bin/python examples/window_classifier_graph.py [--out out/examples]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

import graphflow as gf

SENTENCE = ["museums", "in", "Paris", "are", "amazing"]


def window_classifier(embed_dim: int = 2, hidden: int = 3) -> tuple[gf.Graph, gf.Tensor]:
    """The lecture's window classifier with a logistic loss; returns (graph, loss)."""
    rng = np.random.default_rng(0)
    graph = gf.Graph()
    with graph.as_default():
        words = gf.placeholder(gf.int32, [len(SENTENCE)], name="window")
        with gf.name_scope("embeddings"):
            table = gf.Variable(rng.normal(0, 1, (len(SENTENCE), embed_dim)).astype(np.float32),
                                name="E")
            x = gf.reshape(gf.nn.embedding_lookup(table, words), [1, -1], name="x")
        with gf.name_scope("hidden"):
            w = gf.Variable(rng.normal(0, 0.5, (len(SENTENCE) * embed_dim, hidden))
                            .astype(np.float32), name="W")
            b = gf.Variable(np.zeros(hidden, np.float32), name="b")
            h = gf.tanh(gf.matmul(x, w) + b, name="h")
        with gf.name_scope("score"):
            u = gf.Variable(rng.normal(0, 1, (hidden, 1)).astype(np.float32), name="u")
            s = gf.reshape(gf.matmul(h, u), [], name="s")
        loss = gf.log(1.0 + gf.exp(-s), name="J")
    return graph, loss


def training_graph() -> gf.Graph:
    """The window-NER training graph, or the classifier plus one SGD step as a stand-in."""
    try:
        from graphflow.models import window_ner as wn

        config = wn.WindowNERConfig(hidden=16)
        sizes = {name: 100 for name in wn.active_features(config)}
        return wn.build(config, sizes, 9).graph
    except Exception as err:  # noqa: BLE001 - the model module may be mid-change
        print(f"(window NER model unavailable: {type(err).__name__}: {err}; drawing the "
              "window classifier's training graph instead)")
    graph, loss = window_classifier()
    with graph.as_default():
        gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return graph


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/examples", help="directory for the pictures")
    args = parser.parse_args(argv)
    out = Path(args.out)
    ext = "svg" if gf.viz.find_dot() is not None else "dot"
    if ext == "dot":
        print("Graphviz's `dot` is not installed: writing .dot files "
              "(apt-get install graphviz / brew install graphviz for images)")

    graph, loss = window_classifier()
    values = gf.viz.compute_values(graph, {"window": np.arange(len(SENTENCE))}, grad_of=loss)
    print(f"J = {values.value(loss.name):.4f}; |dJ/dW| = "
          f"{np.linalg.norm(values.gradient('hidden/W')):.4f}")
    pictures: list[tuple[str, Any, gf.viz.RenderOptions]] = [
        ("window_classifier_values", values, gf.viz.RenderOptions()),
    ]
    train = training_graph()
    pictures += [
        ("window_ner_training", train, gf.viz.RenderOptions()),
        ("window_ner_training_collapsed", train, gf.viz.RenderOptions(collapse_depth=1)),
    ]
    for name, source, options in pictures:
        print(f"wrote {gf.viz.render(source, out / f'{name}.{ext}', options)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
