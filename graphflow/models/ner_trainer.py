"""Training and evaluating the window NER classifier.

Stages of ``train``:
  1. data: tags converted to the model's scheme (IOB2 or IO), vocabulary from the training
     split (extended with the embedding file's words when pretrained vectors are given),
     the optional suffix/prefix/shape vocabularies, windows of every feature for every token
     (``graphflow.data``, ``ner_features``);
  2. graph: ``window_ner.build`` (forward, loss, gradient subgraph, optimizer updates);
  3. epochs of shuffled mini-batches (rare words replaced by ``<unk>`` with probability
     ``word_dropout``), one ``Session.run([train_op, loss])`` each, with a tqdm progress bar
     showing the loss; entity-level F1 on dev after every epoch. A softmax model's batches
     are ``batch_size`` windows; a CRF model's are whole sentences of similar length, about
     ``batch_size`` padded tokens each (``sentence_batches``). The learning rate of epoch e
     is ``learning_rate * lr_decay ** (e - 1)``;
  4. the best-dev variables are kept (checkpoint ``best``), the last epoch is checkpointed
     (``last``, for ``resume``), and the best model is exported (``ner_artifacts.export``).
     With ``ema_decay`` > 0 every step also updates a moving average of the trainable
     variables (``gf.train.ExponentialMovingAverage``); dev is scored, ``best`` saved and the
     model exported with the averages swapped in (``averaged``), training continues from the
     trained values.
Everything is deterministic for a fixed ``config.seed``. ``resume`` continues after the last
finished epoch with its variables, optimizer slots, best-dev record and shuffling/word-dropout
RNG state; the dropout ops' random streams restart from their seeds in the new session, so a
resumed run is equally good but not bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    to_io,
    to_iob2,
)
from graphflow.data.metrics import EntityScores
from graphflow.models import ner_artifacts, window_ner
from graphflow.models.ner_decode import decode_all
from graphflow.models.ner_features import FeatureWindows, NERFeatures
from graphflow.models.ner_tensorboard import TrainingLog
from graphflow.models.window_ner import WindowNERConfig
from graphflow.ops.variables import global_variables_initializer
from graphflow.runtime.session import Session
from graphflow.train.saver import Saver

STATE_FILE = "training_state.json"
logger = logging.getLogger(__name__)
#: ``train_epoch``'s signature: (windows, labels, rng, progress factory) -> mean loss.
EpochRunner = Callable[[FeatureWindows, np.ndarray, np.random.Generator,
                        Callable[[int], Any] | None], float]


def convert_tags(sentences: Sequence[Sentence], scheme: str) -> list[Sentence]:
    """Sentences with tags in the model's scheme (IOB2 tags, or IO entity types); their
    document ids are kept."""
    conv = to_iob2 if scheme == "iob" else to_io
    return [Sentence(list(s.words), list(conv(s.tags)), doc=s.doc) for s in sentences]


@dataclass
class EpochReport:
    epoch: int
    loss: float
    dev_f1: float
    seconds: float


@dataclass
class TrainResult:
    best_dev_f1: float
    best_epoch: int
    history: list[EpochReport] = field(default_factory=list)
    model_dir: str = ""
    seconds: float = 0.0  # wall time of this call of ``fit`` (epochs, dev scoring, export)


class NERTrainer:
    """Owns the vocabulary, features, tag set, graph and session of one training run."""

    def __init__(self, config: WindowNERConfig, train: Sequence[Sentence],
                 embeddings_path: str | None = None) -> None:
        self.config = config
        self.train_sents = convert_tags(train, config.scheme)
        self.embeddings_path = embeddings_path
        if embeddings_path:
            vocab, glove = build_vocab_with_embeddings(self.train_sents, embeddings_path,
                                                       seed=config.seed)
            if glove.matrix.shape[1] != config.embed_dim:
                config.embed_dim = int(glove.matrix.shape[1])
            self.pretrained: np.ndarray | None = glove.matrix
            self.coverage = glove.coverage
        else:
            vocab = Vocabulary.build(self.train_sents)
            self.pretrained = None
            self.coverage = 0.0
        if config.doc_topic and self.pretrained is None:
            logger.info("document topic off: it needs pretrained vectors (--embeddings)")
            config.doc_topic = False
        self.features = NERFeatures.build(config, vocab, self.train_sents, self.pretrained)
        self.tags = TagSet.build(self.train_sents)
        self.learning_rate = config.learning_rate  # of the current epoch (``lr_decay``)
        self.model = window_ner.build(config, self.features.sizes(), len(self.tags))
        self.session = Session(graph=self.model.graph)
        with self.model.graph.as_default():
            self.session.run(global_variables_initializer())
            if self.pretrained is not None:
                self.model.variables["embeddings/words"].load(self.pretrained, self.session)
                shadow = self._shadow("embeddings/words")
                if shadow is not None:  # the average starts at the pretrained vectors too
                    shadow.load(self.pretrained, self.session)
            self.saver = Saver()

    @property
    def vocab(self) -> Vocabulary:
        return self.features.vocab

    def _shadow(self, key: str) -> Any:
        """The moving average of variable ``key`` (None without ``ema_decay``)."""
        ema = self.model.ema
        return None if ema is None else ema.average(self.model.variables[key])

    @contextmanager
    def averaged(self) -> Iterator[None]:
        """With ``ema_decay``: the variables hold their moving averages inside the block (for
        scoring dev and saving the model to export), their trained values again after it.
        Without: nothing changes."""
        pairs = [(v, self._shadow(k)) for k, v in self.model.variables.items()]
        pairs = [(v, s) for v, s in pairs if s is not None]
        if not pairs:
            yield
            return
        trained = self.session.run([v for v, _ in pairs])
        for (var, _), value in zip(pairs, self.session.run([s for _, s in pairs])):
            var.load(value, self.session)
        try:
            yield
        finally:
            for (var, _), value in zip(pairs, trained):
                var.load(value, self.session)

    # -- data ------------------------------------------------------------------------------
    def windows(self, sentences: Sequence[Sentence], with_tags: bool = True,
                leave_doc_out: bool = False) -> FeatureWindows:
        """Feature windows of ``sentences``; ``leave_doc_out`` for the training split (each
        sentence sees the gazetteer without its own document)."""
        return self.features.windows(sentences, self.tags if with_tags else None,
                                     leave_doc_out=leave_doc_out)

    def labels(self, data: FeatureWindows) -> np.ndarray:
        if data.tags is None:
            raise ValueError("these windows were built without tags (windows(..., "
                             "with_tags=False)); training needs the gold tags")
        if self.config.binary_class is None:
            return data.tags
        target = {i for i, t in enumerate(self.tags.tags)
                  if t.split("-", 1)[-1] == self.config.binary_class}
        return np.isin(data.tags, list(target)).astype(np.float32)

    def _rare_words(self, data: FeatureWindows) -> np.ndarray:
        """Per word id: True for words seen exactly once in the training tokens."""
        centre = data.words[:, self.config.window]
        return np.bincount(centre, minlength=len(self.vocab)) == 1

    # -- training --------------------------------------------------------------------------
    def sentence_batches(self, lengths: np.ndarray, rng: np.random.Generator
                         ) -> list[tuple[np.ndarray, int]]:
        """A CRF epoch's batches, in shuffled order: (sentence indices, padded steps T).
        Each sentence goes to the smallest length bucket T >= its length (``steps_bucket``),
        each bucket is shuffled and cut into batches of ``max(1, batch_size // T)``
        sentences, the last one filled up with empty sentences (index -1). So every batch of
        a bucket has the same shape (B*T windows): a few distinct feed shapes, each compiled
        once, and at most ``batch_size`` tokens per batch (or one sentence)."""
        lengths = np.asarray(lengths)
        buckets = np.array([steps_bucket(int(n)) for n in lengths], dtype=np.int64)
        batches: list[tuple[np.ndarray, int]] = []
        for steps in np.unique(buckets):
            members = rng.permutation(np.flatnonzero(buckets == steps))
            per = max(1, self.config.batch_size // int(steps))
            for start in range(0, len(members), per):
                chunk = members[start:start + per]
                pad = np.full(per - len(chunk), -1, dtype=np.int64)
                batches.append((np.concatenate([chunk, pad]), int(steps)))
        return [batches[j] for j in rng.permutation(len(batches))]

    def training_batches(self, data: FeatureWindows, labels: np.ndarray,
                         rng: np.random.Generator) -> Iterator[dict[Any, Any]]:
        """The feed dicts of one epoch: shuffled mini-batches of ``config.batch_size``
        windows, their labels and the dropout rate. With ``word_dropout`` p, each window slot
        holding a word seen once in training becomes ``<unk>`` with probability p (drawn
        from ``rng``, so runs stay deterministic). ``train_epoch`` runs them; data-parallel
        training (``graphflow.distributed.ner``) splits each over its workers."""
        m, cfg = self.model, self.config
        rare = self._rare_words(data) if cfg.word_dropout > 0 else None
        for idx, extra in self.batch_rows(data, labels, rng):
            feed = m.feed(data.inputs, idx)
            if rare is not None:
                words = feed[m.words]
                drop = rare[words] & (rng.random(words.shape) < cfg.word_dropout)
                feed[m.words] = np.where(drop, UNK_ID, words).astype(np.int32)
            feed.update(extra)
            feed[m.dropout_rate] = np.float32(cfg.dropout)
            if cfg.lr_decay < 1:
                feed[m.learning_rate] = np.float32(self.learning_rate)
            yield feed

    def batch_rows(self, data: FeatureWindows, labels: np.ndarray, rng: np.random.Generator
                    ) -> Iterator[tuple[np.ndarray, dict[Any, Any]]]:
        """(window rows, label feeds) of each batch: shuffled windows, or for a CRF whole
        sentences padded to (B, T) (padding rows repeat window 0; the CRF ignores them)."""
        m, cfg = self.model, self.config
        if not cfg.crf:
            order = rng.permutation(len(data))
            for start in range(0, len(order), cfg.batch_size):
                idx = order[start:start + cfg.batch_size]
                yield idx, {m.labels: labels[idx]}
            return
        starts = np.cumsum(data.lengths) - data.lengths
        for sents, steps in self.sentence_batches(data.lengths, rng):
            real = sents >= 0
            n = np.where(real, data.lengths[np.where(real, sents, 0)], 0)
            mask = np.arange(steps)[None, :] < n[:, None]
            first = starts[np.where(real, sents, 0)]
            rows = np.where(mask, first[:, None] + np.arange(steps), 0)
            tags = np.where(mask, labels[rows], 0).astype(np.int32)
            yield rows.reshape(-1), {m.labels: tags, m.lengths: n.astype(np.int32)}

    @staticmethod
    def batch_tokens(model: Any, feed: dict[Any, Any]) -> int:
        """Tokens in one training feed (sentence lengths for a CRF, else labels)."""
        if model.lengths is not None:
            return int(np.sum(feed[model.lengths]))
        return len(feed[model.labels])

    def train_epoch(self, data: FeatureWindows, labels: np.ndarray, rng: np.random.Generator,
                    progress: Callable[[int], Any] | None = None) -> float:
        """One pass over ``training_batches``; returns the mean training loss."""
        m = self.model
        total, count = 0.0, 0
        fetch = [m.train_op, m.loss]
        bar = progress(len(data)) if progress else None
        for feed in self.training_batches(data, labels, rng):
            _, loss = self.session.run(fetch, feed)
            n = self.batch_tokens(m, feed)
            total += float(loss) * n
            count += n
            if bar is not None:
                bar.update(n)
                bar.set_postfix(loss=f"{total / count:.4f}")
        if bar is not None:
            bar.close()
        return total / max(count, 1)

    def probabilities(self, data: FeatureWindows, batch: int = 4096) -> np.ndarray:
        """Per-token class probabilities (the CRF's emission scores for a CRF model)."""
        m = self.model
        fetch = m.scores if self.config.crf else m.probabilities
        out = [self.session.run(fetch, m.feed(data.inputs, slice(i, i + batch)))
               for i in range(0, len(data), batch)]
        return np.concatenate(out) if out else np.zeros((0, len(self.tags)))

    def transitions(self) -> np.ndarray | None:
        """The CRF's transition matrix (None without a CRF)."""
        m = self.model
        return None if m.transitions is None else np.asarray(self.session.run(m.transitions))

    def evaluate(self, sentences: Sequence[Sentence],
                 data: FeatureWindows | None = None) -> EntityScores:
        """Entity-level scores (conlleval) of the current variables on ``sentences``;
        ``data``: their windows (``windows(sentences, with_tags=False)``) when made already
        (``fit`` makes dev's once)."""
        if data is None:
            data = self.windows(convert_tags(sentences, self.config.scheme), with_tags=False)
        predicted = decode_all(self.probabilities(data), data.split, self.tags.tags,
                               self.config, self.transitions())
        if self.config.binary_class is not None:
            gold_tags = [binary_tags(s.tags, self.config.binary_class) for s in sentences]
            return evaluate(gold_tags, predicted)
        # Gold entities come from the file's own tags, so IO-scheme models are still scored
        # against the true CoNLL chunks.
        return evaluate([to_iob2(s.tags) for s in sentences], predicted)

    def fit(self, dev: Sequence[Sentence], out_dir: str | Path, progress: bool = True,
            resume: bool = False, log: Callable[[str], None] | None = None,
            epoch_runner: EpochRunner | None = None,
            logdir: str | os.PathLike[str] | None = None) -> TrainResult:
        """Train for ``config.epochs``; keep and export the best-dev model into ``out_dir``.
        ``epoch_runner`` replaces ``train_epoch`` (same arguments and result; it must leave
        the epoch's variables in ``self.session``), e.g. data-parallel workers. Each epoch's
        line goes to ``log`` (default: this module's logger, level INFO). ``logdir`` writes
        TensorBoard events there (``ner_tensorboard.TrainingLog``)."""
        log = log or logger.info
        if epoch_runner is not None and self.model.ema is not None:
            raise ValueError("an epoch_runner (e.g. data-parallel workers) does not update the "
                             "moving averages: set ema_decay=0 (--ema-decay 0) to use one")
        start = time.perf_counter()
        out = Path(out_dir)
        ckpt = out / "checkpoints"
        cfg = self.config
        data = self.windows(self.train_sents, leave_doc_out=True)
        labels = self.labels(data)
        dev_data = self.windows(convert_tags(dev, cfg.scheme), with_tags=False) if dev else None
        rng = np.random.default_rng(cfg.seed)
        result = TrainResult(best_dev_f1=-1.0, best_epoch=0, model_dir=str(out))
        first_epoch = 1
        if resume:
            first_epoch, result = self._resume(out, ckpt, rng, result)
        make_bar = _progress_factory(progress)
        board = TrainingLog(self, logdir, data, labels) if logdir is not None else None
        for epoch in range(first_epoch, cfg.epochs + 1):
            t0 = time.perf_counter()
            self.learning_rate = cfg.learning_rate * cfg.lr_decay ** (epoch - 1)
            bar = (lambda n, e=epoch: make_bar(n, f"epoch {e}/{cfg.epochs}")) \
                if make_bar else None
            loss = (epoch_runner or self.train_epoch)(data, labels, rng, bar)
            with self.averaged():  # the moving averages, with ``ema_decay``
                scores = self.evaluate(dev, dev_data) if dev else None
                f1 = scores.f1 if scores is not None else float("nan")
                seconds = time.perf_counter() - t0
                if board is not None:
                    board.epoch(epoch, loss, scores)
                result.history.append(EpochReport(epoch, loss, f1, seconds))
                log(f"epoch {epoch}: loss {loss:.4f}  dev F1 {f1:.4f}  ({seconds:.1f} s)")
                if f1 > result.best_dev_f1 or not dev:
                    result.best_dev_f1, result.best_epoch = f1, epoch
                    self.saver.save(self.session, ckpt / "best")
            self.saver.save(self.session, ckpt / "last")
            write_training_state(out, epoch, result, rng)
        if board is not None:
            board.close()
        self.saver.restore(self.session, ckpt / "best.npz")
        ner_artifacts.export(self, out, result)
        result.seconds = time.perf_counter() - start
        return result

    def _resume(self, out: Path, ckpt: Path, rng: np.random.Generator,
                result: TrainResult) -> tuple[int, TrainResult]:
        first_epoch = read_training_state(out, rng, result)
        self.saver.restore(self.session, ckpt / "last.npz")
        return first_epoch, result


def steps_bucket(length: int) -> int:
    """The padded length of a sentence in CRF training: 1, 2, 3, then multiples of 4 up to
    32, of 8 up to 64, of 16 up to 128, then of 32 (padding < ~25%, ~20 buckets)."""
    if length <= 3:
        return max(length, 1)
    for limit, step in ((32, 4), (64, 8), (128, 16)):
        if length <= limit:
            return -(-length // step) * step
    return -(-length // 32) * 32


def binary_tags(tags: Sequence[str], cls: str) -> list[str]:
    """Gold tags of the binary task: ``B-/I-<cls>`` kept, everything else ``O``."""
    return [t if t != "O" and t.split("-", 1)[-1] == cls else "O" for t in to_iob2(tags)]


def read_training_state(out: Path, rng: np.random.Generator, result: TrainResult) -> int:
    """``--resume``: the epochs done so far (history, best dev F1) into ``result`` and the
    batch order's random state into ``rng``, from ``out``'s state file; the next epoch."""
    state_path = out / STATE_FILE
    if not state_path.exists():
        raise FileNotFoundError(f"cannot resume: '{state_path}' does not exist (train "
                                "once without --resume first)")
    state = json.loads(state_path.read_text())
    rng.bit_generator.state = state["rng"]
    result.best_dev_f1, result.best_epoch = state["best_dev_f1"], state["best_epoch"]
    result.history = [EpochReport(**h) for h in state["history"]]
    return int(state["epoch"]) + 1


def write_training_state(out: Path, epoch: int, result: TrainResult,
                         rng: np.random.Generator) -> None:
    """What ``read_training_state`` reads back, after each finished epoch."""
    state = {"epoch": epoch, "best_dev_f1": result.best_dev_f1, "best_epoch": result.best_epoch,
             "history": [vars(h) for h in result.history], "rng": rng.bit_generator.state}
    (out / STATE_FILE).write_text(json.dumps(state, indent=1, default=int) + "\n")


def _progress_factory(enabled: bool) -> Callable[[int, str], Any] | None:
    if not enabled:
        return None
    from tqdm import tqdm

    # disable=None: tqdm draws only when stderr is a terminal (no carriage-return frames in
    # redirected logs)
    return lambda total, desc: tqdm(total=total, desc=desc, unit="tok", leave=False,
                                    disable=None)


