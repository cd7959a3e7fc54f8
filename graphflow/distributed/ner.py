"""``graphflow ner train --workers N``: the window NER trainer's epochs on data-parallel workers.

The driver keeps the whole ``NERTrainer``: data, vocabulary, dev evaluation, the ``best``
and ``last`` checkpoints, the state file that ``--resume`` reads, and the export all stay the
trainer's own code (``NERTrainer.fit``). Only the mini-batch steps run on the workers:
``DataParallelEpochs`` is handed to ``fit`` as its epoch runner. Each epoch:

  1. the trainer's variables (fresh, pretrained vectors, or restored by ``--resume``) are
     broadcast to every worker, with the global step;
  2. the trainer's own shuffled batches (``NERTrainer.training_batches``, word dropout
     included) are split over the workers, one synchronous ``DataParallelTrainer.step``
     each (dropout rate sent to all);
  3. rank 0's variables are loaded back into the trainer's session, which then evaluates dev
     and writes the checkpoints — so a run that loses a worker mid-epoch resumes from the
     last finished epoch.

Every rank builds the graph with ``window_ner.build``; rank r's ops are seeded with
``seed + 1000 r`` so the shards draw different dropout masks (the broadcast values make the
seed matter nowhere else). The trainer's graph gets the same gradient exchange as the
workers, so checkpoints hold the optimizer slots the workers use, under the same names.
(``window_ner.build`` also adds its own ``minimize`` update, which stays unused here: its
slot variables cost memory but no time.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.data import Sentence
from graphflow.distributed import cluster
from graphflow.distributed.data_parallel import DataParallelTrainer, WorkerFailedError
from graphflow.distributed.replica import GradientExchange, Replica
from graphflow.models import window_ner
from graphflow.models.ner_features import FeatureWindows
from graphflow.models.ner_trainer import STATE_FILE, NERTrainer, TrainResult
from graphflow.models.window_ner import WindowNERConfig

#: Rank r builds its graph with ``config.seed + RANK_SEED_STRIDE * r``.
RANK_SEED_STRIDE = 1000


@dataclass
class NERReplica:
    """``build(rank)`` of the window NER model for the workers (picklable)."""

    config: WindowNERConfig
    feature_sizes: dict[str, int]
    num_classes: int

    def __call__(self, rank: int) -> Replica:
        cfg = replace(self.config, seed=self.config.seed + RANK_SEED_STRIDE * rank)
        model = window_ner.build(cfg, self.feature_sizes, self.num_classes)
        assert model.loss is not None
        return Replica(loss=model.loss, optimizer=window_ner.make_optimizer(cfg),
                       global_step=model.global_step)


class DataParallelEpochs:
    """An epoch runner for ``NERTrainer.fit`` over ``num_workers`` Ray actors (module
    docstring). ``on_step(trainer, step)`` is called after every step (tests use it to kill
    a worker mid-run). Close it (or use ``with``) to end the actors."""

    def __init__(self, trainer: NERTrainer, num_workers: int, address: str | None = None,
                 on_step: Callable[[DataParallelTrainer, int], None] | None = None) -> None:
        self.trainer = trainer
        self.on_step = on_step
        cfg, m = trainer.config, trainer.model
        assert m.loss is not None and m.labels is not None
        with m.graph.as_default():
            self.exchange = GradientExchange(Replica(
                loss=m.loss, optimizer=window_ner.make_optimizer(cfg),
                global_step=m.global_step, session=trainer.session))
        self._step_name = m.global_step.op.name
        replica = NERReplica(cfg, trainer.features.sizes(), len(trainer.tags))
        self.parallel = DataParallelTrainer(replica, num_workers, address=address,
                                            initial_values=self.exchange.values())

    def __call__(self, data: FeatureWindows, labels: np.ndarray, rng: np.random.Generator,
                 progress: Callable[[int], Any] | None = None) -> float:
        m, dp = self.trainer.model, self.parallel
        values = self.exchange.values()
        dp.load_variables(values, steps=int(values[self._step_name]))
        rate = m.dropout_rate
        total, count = 0.0, 0
        bar = progress(len(data)) if progress else None
        for feed in self.trainer.training_batches(data, labels, rng):
            batch = {t.name: v for t, v in feed.items() if t is not rate}
            constants = {rate.name: feed[rate]} if rate is not None and rate in feed else None
            loss = dp.step(batch, constants)
            n = len(feed[m.labels])
            total += loss * n
            count += n
            if bar is not None:
                bar.update(n)
                bar.set_postfix(loss=f"{total / count:.4f}")
            if self.on_step is not None:
                self.on_step(dp, dp.steps)
        if bar is not None:
            bar.close()
        self.exchange.load(dp.variables(rank=0))
        return total / max(count, 1)

    def close(self) -> None:
        self.parallel.close()

    def __enter__(self) -> DataParallelEpochs:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class TrainingInterruptedError(RuntimeError):
    """A data-parallel run lost a worker; the message says how to resume."""


def check_data_parallel_config(config: WindowNERConfig) -> None:
    """ValueError unless data-parallel training supports ``config`` (see fit_data_parallel)."""
    if config.crf or config.lr_decay < 1 or config.char_cnn:
        raise ValueError("data-parallel training (--workers/--address) supports softmax "
                         "window models without the character CNN and with a constant "
                         "learning rate only (batches of windows are split over the workers): "
                         "set output='softmax', lr_decay=1, char_cnn=False (--output softmax "
                         "--lr-decay 1 --no-char-cnn), or train in one process")


def fit_data_parallel(trainer: NERTrainer, dev: Sequence[Sentence], out_dir: str | Path,
                      workers: int, address: str | None = None, progress: bool = True,
                      resume: bool = False, log: Callable[[str], None] | None = None,
                      on_step: Callable[[DataParallelTrainer, int], None] | None = None
                      ) -> TrainResult:
    """``trainer.fit`` with its epochs on ``workers`` Ray actors: on the cluster at
    ``address``, or a local one started for the call (and shut down after). A lost worker
    raises ``TrainingInterruptedError`` naming its rank, the step, and how to resume.
    ``log`` receives the epoch lines (default: ``fit``'s own). Only softmax window models
    with a constant learning rate and no character CNN split over workers (their batches
    are windows); anything else is a ValueError before any cluster starts."""
    check_data_parallel_config(trainer.config)
    with cluster.ray_cluster(address):
        print(f"data-parallel: {workers} workers on a Ray cluster of "
              f"{cluster.cluster_cpus():g} CPUs")
        with DataParallelEpochs(trainer, workers, on_step=on_step) as runner:
            try:
                if log is None:
                    return trainer.fit(dev, out_dir, progress=progress, resume=resume,
                                       epoch_runner=runner)
                return trainer.fit(dev, out_dir, progress=progress, resume=resume, log=log,
                                   epoch_runner=runner)
            except WorkerFailedError as e:
                state = Path(out_dir) / STATE_FILE
                hint = (f"the finished epochs are checkpointed in {out_dir}: run the same "
                        "command with --resume to continue from the last one"
                        if state.exists() else "no epoch had finished: start again")
                raise TrainingInterruptedError(f"{e}. {hint}") from e
