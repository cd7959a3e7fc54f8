"""The window-based NER classifier of CS224N lecture 3, built as a graphflow graph.

For token i with window half-width w (default 2, the lecture's "museums in Paris are
amazing"): x = [e(x_{i-w}); ...; e(x_{i+w})] concatenates word embeddings and casing
embeddings of the 2w+1 tokens, h = f(W x + b1) with f = tanh (or relu), and
  * multi-class (default): softmax(U h + b2) over the tags (IOB2 tags, or the entity types
    PER/ORG/LOC/MISC/O with ``scheme="io"``), mean cross-entropy loss;
  * binary (the lecture's "is the centre word a location?"): s = u^T h + b2,
    y = sigmoid(s), logistic loss.
Dropout (rate ``dropout``) is applied to x and h while training. Variables live under the
name scopes ``embeddings/``, ``hidden/`` and ``output/`` so the rendered graph reads like
the lecture's picture.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import graphflow as gf

INPUT_WORDS = "word_windows"
INPUT_CASINGS = "casing_windows"
OUTPUT_PROBABILITIES = "probabilities"
OUTPUT_PREDICTIONS = "predictions"


@dataclass
class WindowNERConfig:
    """Hyper-parameters (defaults chosen on CoNLL-2003 dev; see README)."""

    window: int = 2
    embed_dim: int = 50
    casing_dim: int = 5
    hidden: int = 300
    activation: str = "tanh"
    dropout: float = 0.5
    scheme: str = "iob"  # "iob": IOB2 tags; "io": entity types only (CS224N)
    binary_class: str | None = None  # e.g. "LOC" for the lecture's sigmoid variant
    optimizer: str = "adam"
    learning_rate: float = 0.001
    batch_size: int = 256
    epochs: int = 10
    seed: int = 0
    decode: str = "viterbi"  # IOB: "viterbi" (only legal tag sequences) or "greedy"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.window < 0:
            raise ValueError(f"window must be >= 0, got {self.window}")
        if self.activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {self.activation!r}")
        if self.scheme not in ("iob", "io"):
            raise ValueError(f"scheme must be 'iob' or 'io', got {self.scheme!r}")
        if self.optimizer not in ("adam", "sgd", "momentum"):
            raise ValueError(f"optimizer must be adam, sgd or momentum, got {self.optimizer!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.decode not in ("viterbi", "greedy"):
            raise ValueError(f"decode must be 'viterbi' or 'greedy', got {self.decode!r}")

    @property
    def width(self) -> int:
        return 2 * self.window + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowNERConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class WindowNERGraph:
    """Handles to the tensors and ops of one built model graph."""

    graph: gf.Graph
    words: gf.Tensor
    casings: gf.Tensor
    labels: gf.Tensor | None
    dropout_rate: gf.Tensor | None
    scores: gf.Tensor
    probabilities: gf.Tensor
    predictions: gf.Tensor
    loss: gf.Tensor | None = None
    train_op: gf.Operation | None = None
    global_step: Any = None
    variables: dict[str, Any] = field(default_factory=dict)


def build(config: WindowNERConfig, vocab_size: int, num_classes: int, num_casings: int,
          training: bool = True, graph: gf.Graph | None = None) -> WindowNERGraph:
    """Build the model graph. ``training`` adds labels, dropout, the loss, its gradient
    subgraph and the optimizer's update ops; otherwise only inference."""
    graph = graph or gf.Graph()
    seeds = iter(range(1000 * config.seed + 1, 1000 * config.seed + 100))
    binary = config.binary_class is not None
    n_out = 1 if binary else num_classes
    with graph.as_default():
        words = gf.placeholder(gf.int32, [None, config.width], name=INPUT_WORDS)
        casings = gf.placeholder(gf.int32, [None, config.width], name=INPUT_CASINGS)
        labels = None
        rate = None
        if training:
            labels = gf.placeholder(gf.float32 if binary else gf.int32, [None], name="labels")
            rate = gf.placeholder_with_default(np.float32(0.0), [], name="dropout_rate")
        n_in = config.width * (config.embed_dim + config.casing_dim)
        with gf.name_scope("embeddings"):
            E = gf.Variable(_uniform(seeds, (vocab_size, config.embed_dim), 0.1), name="words")
            C = gf.Variable(_uniform(seeds, (num_casings, config.casing_dim), 0.1),
                            name="casing")
            xw = gf.reshape(gf.nn.embedding_lookup(E, words),
                            [-1, config.width * config.embed_dim])
            xc = gf.reshape(gf.nn.embedding_lookup(C, casings),
                            [-1, config.width * config.casing_dim])
            x = gf.concat([xw, xc], 1, name="x")
        if rate is not None and config.dropout > 0:
            x = gf.nn.dropout(x, rate=rate, seed=config.seed)
        with gf.name_scope("hidden"):
            W = gf.Variable(_glorot(seeds, n_in, config.hidden), name="W")
            b1 = gf.Variable(np.zeros(config.hidden, np.float32), name="b1")
            z = gf.nn.bias_add(gf.matmul(x, W), b1, name="z")
            h = gf.tanh(z, name="h") if config.activation == "tanh" else gf.nn.relu(z, name="h")
        if rate is not None and config.dropout > 0:
            h = gf.nn.dropout(h, rate=rate, seed=config.seed + 1)
        with gf.name_scope("output"):
            U = gf.Variable(_glorot(seeds, config.hidden, n_out), name="U")
            b2 = gf.Variable(np.zeros(n_out, np.float32), name="b2")
            scores = gf.nn.bias_add(gf.matmul(h, U), b2, name="scores")
        if binary:
            s = gf.reshape(scores, [-1], name="s")
            probabilities = gf.sigmoid(s, name=OUTPUT_PROBABILITIES)
            predictions = gf.cast(gf.greater(s, 0.0), gf.int64, name=OUTPUT_PREDICTIONS)
        else:
            probabilities = gf.nn.softmax(scores, name=OUTPUT_PROBABILITIES)
            predictions = gf.argmax(scores, 1, name=OUTPUT_PREDICTIONS)
        model = WindowNERGraph(graph, words, casings, labels, rate, scores, probabilities,
                               predictions, variables={"embeddings/words": E,
                                                       "embeddings/casing": C, "hidden/W": W,
                                                       "hidden/b1": b1, "output/U": U,
                                                       "output/b2": b2})
        if training:
            with gf.name_scope("loss"):
                if binary:
                    per_token = sigmoid_cross_entropy(labels, s)
                else:
                    per_token = gf.nn.sparse_softmax_cross_entropy_with_logits(
                        labels=labels, logits=scores)
                model.loss = gf.reduce_mean(per_token, name="mean")
            model.global_step = gf.train.get_or_create_global_step()
            model.train_op = make_optimizer(config).minimize(model.loss,
                                                             global_step=model.global_step)
    return model


