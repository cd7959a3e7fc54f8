"""TensorBoard logging of a window-NER training run (``graphflow ner train --logdir DIR``).

What ``TrainingLog`` writes into ``DIR`` (one event file per run; the step is the epoch):
  * once: the training graph with ``_output_shapes`` (TensorBoard's graph tab labels edges
    with shapes) and the run's configuration as text (``config``);
  * per epoch: ``train/loss`` (mean training loss), ``train/learning_rate``, and the dev
    scores ``dev/precision``, ``dev/recall``, ``dev/f1`` (entity level, conlleval);
  * per epoch, the gradient-flow report over time: ``gf.debug.gradient_flow_report`` on a
    fixed sample of training batches (dropout off), as per-layer scalars
    ``gradient_flow/<layer>/grad_norm``, ``grad_rms``, ``update_ratio``, ``weight_norm``,
    ``zero_fraction`` (and ``saturated``/``dead``), see ``gf.summary.gradient_flow_summary``;
  * per epoch and trainable variable: histograms ``weights/<var>`` (the values) and
    ``updates/<var>`` (how the epoch changed them), and the scalar
    ``update_ratio/<var>`` = ||w_after - w_before|| / ||w_before|| (the update the optimizer
    really made, next to the report's learning-rate estimate).
"""

from __future__ import annotations

import json
import logging
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.data.metrics import EntityScores
from graphflow.debug.gradient_flow import gradient_flow_report
from graphflow.framework import dtypes, tensor_util
from graphflow.models.ner_features import FeatureWindows
from graphflow.proto import summary_pb2
from graphflow.summary.reports import gradient_flow_summary, histogram_summary, scalar_summary
from graphflow.summary.writer import FileWriter

if TYPE_CHECKING:
    from graphflow.models.ner_trainer import NERTrainer

logger = logging.getLogger(__name__)


def text_summary(tag: str, text: str) -> summary_pb2.Summary:
    """A hand-made text summary (what ``gf.summary.text`` computes in a graph)."""
    out = summary_pb2.Summary()
    value = out.value.add(tag=tag)
    value.metadata.plugin_data.plugin_name = "text"
    value.tensor.CopyFrom(tensor_util.make_tensor_proto(text.encode(), dtype=dtypes.string))
    return out


class TrainingLog:
    """Writes one training run's curves, histograms and graph for TensorBoard."""

    def __init__(self, trainer: NERTrainer, logdir: str | os.PathLike[str],
                 data: FeatureWindows, labels: np.ndarray, flow_batches: int = 2) -> None:
        self.trainer = trainer
        model = trainer.model
        self.writer = FileWriter(logdir, graph=model.graph)
        logger.info("TensorBoard events: %s (view with: tensorboard --logdir %s)",
                    self.writer.path, logdir)
        config = trainer.config.to_dict()
        self.writer.add_summary(text_summary("config", "```\n" + json.dumps(config, indent=1)
                                             + "\n```"), 0)
        rng = np.random.default_rng(trainer.config.seed)
        self.feeds = self._crf_feeds(data, labels, rng, flow_batches) \
            if trainer.config.crf else self._window_feeds(data, labels, rng, flow_batches)
        self.before = self.weights()

    def _window_feeds(self, data: FeatureWindows, labels: np.ndarray,
                      rng: np.random.Generator, flow_batches: int) -> list[dict[Any, Any]]:
        """Fixed batches of sampled windows for the gradient-flow report."""
        trainer, model = self.trainer, self.trainer.model
        size = min(len(data), flow_batches * trainer.config.batch_size)
        sample = np.sort(rng.choice(len(data), size, replace=False)) if size else \
            np.zeros(0, np.int64)
        feeds = []
        for start in range(0, size, trainer.config.batch_size):
            idx = sample[start:start + trainer.config.batch_size]
            feed = model.feed(data.inputs, idx)
            if model.labels is not None:
                feed[model.labels] = labels[idx]
            if model.dropout_rate is not None:
                feed[model.dropout_rate] = np.float32(0.0)
            feeds.append(feed)
        return feeds

    def _crf_feeds(self, data: FeatureWindows, labels: np.ndarray, rng: np.random.Generator,
                   flow_batches: int) -> list[dict[Any, Any]]:
        """A CRF model's first ``flow_batches`` sentence batches (seeded), without dropout."""
        model = self.trainer.model
        feeds: list[dict[Any, Any]] = []
        for rows, extra in self.trainer.batch_rows(data, labels, rng):
            if len(feeds) == flow_batches:
                break
            feed = model.feed(data.inputs, rows)
            feed.update(extra)
            if model.dropout_rate is not None:
                feed[model.dropout_rate] = np.float32(0.0)
            feeds.append(feed)
        return feeds

    def weights(self) -> dict[str, np.ndarray]:
        """Current values of the model's trainable variables, by name."""
        variables = self.trainer.model.variables
        values = self.trainer.session.run(list(variables.values()))
        return {name: np.array(v) for name, v in zip(variables, values)}

    def epoch(self, epoch: int, loss: float, scores: EntityScores | None) -> None:
        """Write everything of one finished epoch (see the module doc)."""
        scalars = {"train/loss": loss, "train/learning_rate": self.trainer.learning_rate}
        if scores is not None:
            scalars.update({"dev/precision": scores.overall.precision,
                            "dev/recall": scores.overall.recall, "dev/f1": scores.overall.f1})
        after = self.weights()
        for name, w in after.items():
            delta = w - self.before[name]
            norm = float(np.linalg.norm(self.before[name]))
            scalars[f"update_ratio/{name}"] = (float(np.linalg.norm(delta)) / norm
                                               if norm > 0 else math.nan)
        self.writer.add_summary(scalar_summary(scalars), epoch)
        hists = {f"weights/{name}": w for name, w in after.items()}
        hists.update({f"updates/{name}": w - self.before[name] for name, w in after.items()})
        self.writer.add_summary(histogram_summary(hists), epoch)
        self.before = after
        model = self.trainer.model
        if model.loss is not None and self.feeds:
            report = gradient_flow_report(model.loss, self.feeds, session=self.trainer.session,
                                          learning_rate=self.trainer.learning_rate)
            self.writer.add_summary(gradient_flow_summary(report), epoch)
            for flag in report.flags:
                logger.debug("epoch %d gradient flow: [%s] %s", epoch, flag.kind, flag.message)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()

    def __enter__(self) -> TrainingLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
