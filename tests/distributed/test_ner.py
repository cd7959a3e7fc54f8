"""``NERTrainer.fit`` with its epochs on two Ray workers: the same training as one process
(without dropout), checkpoints and export as usual, and resume after a killed worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphflow.data import Sentence, load_demo_corpus
from graphflow.distributed.ner import (
    DataParallelEpochs,
    TrainingInterruptedError,
    fit_data_parallel,
)
from graphflow.models.ner_artifacts import NERPredictor
from graphflow.models.ner_trainer import STATE_FILE, NERTrainer
from graphflow.models.window_ner import WindowNERConfig

from .conftest import needs_ray

pytestmark = needs_ray

TINY = {"embed_dim": 8, "casing_dim": 3, "suffix_dim": 3, "shape_dim": 2, "hidden": 16,
        "batch_size": 32, "epochs": 2, "learning_rate": 0.01,
        # what data-parallel training supports: softmax windows, a constant rate
        "output": "softmax", "lr_decay": 1.0, "char_cnn": False}


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Sentence], list[Sentence]]:
    return load_demo_corpus("train")[:80], load_demo_corpus("dev")[:20]


def quiet(_: str) -> None:
    pass


def test_two_workers_train_like_one_process(ray_local: Any, tmp_path: Path,
                                            corpus: tuple[list[Sentence], list[Sentence]]
                                            ) -> None:
    """No dropout, so the only difference is the split: equal losses per epoch (float
    tolerance), the same dev F1, and a model directory like a local run's."""
    train, dev = corpus
    cfg = {**TINY, "dropout": 0.0, "word_dropout": 0.0}
    local = NERTrainer(WindowNERConfig(**cfg), train).fit(dev, tmp_path / "local",
                                                          progress=False, log=quiet)
    trainer = NERTrainer(WindowNERConfig(**cfg), train)
    with DataParallelEpochs(trainer, 2) as runner:
        result = trainer.fit(dev, tmp_path / "dp", progress=False, log=quiet,
                             epoch_runner=runner)
        assert runner.parallel.in_sync()
    np.testing.assert_allclose([h.loss for h in result.history],
                               [h.loss for h in local.history], rtol=1e-4)
    assert [h.dev_f1 for h in result.history] == pytest.approx(
        [h.dev_f1 for h in local.history], abs=1e-6)
    predictor = NERPredictor.load(tmp_path / "dp")
    assert predictor.predict_tags([["Paris", "is", "nice"]])[0][1] in ("O", "B-LOC", "I-LOC",
                                                                     "B-PER", "I-PER",
                                                                     "B-ORG", "I-ORG",
                                                                     "B-MISC", "I-MISC")


def test_a_killed_worker_stops_the_run_and_resume_keeps_finished_epochs(
        ray_local: Any, tmp_path: Path, corpus: tuple[list[Sentence], list[Sentence]]
        ) -> None:
    train, dev = corpus
    config = WindowNERConfig(**TINY)  # 2 epochs
    trainer = NERTrainer(config, train)
    steps_per_epoch = -(-len(trainer.windows(trainer.train_sents)) // config.batch_size)
    kill_at = steps_per_epoch + 2  # two steps into epoch 2

    def kill(dp: Any, step: int) -> None:
        if step == kill_at:
            dp.variables()  # let the step's updates land, so the failure is at the next
            ray_local.kill(dp.workers[1])

    with pytest.raises(TrainingInterruptedError,
                       match=f"rank 1 of 2 died at step {kill_at} .*with --resume"):
        fit_data_parallel(trainer, dev, tmp_path, 2, progress=False, log=quiet, on_step=kill)
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["epoch"] == 1
    first = state["history"][0]

    again = NERTrainer(config, train)
    steps: list[int] = []
    result = fit_data_parallel(again, dev, tmp_path, 2, progress=False, log=quiet,
                               resume=True, on_step=lambda dp, step: steps.append(step))
    assert steps[0] == steps_per_epoch + 1 and steps[-1] == 2 * steps_per_epoch
    assert [h.epoch for h in result.history] == [1, 2]
    assert result.history[0].loss == first["loss"]
    assert (tmp_path / "model.pb").exists()
