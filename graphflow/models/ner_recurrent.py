"""Recurrent NER taggers beside the window classifier (``graphflow ner train --model
rnn|gru|bilstm``): the configuration and the graph. Training, export and prediction are in
``ner_recurrent_trainer``.

For a batch of B sentences padded to T steps (``sequence_lengths`` (B,) gives each one's
real length), every token t contributes the concatenation x_t of its lookup-feature
embeddings, exactly the window model's features without the window (``ner_features`` with
half-width 0: word (GloVe-initialised when pretrained vectors are given), casing, and the
optional suffix, prefix and character-shape ids). A recurrent network runs over x_1..x_T
with ``gf.nn.dynamic_rnn`` (a ``while_loop``; state copied through and outputs zeroed past
each sentence's length):

  * ``rnn``:    h_t = tanh(W [x_t; h_{t-1}] + b) (``BasicRNNCell``);
  * ``gru``:    ``GRUCell`` (Cho et al. 2014);
  * ``bilstm``: ``bidirectional_dynamic_rnn`` with two ``BasicLSTMCell`` (forget bias 1),
    the forward and backward outputs concatenated (Huang et al. 2015 without the CRF).

A per-token softmax layer follows (scores = U h_t + b, (B*T, tags)); the loss is the
cross-entropy averaged over the real tokens only (``gf.sequence_mask`` of the lengths), so
padding never trains anything. Dropout (rate ``dropout``) is applied to x and to the RNN
outputs while training. Inputs are int32 placeholders ``<feature>_ids`` of shape (B, T)
(``word_ids``, ``casing_ids``, ``suffix_ids``...), and ``sequence_lengths``; outputs
``probabilities`` (B, T, tags) and ``predictions`` (B, T), int64. Variables: ``embeddings/*``
(the window model's names), ``rnn/...`` (or ``bidirectional_rnn/fw|bw/...``, TF1's cell
names), ``output/U`` and ``output/b``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.graph import Graph, name_scope
from graphflow.framework.tensor import Operation, Tensor
from graphflow.models.ner_features import (
    CASINGS,
    PREFIX,
    SHAPE,
    SUFFIX,
    WORDS,
    active_features,
    feature_dim,
)
from graphflow.models.window_ner import EMBEDDING_NAMES, OPTIMIZERS, make_optimizer
from graphflow.ops.array_ops import placeholder, placeholder_with_default, reshape, shape
from graphflow.ops.clip_ops import clip_by_global_norm
from graphflow.ops.cross_entropy_ops import sparse_softmax_cross_entropy_with_logits
from graphflow.ops.gather_ops import argmax, embedding_lookup, gather
from graphflow.ops.layout_ops import concat
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.mask_ops import sequence_mask
from graphflow.ops.math_ops import maximum, multiply, truediv
from graphflow.ops.nn_ops import bias_add, dropout, softmax
from graphflow.ops.random_ops import random_uniform
from graphflow.ops.reduction_ops import reduce_sum
from graphflow.ops.rnn import bidirectional_dynamic_rnn, dynamic_rnn
from graphflow.ops.rnn_cell_impl import BasicLSTMCell, BasicRNNCell, GRUCell
from graphflow.ops.variables import Variable
from graphflow.train.optimizer import get_or_create_global_step

#: The ``--model`` values this module builds.
RECURRENT_MODELS = ("rnn", "gru", "bilstm")
INPUT_NAMES = {WORDS: "word_ids", CASINGS: "casing_ids", SUFFIX: "suffix_ids",
               PREFIX: "prefix_ids", SHAPE: "shape_ids"}
INPUT_LENGTHS = "sequence_lengths"
INPUT_TAGS = "tag_sequences"
OUTPUT_PROBABILITIES = "probabilities"
OUTPUT_PREDICTIONS = "predictions"


@dataclass
class RecurrentNERConfig:
    """Hyper-parameters of a recurrent tagger.

    Model: ``model`` ("rnn", "gru" or "bilstm"), ``hidden`` (units of each cell; a BiLSTM
    has ``hidden`` per direction), the lookup features as in ``WindowNERConfig``
    (``embed_dim`` — taken from the pretrained vectors when given —, ``casing_dim``,
    ``suffix_len``/``suffix_dim``, ``prefix_len``/``prefix_dim``, ``shape_dim``: 0 turns an
    optional feature off; ``feature_min_count``), ``dropout`` (on x and on the RNN outputs),
    ``scheme`` ("iob" tags or "io" entity types), ``decode`` ("viterbi": the most probable
    legal IOB2 sequence of the softmax outputs, or "greedy" argmax).
    Training: ``optimizer`` (as the window model: "lazy_adam" updates only the looked-up
    embedding rows), ``learning_rate``, ``lr_decay`` (epoch e uses ``learning_rate *
    lr_decay ** (e - 1)``), ``batch_size`` (padded tokens per batch: sentences are bucketed
    by length, so a batch of short sentences holds more of them), ``epochs``, ``seed``,
    ``word_dropout`` (a training word seen once becomes ``<unk>`` with this probability),
    ``train_embeddings``, ``clip_norm`` (gradients clipped to this global norm; 0 = off).
    The output layer is always a per-token softmax: ``output`` is "softmax" only.
    """

    model: str = "bilstm"
    output: str = "softmax"
    embed_dim: int = 50
    casing_dim: int = 5
    suffix_len: int = 3
    suffix_dim: int = 20
    prefix_len: int = 3
    prefix_dim: int = 10
    shape_dim: int = 5
    feature_min_count: int = 2
    hidden: int = 100
    dropout: float = 0.5
    scheme: str = "iob"
    optimizer: str = "lazy_adam"
    learning_rate: float = 0.005
    lr_decay: float = 1.0
    batch_size: int = 512
    epochs: int = 5
    seed: int = 0
    word_dropout: float = 0.25
    train_embeddings: bool = True
    decode: str = "viterbi"
    clip_norm: float = 5.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model not in RECURRENT_MODELS:
            raise ValueError(f"model must be one of {', '.join(RECURRENT_MODELS)} for a "
                             f"recurrent tagger, got {self.model!r} (the window classifier "
                             "is graphflow.models.window_ner)")
        if self.output != "softmax":
            raise ValueError(f"the recurrent taggers have a per-token softmax output layer; "
                             f"output must be 'softmax', got {self.output!r}")
        if self.scheme not in ("iob", "io"):
            raise ValueError(f"scheme must be 'iob' or 'io', got {self.scheme!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, "
                             f"got {self.optimizer!r}")
        if self.decode not in ("viterbi", "greedy"):
            raise ValueError(f"decode must be 'viterbi' or 'greedy', got {self.decode!r}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        for name in ("dropout", "word_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("embed_dim", "casing_dim", "hidden", "batch_size", "suffix_len",
                     "prefix_len", "feature_min_count"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("suffix_dim", "prefix_dim", "shape_dim", "epochs", "clip_norm"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    # What the shared feature and decoding code (ner_features, ner_decode) reads.
    @property
    def window(self) -> int:
        """0: the features of the token itself (the RNN sees the context)."""
        return 0

    @property
    def crf(self) -> bool:
        return False

    @property
    def binary_class(self) -> None:
        return None

    @property
    def char_cnn(self) -> bool:
        return False

    @property
    def output_size(self) -> int:
        """Size of the RNN output at each step (both directions for the BiLSTM)."""
        return 2 * self.hidden if self.model == "bilstm" else self.hidden

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecurrentNERConfig:
        """The config of ``to_dict`` (unknown keys ignored)."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class RecurrentNERGraph:
    """Handles to the tensors and ops of one built recurrent model."""

    graph: Graph
    inputs: dict[str, Tensor]  # feature name -> (B, T) int32 placeholder
    lengths: Tensor  # (B,) int32
    scores: Tensor  # (B*T, tags)
    probabilities: Tensor  # (B, T, tags)
    predictions: Tensor  # (B, T) int64
    labels: Tensor | None = None  # training: (B, T) int32 tag ids
    dropout_rate: Tensor | None = None
    learning_rate: Tensor | None = None
    loss: Tensor | None = None
    train_op: Operation | None = None
    global_step: Any = None

    @property
    def words(self) -> Tensor:
        return self.inputs[WORDS]


