"""``graphflow ner train --workers 2`` end to end (a local Ray cluster, shared by the package's
tests); killing a worker and ``--resume`` are in test_ner.py (the same code path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphflow.cli import main
from graphflow.data import load_demo_corpus, write_conll

from .conftest import needs_ray

pytestmark = needs_ray

FAST = ["--epochs", "2", "--hidden", "12", "--batch-size", "32", "--learning-rate", "0.01",
        "--suffix-dim", "0", "--prefix-dim", "0", "--shape-dim", "0", "--no-progress",
        "--output", "softmax", "--lr-decay", "1", "--no-char-cnn"]  # what --workers trains


def test_train_on_two_workers(
        ray_local: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "conll"
    data.mkdir()
    write_conll(data / "train.txt", load_demo_corpus("train")[:60])
    write_conll(data / "dev.txt", load_demo_corpus("dev")[:20])
    out = tmp_path / "model"
    assert main(["ner", "train", "--data", str(data), "--out", str(out), *FAST,
                 "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "data-parallel: 2 workers" in printed and f"model exported to {out}" in printed
    state = json.loads((out / "training_state.json").read_text())
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    assert (out / "model.pb").exists()


def test_too_many_workers_is_a_clear_cli_error(ray_local: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--out", str(tmp_path), *FAST, "--workers", "5"]) == 1
    assert "has 2 CPUs but 5 workers need 5" in capsys.readouterr().err
