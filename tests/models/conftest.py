"""Shared fixtures for the window-NER model tests: tiny configs on slices of the bundled demo
corpus, so that a whole training run takes well under a second."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graphflow.data import Sentence, load_demo_corpus
from graphflow.models.ner_trainer import NERTrainer, TrainResult
from graphflow.models.window_ner import WindowNERConfig

TINY = {"embed_dim": 8, "casing_dim": 3, "hidden": 16, "batch_size": 32, "epochs": 3,
            "learning_rate": 0.01, "dropout": 0.2, "char_cnn": False,  # test_char_cnn: on
        "doc_topic": False}  # no pretrained vectors in these tests (test_ner_gazetteer: on)


def tiny_config(**overrides: Any) -> WindowNERConfig:
    """A small, fast configuration; ``overrides`` replace any field."""
    return WindowNERConfig(**{**TINY, **overrides})


@pytest.fixture(scope="session")
def demo_train() -> list[Sentence]:
    return load_demo_corpus("train")[:120]


@pytest.fixture(scope="session")
def demo_dev() -> list[Sentence]:
    return load_demo_corpus("dev")[:40]


@dataclass
class Trained:
    trainer: NERTrainer
    result: TrainResult
    out: Path


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, demo_train: list[Sentence],
            demo_dev: list[Sentence]) -> Trained:
    """One tiny model with every optional feature on, trained and exported once."""
    out = tmp_path_factory.mktemp("ner_model")
    config = tiny_config(suffix_dim=4, prefix_dim=3, shape_dim=3, word_dropout=0.2)
    trainer = NERTrainer(config, demo_train)
    result = trainer.fit(demo_dev, out, progress=False, log=lambda _: None)
    return Trained(trainer, result, out)
