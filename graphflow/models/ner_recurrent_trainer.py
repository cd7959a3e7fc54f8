"""Training, export and prediction of the recurrent NER taggers (``ner_recurrent``), with the
window model's data pipeline: the same vocabulary (extended with the GloVe words when
pretrained vectors are given), lookup features (``NERFeatures`` at half-width 0), tag set,
IOB2 decoding (``ner_decode.decode_all``), conlleval metrics and model directory layout.

Batches: every sentence goes to the smallest length bucket T >= its length
(``ner_trainer.steps_bucket``: 1, 2, 3, 4, 8, 12, ... so padding stays under ~25%); a batch
holds ``max(1, batch_size // T)`` sentences of one bucket (the last one of a bucket filled
up with empty sentences, so each bucket has one feed shape and its plan is compiled once).
Training shuffles the sentences inside each bucket and the order of the batches; the
``while_loop`` of ``dynamic_rnn`` stops after the longest sentence of the batch.
Padding positions hold the ids of the window model's padding (``</s>``, the "pad" casing,
``<pad>``), rows that real tokens never use, so the optimizer's zero-gradient updates of
padding lookups cannot move a real word's vector.

The model directory (``export``) holds what the window model's does — ``model.pb`` (the
frozen inference graph: variables folded into constants, the ``while_loop`` of the RNN
included), ``train_graph.pb``, ``vocab.json``, ``features.json``, ``tags.json``,
``config.json`` (with ``config.model`` = "rnn"/"gru"/"bilstm", the input and output tensor
names and the scores), ``checkpoints/`` — and ``RecurrentNERPredictor.load`` runs it with no
model-building code. ``load_predictor`` picks the predictor a directory needs.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.data import (
    UNK_ID,
    Sentence,
    TagSet,
    Vocabulary,
    build_vocab_with_embeddings,
    evaluate,
    read_conll,
    to_iob2,
)
from graphflow.data.metrics import EntityScores
from graphflow.data.vocab import CASING_PAD, END_ID
from graphflow.framework.graph import Graph
from graphflow.io.freeze import convert_variables_to_constants
from graphflow.io.graph_io import load_graph, write_graph
from graphflow.models import ner_recurrent
from graphflow.models.ner_artifacts import MODEL_FILE, TRAIN_GRAPH_FILE, NERPredictor
from graphflow.models.ner_decode import Entity, decode_all, entities, tokenize
from graphflow.models.ner_features import CASINGS, WORDS, FeatureVocab, NERFeatures
from graphflow.models.ner_recurrent import RecurrentNERConfig
from graphflow.models.ner_trainer import (
    EpochReport,
    TrainResult,
    convert_tags,
    read_training_state,
    steps_bucket,
    write_training_state,
)
from graphflow.ops.variables import global_variables, global_variables_initializer
from graphflow.runtime.session import Session
from graphflow.train.saver import Saver

logger = logging.getLogger(__name__)
#: The id a padding position holds, per feature (rows real tokens never use).
PAD_IDS = {WORDS: END_ID, CASINGS: CASING_PAD}
#: Padded tokens per inference batch (scoring dev, ``ner eval``, ``ner predict``).
EVAL_TOKENS = 4096


def pad_id(feature: str) -> int:
    return PAD_IDS.get(feature, FeatureVocab.PAD_ID)


class TokenData:
    """Per-token feature ids of a corpus, sentence after sentence, and the sentence lengths:
    the recurrent model's input before padding."""

    def __init__(self, tokens: dict[str, np.ndarray], tags: np.ndarray | None,
                 lengths: np.ndarray) -> None:
        self.tokens, self.tags = tokens, tags
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.starts = np.cumsum(self.lengths) - self.lengths

    @classmethod
    def build(cls, features: NERFeatures, sentences: Sequence[Sentence],
              tags: TagSet | None = None) -> TokenData:
        data = features.windows(sentences, tags)  # half-width 0: one column per feature
        return cls({n: a[:, 0] for n, a in data.inputs.items()}, data.tags, data.lengths)

    def __len__(self) -> int:
        return int(self.lengths.sum())

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """A per-token array split into per-sentence arrays."""
        return np.split(np.asarray(flat), np.cumsum(self.lengths)[:-1]) \
            if len(self.lengths) else []

    def batch(self, sentences: np.ndarray, steps: int
              ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
        """(feature id arrays (B, steps), lengths (B,), token rows (B, steps), mask) of the
        sentences (index -1: an empty sentence); padding holds ``pad_id``."""
        real = sentences >= 0
        safe = np.where(real, sentences, 0)
        n = np.where(real, self.lengths[safe] if len(self.lengths) else 0, 0)
        if n.max(initial=0) > steps:
            raise ValueError(f"a sentence of {int(n.max())} tokens does not fit a batch of "
                             f"{steps} steps")
        mask = np.arange(steps)[None, :] < n[:, None]
        rows = np.where(mask, self.starts[safe][:, None] + np.arange(steps), 0)
        arrays = {name: np.where(mask, ids[rows] if len(ids) else 0,
                                 pad_id(name)).astype(np.int32)
                  for name, ids in self.tokens.items()}
        return arrays, n.astype(np.int32), rows, mask


def length_batches(lengths: np.ndarray, budget: int, rng: np.random.Generator | None = None
                   ) -> list[tuple[np.ndarray, int]]:
    """Batches of sentence indices by length bucket: (indices, padded steps T), about
    ``budget`` padded tokens each (at least one sentence); index -1 fills the last batch of a
    bucket. With ``rng`` the members of each bucket and the batch order are shuffled."""
    lengths = np.asarray(lengths)
    buckets = np.array([steps_bucket(int(n)) for n in lengths], dtype=np.int64)
    batches: list[tuple[np.ndarray, int]] = []
    for steps in np.unique(buckets):
        members = np.flatnonzero(buckets == steps)
        if rng is not None:
            members = rng.permutation(members)
        per = max(1, budget // int(steps))
        for start in range(0, len(members), per):
            chunk = members[start:start + per]
            batches.append((np.concatenate([chunk, np.full(per - len(chunk), -1, np.int64)]),
                            int(steps)))
    if rng is not None:
        batches = [batches[j] for j in rng.permutation(len(batches))]
    return batches


def token_probabilities(session: Session, probabilities: Any, inputs: dict[str, Any],
                        lengths: Any, data: TokenData, num_classes: int,
                        budget: int = EVAL_TOKENS) -> np.ndarray:
    """(tokens, classes) softmax outputs of a (training or frozen) graph, in corpus order."""
    out = np.zeros((len(data), num_classes), np.float32)
    for sents, steps in length_batches(data.lengths, budget):
        arrays, n, rows, mask = data.batch(sents, steps)
        feed = {t: arrays[name] for name, t in inputs.items()}
        feed[lengths] = n
        probs = session.run(probabilities, feed)
        out[rows[mask]] = probs[mask]
    return out


class RecurrentNERTrainer:
    """The vocabulary, features, tag set, graph and session of one recurrent training run
    (the counterpart of ``ner_trainer.NERTrainer``)."""

    def __init__(self, config: RecurrentNERConfig, train: Sequence[Sentence],
                 embeddings_path: str | None = None) -> None:
        self.config = config
        self.train_sents = convert_tags(train, config.scheme)
        self.embeddings_path = embeddings_path
        self.pretrained: np.ndarray | None = None
        self.coverage = 0.0
        if embeddings_path:
            vocab, glove = build_vocab_with_embeddings(self.train_sents, embeddings_path,
                                                       seed=config.seed)
            config.embed_dim = int(glove.matrix.shape[1])
            self.pretrained, self.coverage = glove.matrix, glove.coverage
        else:
            vocab = Vocabulary.build(self.train_sents)
        self.features = NERFeatures.build(config, vocab, self.train_sents)
        self.tags = TagSet.build(self.train_sents)
        self.learning_rate = config.learning_rate
        self.model = ner_recurrent.build(config, self.features.sizes(), len(self.tags))
        self.session = Session(graph=self.model.graph)
        with self.model.graph.as_default():
            self.session.run(global_variables_initializer())
            if self.pretrained is not None:
                self.variable("embeddings/words").load(self.pretrained, self.session)
            self.saver = Saver()

    @property
    def vocab(self) -> Vocabulary:
        return self.features.vocab

    def variable(self, name: str) -> Any:
        """The training graph's variable of op name ``name``."""
        for v in global_variables(self.model.graph):
            if v.op.name == name:
                return v
        raise KeyError(f"the training graph has no variable {name!r}")

    def data(self, sentences: Sequence[Sentence], with_tags: bool = True) -> TokenData:
        return TokenData.build(self.features, sentences, self.tags if with_tags else None)

    # -- training --------------------------------------------------------------------------
    def training_batches(self, data: TokenData, rng: np.random.Generator
                         ) -> Iterator[dict[Any, Any]]:
        """The feed dicts of one epoch (bucketed, shuffled; word dropout from ``rng``)."""
        m, cfg = self.model, self.config
        if data.tags is None:
            raise ValueError("training needs the gold tags (data(..., with_tags=True))")
        rare = None
        if cfg.word_dropout > 0:
            rare = np.bincount(data.tokens[WORDS], minlength=len(self.vocab)) == 1
        for sents, steps in length_batches(data.lengths, cfg.batch_size, rng):
            arrays, n, rows, mask = data.batch(sents, steps)
            if rare is not None:
                words = arrays[WORDS]
                drop = mask & rare[words] & (rng.random(words.shape) < cfg.word_dropout)
                arrays[WORDS] = np.where(drop, UNK_ID, words).astype(np.int32)
            feed: dict[Any, Any] = {t: arrays[name] for name, t in m.inputs.items()}
            feed[m.lengths] = n
            feed[m.labels] = np.where(mask, data.tags[rows], 0).astype(np.int32)
            feed[m.dropout_rate] = np.float32(cfg.dropout)
            feed[m.learning_rate] = np.float32(self.learning_rate)
            yield feed

    def train_epoch(self, data: TokenData, rng: np.random.Generator,
                    progress: Any = None) -> float:
        """One pass over ``training_batches``; returns the mean loss per real token."""
        m = self.model
        total, count = 0.0, 0
        for feed in self.training_batches(data, rng):
            _, loss = self.session.run([m.train_op, m.loss], feed)
            n = int(feed[m.lengths].sum())
            total += float(loss) * n
            count += n
            if progress is not None:
                progress.update(n)
                progress.set_postfix(loss=f"{total / max(count, 1):.4f}")
        if progress is not None:
            progress.close()
        return total / max(count, 1)

    def probabilities(self, data: TokenData) -> np.ndarray:
        m = self.model
        return token_probabilities(self.session, m.probabilities, m.inputs, m.lengths, data,
                                   len(self.tags))

    def predict_tags(self, sentences: Sequence[Sentence]) -> list[list[str]]:
        data = self.data(sentences, with_tags=False)
        return decode_all(self.probabilities(data), data.split, self.tags.tags,
                          self.config)  # type: ignore[arg-type]

    def evaluate(self, sentences: Sequence[Sentence]) -> EntityScores:
        """Entity-level scores (conlleval) of the current variables on ``sentences`` (gold
        entities from the file's own tags)."""
        return evaluate([to_iob2(s.tags) for s in sentences], self.predict_tags(sentences))

    def fit(self, dev: Sequence[Sentence], out_dir: str | Path, progress: bool = True,
            resume: bool = False, log: Callable[[str], None] | None = None) -> TrainResult:
        """Train for ``config.epochs`` with dev F1 after each epoch; keep the best-dev
        variables (checkpoint ``best``), checkpoint every epoch (``last``, for ``resume``)
        and export the best model into ``out_dir``."""
        log = log or logger.info
        start = time.perf_counter()
        out, cfg = Path(out_dir), self.config
        ckpt = out / "checkpoints"
        data = self.data(self.train_sents)
        rng = np.random.default_rng(cfg.seed)
        result = TrainResult(best_dev_f1=-1.0, best_epoch=0, model_dir=str(out))
        first_epoch = 1
        if resume:
            first_epoch = self._resume(out, ckpt, rng, result)
        for epoch in range(first_epoch, cfg.epochs + 1):
            t0 = time.perf_counter()
            self.learning_rate = cfg.learning_rate * cfg.lr_decay ** (epoch - 1)
            bar = _progress_bar(len(data), f"epoch {epoch}/{cfg.epochs}") if progress else None
            loss = self.train_epoch(data, rng, bar)
            f1 = self.evaluate(dev).f1 if dev else float("nan")
            seconds = time.perf_counter() - t0
            result.history.append(EpochReport(epoch, loss, f1, seconds))
            log(f"epoch {epoch}: loss {loss:.4f}  dev F1 {f1:.4f}  ({seconds:.1f} s)")
            if f1 > result.best_dev_f1 or not dev:
                result.best_dev_f1, result.best_epoch = f1, epoch
                self.saver.save(self.session, ckpt / "best")
            self.saver.save(self.session, ckpt / "last")
            write_training_state(out, epoch, result, rng)
        if result.best_epoch:
            self.saver.restore(self.session, ckpt / "best")
        export(self, out, result)
        result.seconds = time.perf_counter() - start
        return result

    def _resume(self, out: Path, ckpt: Path, rng: np.random.Generator,
                result: TrainResult) -> int:
        first_epoch = read_training_state(out, rng, result)
        self.saver.restore(self.session, ckpt / "last")
        return first_epoch


def _progress_bar(total: int, desc: str) -> Any:
    from tqdm import tqdm  # deferred: tqdm is only needed for a terminal progress bar

    return tqdm(total=total, desc=desc, unit="tok", leave=False, disable=None)


# -- the model directory ----------------------------------------------------------------------
def export(trainer: RecurrentNERTrainer, out_dir: str | Path,
           result: TrainResult | None = None) -> Path:
    """Freeze the trainer's current variables into ``out_dir`` (module docstring)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = trainer.config
    inference = ner_recurrent.build(cfg, trainer.features.sizes(), len(trainer.tags),
                                    training=False)
    outputs = [ner_recurrent.OUTPUT_PROBABILITIES, ner_recurrent.OUTPUT_PREDICTIONS]
    with inference.graph.as_default(), Session() as sess:
        sess.run(global_variables_initializer())
        for var in global_variables(inference.graph):
            value = trainer.session.run(trainer.variable(var.op.name))
            var.load(value, sess)
        frozen = convert_variables_to_constants(sess, inference.graph.as_graph_def(), outputs)
    write_graph(frozen, out, MODEL_FILE, as_text=False)
    write_graph(trainer.model.graph, out, TRAIN_GRAPH_FILE, as_text=False)
    trainer.features.save(out)
    trainer.tags.save(out / "tags.json")
    meta: dict[str, Any] = {
        "config": cfg.to_dict(),
        "inputs": {n: f"{t.op.name}:0" for n, t in inference.inputs.items()},
        "lengths": f"{inference.lengths.op.name}:0",
        "outputs": {"probabilities": f"{ner_recurrent.OUTPUT_PROBABILITIES}:0",
                    "predictions": f"{ner_recurrent.OUTPUT_PREDICTIONS}:0"},
        "embeddings": trainer.embeddings_path, "embedding_coverage": trainer.coverage}
    if result is not None:
        meta["best_dev_f1"], meta["best_epoch"] = result.best_dev_f1, result.best_epoch
    (out / "config.json").write_text(json.dumps(meta, indent=2) + "\n")
    return out


class RecurrentNERPredictor:
    """Predict entities with an exported recurrent model directory alone."""

    def __init__(self, graph: Graph, features: NERFeatures, tags: TagSet,
                 config: RecurrentNERConfig, meta: dict[str, Any]) -> None:
        self.graph, self.features, self.tags, self.config, self.meta = (
            graph, features, tags, config, meta)
        self.session = Session(graph=graph)
        self._inputs = {n: graph.get_tensor_by_name(t) for n, t in meta["inputs"].items()}
        self._lengths = graph.get_tensor_by_name(meta["lengths"])
        self._probs = graph.get_tensor_by_name(meta["outputs"]["probabilities"])

    @classmethod
    def load(cls, model_dir: str | Path) -> RecurrentNERPredictor:
        d = Path(model_dir)
        meta = _read_meta(d)
        config = RecurrentNERConfig.from_dict(meta["config"])
        return cls(load_graph(d / MODEL_FILE), NERFeatures.load(d, config),
                   TagSet.load(d / "tags.json"), config, meta)

    @property
    def vocab(self) -> Vocabulary:
        return self.features.vocab

    def probabilities(self, sentences: Sequence[Sentence]) -> tuple[np.ndarray, TokenData]:
        """(tokens, tags) softmax outputs of the frozen graph and the token data."""
        data = TokenData.build(self.features, sentences)
        probs = token_probabilities(self.session, self._probs, self._inputs, self._lengths,
                                    data, len(self.tags))
        return probs, data

    def predict_tags(self, token_lists: Sequence[Sequence[str]],
                     docs: Sequence[int | None] | None = None) -> list[list[str]]:
        """IOB2 tags for already tokenized sentences (``docs``, their document ids, is
        accepted for the window predictor's sake; recurrent models use no document
        feature)."""
        sents = [Sentence(list(t), ["O"] * len(t)) for t in token_lists]
        probs, data = self.probabilities(sents)
        return decode_all(probs, data.split, self.tags.tags, self.config)  # type: ignore[arg-type]

    def predict(self, text: str) -> list[Entity]:
        """Entities in one raw sentence."""
        words = tokenize(text)
        return entities(words, self.predict_tags([words])[0]) if words else []

    def predict_document(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities in each of several raw sentences."""
        return [self.predict(t) for t in texts]


def _read_meta(d: Path) -> dict[str, Any]:
    missing = [f for f in (MODEL_FILE, "vocab.json", "tags.json", "config.json")
               if not (d / f).exists()]
    if missing:
        raise FileNotFoundError(f"'{d}' is not an exported NER model directory: missing "
                                f"{', '.join(missing)} (train one with `graphflow ner train`)")
    meta: dict[str, Any] = json.loads((d / "config.json").read_text())
    return meta


def load_predictor(model_dir: str | Path) -> RecurrentNERPredictor | NERPredictor:
    """The predictor of an exported model directory: recurrent (``config.model`` is one of
    ``RECURRENT_MODELS``) or the window model's ``NERPredictor``."""
    meta = _read_meta(Path(model_dir))
    if meta.get("config", {}).get("model") in ner_recurrent.RECURRENT_MODELS:
        return RecurrentNERPredictor.load(model_dir)
    return NERPredictor.load(model_dir)


# -- ``graphflow ner train --model rnn|gru|bilstm`` ----------------------------------------
#: ``ner train`` flags (argparse dest) a recurrent config takes over as they are.
CLI_FIELDS = ("epochs", "batch_size", "learning_rate", "lr_decay", "optimizer", "hidden",
              "dropout", "suffix_dim", "suffix_len", "prefix_dim", "prefix_len", "shape_dim",
              "word_dropout", "scheme", "decode", "seed", "output")
#: Window-model flags that mean nothing for a recurrent model (dest, flag).
CLI_REFUSED = (("window", "--window"), ("activation", "--activation"),
               ("char_dim", "--char-dim"), ("char_filters", "--char-filters"),
               ("preset", "--preset"), ("binary", "--binary"), ("logdir", "--logdir"),
               ("address", "--address"), ("doc_case_dim", "--doc-case-dim"),
               ("gazetteer_dim", "--gazetteer-dim"), ("doc_topic", "--doc-topic"))


def config_from_args(args: argparse.Namespace) -> RecurrentNERConfig:
    """The ``RecurrentNERConfig`` of ``ner train --model rnn|gru|bilstm`` and its flags;
    window-model-only flags are refused by name."""
    given = [flag for dest, flag in CLI_REFUSED if getattr(args, dest, None)]
    if getattr(args, "char_cnn", False):
        given.append("--char-cnn")
    if getattr(args, "workers", 1) > 1:
        given.append("--workers")
    if given:
        raise ValueError(f"options of the window model only, not used by --model "
                         f"{args.model}: {', '.join(given)}; drop them (see `graphflow ner "
                         "train --help`)")
    overrides = {f: getattr(args, f) for f in CLI_FIELDS if getattr(args, f, None) is not None}
    if getattr(args, "freeze_embeddings", False):
        overrides["train_embeddings"] = False
    return RecurrentNERConfig(model=args.model, **overrides)


def train_from_args(args: argparse.Namespace, data_dir: Path) -> int:
    """``graphflow ner train --model rnn|gru|bilstm``: train on DATA/train.txt, select on
    DATA/dev.txt, export into ``args.out``; prints what the window model's command prints."""
    config = config_from_args(args)
    train, dev = read_conll(data_dir / "train.txt"), read_conll(data_dir / "dev.txt")
    print(f"data: {data_dir} ({len(train)} train / {len(dev)} dev sentences)")
    trainer = RecurrentNERTrainer(config, train, embeddings_path=args.embeddings)
    units = f"{config.hidden} units" + (" per direction" if config.model == "bilstm" else "")
    print(f"vocabulary {len(trainer.vocab)} words, {len(trainer.tags)} classes; model "
          f"{config.model} ({units}), "
          f"features {'+'.join(trainer.features.names)}, output softmax"
          + (f"; pretrained coverage {trainer.coverage:.1%}" if args.embeddings else ""))
    quiet = getattr(args, "quiet", False)
    result = trainer.fit(dev, args.out, progress=not (args.no_progress or quiet),
                         resume=args.resume, log=(lambda line: None) if quiet else print)
    print(f"best dev F1 {result.best_dev_f1:.4f} (epoch {result.best_epoch}); "
          f"trained in {result.seconds:.0f} s; model exported to {args.out}")
    return 0