def build(config: RecurrentNERConfig, feature_sizes: dict[str, int], num_classes: int,
          training: bool = True, graph: Graph | None = None) -> RecurrentNERGraph:
    """Build the model; ``feature_sizes`` gives the rows of each active feature's embedding
    matrix (``NERFeatures.sizes()``). ``training`` adds the tag placeholder, dropout, the
    masked loss, its gradients (clipped by global norm) and the optimizer's updates."""
    graph = graph or Graph()
    names = active_features(config)
    missing = [n for n in names if n not in feature_sizes]
    if missing:
        raise ValueError(f"feature_sizes lacks the active feature(s) {missing}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    seeds = iter(range(1000 * config.seed + 1, 1000 * config.seed + 100))
    with graph.as_default():
        graph.seed = 1000 + config.seed  # the cells' initializers and the dropout masks
        inputs = {n: placeholder(dtypes.int32, [None, None], name=INPUT_NAMES[n])
                  for n in names}
        lengths = placeholder(dtypes.int32, [None], name=INPUT_LENGTHS)
        rate = placeholder_with_default(np.float32(0.0), [], name="dropout_rate") \
            if training else None
        with name_scope("embeddings"):
            parts = []
            for n in names:
                dim = feature_dim(n, config)
                init = _uniform(seeds, (feature_sizes[n], dim), 0.1)
                table = Variable(init, name=EMBEDDING_NAMES[n],
                                 trainable=config.train_embeddings or n != WORDS)
                parts.append(embedding_lookup(table, inputs[n]))
            x = concat(parts, 2, name="x") if len(parts) > 1 else parts[0]
        if rate is not None and config.dropout > 0:
            x = dropout(x, rate=rate, seed=next(seeds))
        outputs = _recurrent(config, x, lengths)
        if rate is not None and config.dropout > 0:
            outputs = dropout(outputs, rate=rate, seed=next(seeds))
        n_out = config.output_size
        with name_scope("output"):
            U = Variable(_uniform(seeds, (n_out, num_classes),
                                  float(np.sqrt(6.0 / (n_out + num_classes)))), name="U")
            b = Variable(np.zeros(num_classes, np.float32), name="b")
            flat = reshape(outputs, [-1, n_out], name="flat")
            scores = bias_add(matmul(flat, U), b, name="scores")
        dims = concat([shape(lengths), np.array([-1, num_classes], np.int32)], 0,
                      name="probability_shape")
        probabilities = reshape(softmax(scores), dims, name=OUTPUT_PROBABILITIES)
        predictions = argmax(probabilities, 2, name=OUTPUT_PREDICTIONS)
        model = RecurrentNERGraph(graph, inputs, lengths, scores, probabilities, predictions,
                                  dropout_rate=rate)
        if training:
            _add_training(config, model, inputs[WORDS])
    return model


def _recurrent(config: RecurrentNERConfig, x: Tensor, lengths: Tensor) -> Tensor:
    """The RNN outputs (B, T, output_size), zero past each sentence's length."""
    h = config.hidden
    if config.model == "bilstm":
        (fw, bw), _ = bidirectional_dynamic_rnn(BasicLSTMCell(h), BasicLSTMCell(h), x,
                                                sequence_length=lengths, dtype=dtypes.float32)
        return concat([fw, bw], 2, name="bidirectional_outputs")
    cell = BasicRNNCell(h) if config.model == "rnn" else GRUCell(h)
    outputs, _ = dynamic_rnn(cell, x, sequence_length=lengths, dtype=dtypes.float32)
    return outputs


def _add_training(config: RecurrentNERConfig, model: RecurrentNERGraph, words: Tensor
                  ) -> None:
    """Tags, the loss averaged over the real tokens, clipped gradients, the update."""
    with name_scope("loss"):
        labels = placeholder(dtypes.int32, [None, None], name=INPUT_TAGS)
        steps = gather(shape(words), 1)  # T
        mask = reshape(sequence_mask(model.lengths, steps, dtype=dtypes.float32), [-1],
                       name="token_mask")
        per_token = sparse_softmax_cross_entropy_with_logits(
            labels=reshape(labels, [-1]), logits=model.scores)
        tokens = maximum(reduce_sum(mask), 1.0)
        model.loss = truediv(reduce_sum(multiply(per_token, mask)), tokens, name="mean")
    model.labels = labels
    model.global_step = get_or_create_global_step()
    model.learning_rate = placeholder_with_default(np.float32(config.learning_rate), [],
                                                   name="learning_rate")
    opt = make_optimizer(config, model.learning_rate)  # type: ignore[arg-type]
    grads_and_vars = opt.compute_gradients(model.loss)
    if config.clip_norm > 0:
        grads = [g for g, _ in grads_and_vars]
        clipped, _ = clip_by_global_norm(grads, config.clip_norm)
        grads_and_vars = list(zip(clipped, [v for _, v in grads_and_vars]))
    model.train_op = opt.apply_gradients(grads_and_vars, global_step=model.global_step)


def _uniform(seeds: Any, shape: tuple[int, ...], scale: float) -> Any:
    """A seeded RandomUniform initializer (no constant holding the initial matrix)."""
    return lambda: random_uniform(list(shape), -scale, scale, seed=next(seeds))

