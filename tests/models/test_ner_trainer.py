"""NERTrainer with a moving average of the weights (``ema_decay``): the update after each
step, dev scored and the model exported with the averages, the trained values kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphflow.data import Sentence
from graphflow.models.ner_artifacts import NERPredictor
from graphflow.models.ner_trainer import NERTrainer
from tests.models.conftest import tiny_config


def test_one_step_updates_the_averages_with_the_capped_decay(
        demo_train: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(ema_decay=0.9, epochs=1), demo_train[:20])
    m = trainer.model
    assert m.ema is not None and m.train_op is not None
    assert m.train_op.type == "NoOp" and m.train_op.name == "ExponentialMovingAverage"
    keys = [k for k, v in m.variables.items() if v.trainable]
    before = trainer.session.run([m.variables[k] for k in keys])
    data = trainer.windows(trainer.train_sents)
    feed = next(trainer.training_batches(data, trainer.labels(data),
                                         np.random.default_rng(0)))
    trainer.session.run(m.train_op, feed)
    after = trainer.session.run([m.variables[k] for k in keys])
    decay = min(0.9, (1 + 1) / (10 + 1))  # num_updates: the global step after the step
    for key, b, a in zip(keys, before, after):
        shadow = trainer.session.run(trainer._shadow(key))
        np.testing.assert_allclose(shadow, b - (1 - decay) * (b - a), rtol=1e-5, atol=1e-7)
    assert any(not np.array_equal(b, a) for b, a in zip(before, after))


def test_averaged_swaps_the_averages_in_and_back(demo_train: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(ema_decay=0.5, epochs=1), demo_train[:20])
    data = trainer.windows(trainer.train_sents)
    trainer.train_epoch(data, trainer.labels(data), np.random.default_rng(0))
    w = trainer.model.variables["hidden/W"]
    trained = trainer.session.run(w)
    shadow = trainer.session.run(trainer._shadow("hidden/W"))
    assert not np.allclose(trained, shadow)
    with trainer.averaged():
        np.testing.assert_array_equal(trainer.session.run(w), shadow)
    np.testing.assert_array_equal(trainer.session.run(w), trained)
    plain = NERTrainer(tiny_config(epochs=1), demo_train[:20])
    assert plain.model.ema is None and plain._shadow("hidden/W") is None
    with plain.averaged():  # nothing to swap
        pass


def test_fit_exports_the_averaged_best_model(demo_train: list[Sentence],
                                             demo_dev: list[Sentence], tmp_path: Path) -> None:
    trainer = NERTrainer(tiny_config(ema_decay=0.8, epochs=2), demo_train)
    result = trainer.fit(demo_dev, tmp_path, progress=False, log=lambda _: None)
    # after fit the session holds the best epoch's averages: what dev scored and model.pb has
    assert trainer.evaluate(demo_dev).f1 == pytest.approx(result.best_dev_f1)
    data = trainer.windows(demo_dev, with_tags=False)
    got, _ = NERPredictor.load(tmp_path).probabilities(demo_dev)
    np.testing.assert_allclose(got, trainer.probabilities(data), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="--ema-decay 0"):
        trainer.fit(demo_dev, tmp_path, progress=False, epoch_runner=lambda *a: 0.0)


def test_ema_decay_is_checked() -> None:
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\), got 1.0"):
        tiny_config(ema_decay=1.0)