def sigmoid_cross_entropy(labels: gf.Tensor, logits: gf.Tensor) -> gf.Tensor:
    """-[t log sigmoid(s) + (1-t) log(1 - sigmoid(s))] = max(s, 0) - s t + log(1 + e^-|s|),
    built from primitives (stable for large |s|)."""
    abs_s = gf.maximum(logits, -logits)
    return gf.maximum(logits, 0.0) - logits * labels + gf.log(1.0 + gf.exp(-abs_s))


def make_optimizer(config: WindowNERConfig) -> gf.train.Optimizer:
    if config.optimizer == "adam":
        return gf.train.AdamOptimizer(config.learning_rate)
    if config.optimizer == "momentum":
        return gf.train.MomentumOptimizer(config.learning_rate, 0.9)
    return gf.train.GradientDescentOptimizer(config.learning_rate)


def _uniform(seeds: Any, shape: tuple[int, int], scale: float) -> Any:
    """An initializer tensor (RandomUniform op, seeded): keeps the graph small, unlike a
    constant holding the initial matrix."""
    return lambda: gf.random_uniform(list(shape), -scale, scale, seed=next(seeds))


def _glorot(seeds: Any, n_in: int, n_out: int) -> Any:
    return _uniform(seeds, (n_in, n_out), float(np.sqrt(6.0 / (n_in + n_out))))
