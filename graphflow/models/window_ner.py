"""The window-based NER classifier of CS224N lecture 3, built as a graphflow graph.

For token i with window half-width w (default 2, the lecture's "museums in Paris are
amazing"): x = [e(x_{i-w}); ...; e(x_{i+w})] concatenates, for each of the 2w+1 tokens, the
embeddings of its lookup features (``ner_features``: word and casing always; suffix, prefix
and character shape optionally), h = f(W x + b1) with f = relu (default; on CoNLL-2003 it
scored higher on dev and test than the lecture's tanh, see README) or tanh, and
  * multi-class (default): softmax(U h + b2) over the tags (IOB2 tags, or the entity types
    PER/ORG/LOC/MISC/O with ``scheme="io"``), mean cross-entropy loss;
  * binary (the lecture's "is the centre word a location?"): s = u^T h + b2,
    y = sigmoid(s), logistic loss.
With ``char_cnn`` each window token also contributes a character-CNN vector (Ma & Hovy 2016,
Chiu & Nichols 2016): its characters are embedded (``char_dim``), convolved with
``char_filters`` filters of each width in ``char_widths`` (``gf.nn.conv1d``, VALID, ReLU) and
max-pooled over time; the vectors of the 2w+1 tokens join x (scope ``embeddings/char_cnn``).
The CNN runs once per distinct token of a batch (placeholder ``token_chars``, (M,
char_max_len)); ``char_window_index`` ((batch, 2w+1), rows of the M vectors, M = padding: a
zero vector) gathers them into the windows.
With ``output="crf"`` (the default) the per-token scores U h + b2 are the emission scores of a
linear-chain CRF (Collobert et al. 2011's sentence-level likelihood): a transition matrix A
(variable ``crf/transitions``, [tags, tags]) scores each pair of neighbouring tags, training
maximises log p(y | sentence) = s(y) - log Z (``graphflow.ops.crf_ops``, the forward algorithm
as one ``CrfLogLikelihood`` op whose gradient is the forward-backward marginals) over batches
of whole sentences, padded: the windows of a batch are fed as (B*T, 2w+1) and the scores
reshaped to (B, T, tags), with placeholders ``sequence_lengths`` (B,) and ``tag_sequences``
(B, T). Decoding is Viterbi with A (``CrfDecode``, ``ner_decode.CrfDecoder``); the inference
graph outputs the emission scores and ``transition_params`` (an Identity of A), so the frozen
graph holds TensorFlow ops only.
Dropout (rate ``dropout``) is applied to x and h while training. Variables live under the
name scopes ``embeddings/``, ``hidden/`` and ``output/`` so the rendered graph reads like
the lecture's picture. Input placeholders are ``<feature>_windows`` (``word_windows``,
``casing_windows``, ``suffix_windows``, ``gazetteer_windows``...), int32 of shape (batch,
2w+1); with ``doc_topic`` the float32 placeholder ``doc_topic`` (batch, embed dim) holds each
token's document vector (``ner_features.document_topics``), joining x once, not per slot.
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
    CHAR_INDEX,
    CHARS,
    DOC_CASE,
    DOC_TOPIC,
    GAZETTEER,
    PREFIX,
    SHAPE,
    SUFFIX,
    WORDS,
    active_features,
    batch_inputs,
    char_cnn_on,
    doc_topic_on,
    feature_dim,
)
from graphflow.ops.activation_ops import relu, sigmoid, tanh
from graphflow.ops.array_ops import identity, placeholder, placeholder_with_default, reshape, shape
from graphflow.ops.comparison_ops import greater
from graphflow.ops.conv_ops import conv1d
from graphflow.ops.crf_ops import crf_log_likelihood
from graphflow.ops.cross_entropy_ops import sparse_softmax_cross_entropy_with_logits
from graphflow.ops.gather_ops import argmax, embedding_lookup, gather
from graphflow.ops.layout_ops import concat, pad
from graphflow.ops.linalg_ops import cast, matmul
from graphflow.ops.math_ops import exp, log, maximum, negative, truediv
from graphflow.ops.nn_ops import bias_add, dropout, softmax
from graphflow.ops.random_ops import random_uniform
from graphflow.ops.reduction_ops import reduce_max, reduce_mean, reduce_sum
from graphflow.ops.variables import Variable
from graphflow.train.adam import AdamOptimizer
from graphflow.train.gradient_descent import GradientDescentOptimizer
from graphflow.train.lazy_adam import LazyAdamOptimizer
from graphflow.train.momentum import MomentumOptimizer
from graphflow.train.moving_averages import ExponentialMovingAverage
from graphflow.train.optimizer import Optimizer, get_or_create_global_step

INPUT_WORDS = "word_windows"
INPUT_CASINGS = "casing_windows"
OUTPUT_PROBABILITIES = "probabilities"
OUTPUT_PREDICTIONS = "predictions"
OUTPUT_SCORES = "output/scores"
OUTPUT_TRANSITIONS = "transition_params"
INPUT_LENGTHS = "sequence_lengths"
INPUT_TAG_SEQUENCES = "tag_sequences"
#: Placeholder and embedding-variable names of each lookup feature.
INPUT_NAMES = {WORDS: INPUT_WORDS, CASINGS: INPUT_CASINGS, SUFFIX: "suffix_windows",
               PREFIX: "prefix_windows", SHAPE: "shape_windows",
               DOC_CASE: "doc_case_windows", GAZETTEER: "gazetteer_windows",
               DOC_TOPIC: "doc_topic", CHARS: "token_chars",
               CHAR_INDEX: "char_window_index"}
EMBEDDING_NAMES = {WORDS: "words", CASINGS: "casing", SUFFIX: "suffix", PREFIX: "prefix",
                   SHAPE: "shape", DOC_CASE: "doc_case", GAZETTEER: "gazetteer"}
OPTIMIZERS = ("adam", "lazy_adam", "sgd", "momentum")
MODELS = ("window",)  # the recurrent models will join here (``--model``)
OUTPUTS = ("crf", "softmax")
#: ``--preset lecture``: CS224N lecture 3's model (words + casing, tanh, softmax, argmax,
#: a constant learning rate; 12 epochs, as when its README numbers were measured).
PRESETS: dict[str, dict[str, Any]] = {
    "lecture": {"suffix_dim": 0, "prefix_dim": 0, "shape_dim": 0, "doc_case_dim": 0,
                "gazetteer_dim": 0, "doc_topic": False, "activation": "tanh",
                "output": "softmax", "decode": "greedy", "char_cnn": False, "lr_decay": 1.0,
                "dropout": 0.5, "epochs": 12},
}


@dataclass
class WindowNERConfig:
    """Hyper-parameters. The defaults are the best settings found on CoNLL-2003 dev (README
    and ``scripts/conll_quality.py``); every feature beyond the lecture's words + casing is
    an option that can be switched off (dimension 0).

    Model: ``model`` ("window", the only one so far), ``output`` ("crf": a linear-chain CRF
    over the tag sequence, trained on whole sentences; "softmax": per-token cross-entropy,
    the lecture's), ``window`` (half-width w), ``embed_dim`` (taken from the file with pretrained
    vectors), ``casing_dim``, ``suffix_len``/``suffix_dim`` and ``prefix_len``/``prefix_dim``
    (affix lookup features, off when the dim is 0), ``shape_dim`` (character-shape feature),
    ``doc_case_dim`` (the document-casing feature, ``ner_features.document_casing``),
    ``gazetteer_dim`` (the training entities' gazetteer feature, ``ner_gazetteer``),
    ``doc_topic`` (the document's mean word vector joins ``x``,
    ``ner_features.document_topics``; needs pretrained vectors),
    ``feature_min_count`` (rarer affixes/shapes map to ``<unk>``), ``hidden``,
    ``activation``, ``dropout`` (on x and h), ``scheme`` ("iob" tags or "io" entity types),
    ``binary_class`` (the lecture's sigmoid "is it a TYPE?" variant).
    Training: ``lr_decay`` (the learning rate of epoch e is ``learning_rate * lr_decay **
    (e - 1)``), ``optimizer`` ("adam" = TF1 Adam, whose sparse update decays the moments of the
    whole embedding matrix every step; "lazy_adam" updates only the looked-up rows; "sgd";
    "momentum"), ``learning_rate``, ``batch_size``, ``epochs``, ``seed``,
    ``word_dropout`` (probability of replacing a training word seen only once by ``<unk>``
    in each window slot, so that the unknown-word row is trained), ``train_embeddings``
    (False keeps the word vectors fixed), ``ema_decay`` (> 0: an exponential moving average
    of the trainable variables, ``gf.train.ExponentialMovingAverage`` with the global step
    as ``num_updates``, updated after every step; dev is scored and the model exported with
    the averages; 0 = off).
    Decoding: ``decode`` ("viterbi": most probable legal IOB2 sequence, with the CRF's
    transition scores when ``output="crf"``; "greedy": argmax of the token scores).
    Character CNN (on by default): ``char_cnn``, ``char_dim``, ``char_filters`` (per width),
    ``char_widths``, ``char_max_len`` (longer words are cut).
    """

    model: str = "window"
    output: str = "crf"
    window: int = 2
    embed_dim: int = 50
    casing_dim: int = 5
    suffix_len: int = 3
    suffix_dim: int = 20
    prefix_len: int = 3
    prefix_dim: int = 10
    shape_dim: int = 5
    doc_case_dim: int = 5
    gazetteer_dim: int = 5
    doc_topic: bool = True
    feature_min_count: int = 2
    hidden: int = 300
    activation: str = "relu"
    dropout: float = 0.4
    scheme: str = "iob"  # "iob": IOB2 tags; "io": entity types only (CS224N)
    binary_class: str | None = None  # e.g. "LOC" for the lecture's sigmoid variant
    optimizer: str = "lazy_adam"
    learning_rate: float = 0.002
    lr_decay: float = 0.78
    batch_size: int = 256
    epochs: int = 8
    seed: int = 0
    word_dropout: float = 0.25
    ema_decay: float = 0.0
    train_embeddings: bool = True
    decode: str = "viterbi"  # IOB: "viterbi" (only legal tag sequences) or "greedy"
    char_cnn: bool = True
    char_dim: int = 10
    char_filters: int = 20
    char_widths: tuple[int, ...] = (2, 3, 4)
    char_max_len: int = 16
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.window < 0:
            raise ValueError(f"window must be >= 0, got {self.window}")
        if self.activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {self.activation!r}")
        if self.scheme not in ("iob", "io"):
            raise ValueError(f"scheme must be 'iob' or 'io', got {self.scheme!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, "
                             f"got {self.optimizer!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if not 0 <= self.word_dropout < 1:
            raise ValueError(f"word_dropout must be in [0, 1), got {self.word_dropout}")
        if self.decode not in ("viterbi", "greedy"):
            raise ValueError(f"decode must be 'viterbi' or 'greedy', got {self.decode!r}")
        for name in ("embed_dim", "casing_dim", "hidden", "batch_size", "suffix_len",
                     "prefix_len", "feature_min_count"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("suffix_dim", "prefix_dim", "shape_dim", "doc_case_dim", "gazetteer_dim",
                     "epochs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        self.char_widths = tuple(int(k) for k in self.char_widths)
        if self.char_cnn:
            for name in ("char_dim", "char_filters"):
                if getattr(self, name) < 1:
                    raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
            if not self.char_widths or min(self.char_widths) < 1 or \
                    max(self.char_widths) > self.char_max_len:
                raise ValueError(f"char_widths must be >= 1 and <= char_max_len "
                                 f"({self.char_max_len}), got {list(self.char_widths)}")

    @property
    def crf(self) -> bool:
        """True when the model has a CRF output layer (never for the binary variant)."""
        return self.output == "crf" and self.binary_class is None

    @property
    def width(self) -> int:
        return 2 * self.window + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowNERConfig:
        """The config of ``to_dict`` (unknown keys ignored). Optional features missing from
        the dict are off: a config.json written before they existed had none."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("suffix_dim", "prefix_dim", "shape_dim", "doc_case_dim", "gazetteer_dim",
                    "word_dropout"):
            known.setdefault(key, 0)
        known.setdefault("doc_topic", False)
        known.setdefault("output", "softmax")
        known.setdefault("lr_decay", 1.0)
        known.setdefault("char_cnn", False)
        return cls(**known)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> WindowNERConfig:
        """A named configuration (``PRESETS``), with ``overrides`` on top."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}")
        return cls(**{**PRESETS[name], **overrides})


@dataclass
class WindowNERGraph:
    """Handles to the tensors and ops of one built model graph."""

    graph: Graph
    inputs: dict[str, Tensor]
    labels: Tensor | None
    dropout_rate: Tensor | None
    scores: Tensor
    probabilities: Tensor
    predictions: Tensor
    loss: Tensor | None = None
    train_op: Operation | None = None
    lengths: Tensor | None = None  # CRF training: (B,) sentence lengths
    transitions: Tensor | None = None  # CRF: the transition matrix (``transition_params``)
    learning_rate: Tensor | None = None  # training: fed per epoch when ``lr_decay`` < 1
    ema: ExponentialMovingAverage | None = None  # training with ``ema_decay`` > 0
    global_step: Any = None
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> Tensor:
        return self.inputs[WORDS]

    @property
    def casings(self) -> Tensor:
        return self.inputs[CASINGS]

    def feed(self, inputs: dict[str, np.ndarray], index: Any = slice(None)) -> dict[Any, Any]:
        """A feed dict for the model's input placeholders from feature windows
        (``ner_features.batch_inputs``)."""
        arrays = batch_inputs(inputs, index)
        return {t: arrays[name] for name, t in self.inputs.items()}


def build(config: WindowNERConfig, feature_sizes: dict[str, int], num_classes: int,
          training: bool = True, graph: Graph | None = None) -> WindowNERGraph:
    """Build the model graph; ``feature_sizes`` gives the rows of each active feature's
    embedding matrix (``NERFeatures.sizes()``) and, with ``config.doc_topic``, the width of
    the document-topic input (key ``doc_topic``, ``NERFeatures.topic_dim``). ``training`` adds
    labels, dropout, the loss, its gradient subgraph and the optimizer's update ops;
    otherwise only inference."""
    graph = graph or Graph()
    seeds = iter(range(1000 * config.seed + 1, 1000 * config.seed + 100))
    binary = config.binary_class is not None
    n_out = 1 if binary else num_classes
    names = active_features(config)
    missing = [n for n in names + ([CHARS] if char_cnn_on(config) else [])
               + ([DOC_TOPIC] if doc_topic_on(config) else []) if n not in feature_sizes]
    if missing:
        raise ValueError(f"feature_sizes lacks the active feature(s) {missing}")
    with graph.as_default():
        inputs = {n: placeholder(dtypes.int32, [None, config.width], name=INPUT_NAMES[n])
                  for n in names}
        if doc_topic_on(config):
            inputs[DOC_TOPIC] = placeholder(dtypes.float32, [None, feature_sizes[DOC_TOPIC]],
                                            name=INPUT_NAMES[DOC_TOPIC])
        labels = lengths = None
        rate = None
        if training:
            if config.crf:
                lengths = placeholder(dtypes.int32, [None], name=INPUT_LENGTHS)
                labels = placeholder(dtypes.int32, [None, None], name=INPUT_TAG_SEQUENCES)
            else:
                labels = placeholder(dtypes.float32 if binary else dtypes.int32, [None],
                                     name="labels")
            rate = placeholder_with_default(np.float32(0.0), [], name="dropout_rate")
        n_in = config.width * sum(feature_dim(n, config) for n in names)
        variables: dict[str, Any] = {}
        parts = []
        with name_scope("embeddings"):
            for n in names:
                dim = feature_dim(n, config)
                var = Variable(_uniform(seeds, (feature_sizes[n], dim), 0.1),
                                  name=EMBEDDING_NAMES[n],
                                  trainable=config.train_embeddings or n != WORDS)
                variables[f"embeddings/{EMBEDDING_NAMES[n]}"] = var
                parts.append(reshape(embedding_lookup(var, inputs[n]),
                                        [-1, config.width * dim]))
            if char_cnn_on(config):
                inputs[CHARS] = placeholder(dtypes.int32, [None, config.char_max_len],
                                            name=INPUT_NAMES[CHARS])
                inputs[CHAR_INDEX] = placeholder(dtypes.int32, [None, config.width],
                                                 name=INPUT_NAMES[CHAR_INDEX])
                parts.append(_char_cnn(config, feature_sizes[CHARS], inputs[CHARS],
                                       inputs[CHAR_INDEX], seeds, variables))
                n_in += config.width * config.char_filters * len(config.char_widths)
            if doc_topic_on(config):
                parts.append(inputs[DOC_TOPIC])
                n_in += feature_sizes[DOC_TOPIC]
            x = concat(parts, 1, name="x")
        if rate is not None and config.dropout > 0:
            x = dropout(x, rate=rate, seed=config.seed)
        with name_scope("hidden"):
            W = Variable(_glorot(seeds, n_in, config.hidden), name="W")
            b1 = Variable(np.zeros(config.hidden, np.float32), name="b1")
            z = bias_add(matmul(x, W), b1, name="z")
            h = tanh(z, name="h") if config.activation == "tanh" else relu(z, name="h")
        if rate is not None and config.dropout > 0:
            h = dropout(h, rate=rate, seed=config.seed + 1)
        with name_scope("output"):
            U = Variable(_glorot(seeds, config.hidden, n_out), name="U")
            b2 = Variable(np.zeros(n_out, np.float32), name="b2")
            scores = bias_add(matmul(h, U), b2, name="scores")
        if binary:
            s = reshape(scores, [-1], name="s")
            probabilities = sigmoid(s, name=OUTPUT_PROBABILITIES)
            predictions = cast(greater(s, 0.0), dtypes.int64, name=OUTPUT_PREDICTIONS)
        else:
            probabilities = softmax(scores, name=OUTPUT_PROBABILITIES)
            predictions = argmax(scores, 1, name=OUTPUT_PREDICTIONS)
        variables.update({"hidden/W": W, "hidden/b1": b1, "output/U": U, "output/b2": b2})
        model = WindowNERGraph(graph, inputs, labels, rate, scores, probabilities,
                               predictions, variables=variables, lengths=lengths)
        if config.crf:
            with name_scope("crf"):
                A = Variable(np.zeros((n_out, n_out), np.float32), name="transitions")
            variables["crf/transitions"] = A
            model.transitions = identity(A, name=OUTPUT_TRANSITIONS)
        if training:
            assert labels is not None and rate is not None  # made above when training
            with name_scope("loss"):
                if config.crf:
                    assert lengths is not None and model.transitions is not None
                    dims = concat([shape(lengths), np.array([-1, n_out], np.int32)], 0,
                                  name="unary_shape")
                    unary = reshape(scores, dims, name="unary")
                    ll, _ = crf_log_likelihood(unary, labels, lengths, model.transitions)
                    tokens = maximum(reduce_sum(cast(lengths, dtypes.float32)), 1.0)
                    per_token = None
                    model.loss = truediv(negative(reduce_sum(ll)), tokens, name="mean")
                elif binary:
                    per_token = sigmoid_cross_entropy(labels, s)
                else:
                    per_token = sparse_softmax_cross_entropy_with_logits(
                        labels=labels, logits=scores)
                if per_token is not None:
                    model.loss = reduce_mean(per_token, name="mean")
            model.global_step = get_or_create_global_step()
            model.learning_rate = placeholder_with_default(np.float32(config.learning_rate), [],
                                                           name="learning_rate")
            assert model.loss is not None
            model.train_op = make_optimizer(config, model.learning_rate).minimize(
                model.loss, global_step=model.global_step)
            if config.ema_decay > 0:
                model.ema = ExponentialMovingAverage(config.ema_decay,
                                                     num_updates=model.global_step)
                averaged = [v for v in variables.values() if v.trainable]
                with graph.control_dependencies([model.train_op]):
                    model.train_op = model.ema.apply(averaged)
    return model


def _char_cnn(config: WindowNERConfig, n_chars: int, token_chars: Tensor,
              char_index: Tensor, seeds: Any, variables: dict[str, Any]) -> Tensor:
    """Per token of the batch: embed its characters, conv1d (VALID, ReLU) with
    ``char_filters`` filters of each width, max over time; then the vectors of each window's
    tokens (a zero vector for padding): (batch, 2w+1 * filters * widths)."""
    cd, f = config.char_dim, config.char_filters
    with name_scope("char_cnn"):
        table = Variable(_uniform(seeds, (n_chars, cd), 0.1), name="chars")
        variables["embeddings/char_cnn/chars"] = table
        e = embedding_lookup(table, token_chars)  # (M, length, cd)
        pooled = []
        for k in config.char_widths:
            with name_scope(f"width{k}"):
                scale = float(np.sqrt(6.0 / (k * cd + f)))
                kernel = Variable(_uniform(seeds, (k, cd, f), scale), name="kernel")
                bias = Variable(np.zeros(f, np.float32), name="bias")
                variables[f"embeddings/char_cnn/width{k}/kernel"] = kernel
                variables[f"embeddings/char_cnn/width{k}/bias"] = bias
                c = relu(bias_add(conv1d(e, kernel, 1, "VALID"), bias))
                pooled.append(reduce_max(c, 1, name="max_over_time"))
        vectors = concat(pooled, 1) if len(pooled) > 1 else pooled[0]
        padded = pad(vectors, [[0, 1], [0, 0]], name="with_padding_row")
        return reshape(gather(padded, char_index),
                       [-1, config.width * f * len(config.char_widths)], name="per_window")


def sigmoid_cross_entropy(labels: Tensor, logits: Tensor) -> Tensor:
    """-[t log sigmoid(s) + (1-t) log(1 - sigmoid(s))] = max(s, 0) - s t + log(1 + e^-|s|),
    built from primitives (stable for large |s|)."""
    abs_s = maximum(logits, -logits)
    return maximum(logits, 0.0) - logits * labels + log(1.0 + exp(-abs_s))


def make_optimizer(config: WindowNERConfig, learning_rate: Any = None) -> Optimizer:
    """The configured optimizer; ``learning_rate`` (a float or a scalar tensor) replaces
    ``config.learning_rate`` when given."""
    lr = config.learning_rate if learning_rate is None else learning_rate
    if config.optimizer == "adam":
        return AdamOptimizer(lr)
    if config.optimizer == "lazy_adam":
        return LazyAdamOptimizer(lr)
    if config.optimizer == "momentum":
        return MomentumOptimizer(lr, 0.9)
    return GradientDescentOptimizer(lr)


def _uniform(seeds: Any, shape: tuple[int, ...], scale: float) -> Any:
    """An initializer tensor (RandomUniform op, seeded): keeps the graph small, unlike a
    constant holding the initial matrix."""
    return lambda: random_uniform(list(shape), -scale, scale, seed=next(seeds))


def _glorot(seeds: Any, n_in: int, n_out: int) -> Any:
    return _uniform(seeds, (n_in, n_out), float(np.sqrt(6.0 / (n_in + n_out))))

