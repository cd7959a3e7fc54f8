"""The rendering examples run and print the lecture's numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_computation_graph_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _load("computation_graph").main(["--out", str(tmp_path), "--format", "dot"]) == 0
    out = capsys.readouterr().out
    assert "a = 3, b = 2, f = 6" in out
    assert "df/dx = 2, df/dy = 5, df/dz = 0" in out
    assert "df/da = 2, df/db = 3" in out
    walk = (tmp_path / "walkthrough.dot").read_text(encoding="utf-8")
    assert "3 (sum 5)" in walk and "gradients" not in walk
    assert "n_gradients_f_grad_Mul" in (tmp_path / "walkthrough_with_gradient_nodes.dot"
                                        ).read_text(encoding="utf-8")


def test_window_classifier_example(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load("window_classifier_graph")
    monkeypatch.setattr(module.gf.viz, "find_dot", lambda: None)  # .dot output: fast
    assert module.main(["--out", str(tmp_path)]) == 0
    assert "J = " in capsys.readouterr().out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["window_classifier_values.dot", "window_ner_training.dot",
                     "window_ner_training_collapsed.dot"]
    training = (tmp_path / "window_ner_training.dot").read_text(encoding="utf-8")
    # each layer's gradients sit in a red box inside that layer's scope
    assert "_gradients {" in training and "dir=back" in training
    assert "s_gradients [" in (tmp_path / "window_ner_training_collapsed.dot"
                               ).read_text(encoding="utf-8")
