"""Sweep configs (no Ray needed) and ``graphflow ner sweep`` on a local Ray cluster, where one
failing trial leaves the finished ones and the best model in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphflow.cli import main
from graphflow.data import load_demo_corpus, write_conll
from graphflow.distributed.sweep import SweepSpec, load_spec
from graphflow.models.ner_artifacts import NERPredictor

from .conftest import needs_ray


def test_grid_is_every_combination_in_a_fixed_order() -> None:
    spec = SweepSpec(space={"hidden": [8, 16], "learning_rate": [0.1, 0.01, 0.001]})
    params = spec.trial_params()
    assert len(params) == 6
    assert params[0] == {"hidden": 8, "learning_rate": 0.1}
    assert params[-1] == {"hidden": 16, "learning_rate": 0.001}
    assert len({tuple(p.items()) for p in params}) == 6


def test_random_search_samples_lists_and_ranges_reproducibly() -> None:
    space = {"learning_rate": {"low": 1e-4, "high": 1e-1, "log": True},
             "hidden": {"low": 10, "high": 20}, "activation": ["tanh", "relu"]}
    a = SweepSpec(space=space, search="random", trials=20, seed=5).trial_params()
    b = SweepSpec(space=space, search="random", trials=20, seed=5).trial_params()
    assert a == b and len(a) == 20
    assert all(1e-4 <= p["learning_rate"] <= 1e-1 for p in a)
    assert all(isinstance(p["hidden"], int) and 10 <= p["hidden"] <= 20 for p in a)
    assert {p["activation"] for p in a} == {"tanh", "relu"}


@pytest.mark.parametrize("kwargs, message", [
    ({"space": {"hiden": [1]}}, r"unknown WindowNERConfig field\(s\) in \[space\]: \['hiden'\]"),
    ({"space": {"hidden": [1]}, "fixed": {"hidden": 2}}, "both in"),
    ({"space": {"hidden": {"low": 1, "high": 2}}}, "grid search needs a list"),
    ({"space": {"hidden": []}}, "non-empty list"),
    ({"space": {"hidden": [1]}, "search": "bayes"}, "'grid' or 'random'"),
    ({"space": {"hidden": [1]}, "search": "random"}, "trials >= 1"),
])
def test_bad_specs_fail_before_anything_runs(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SweepSpec(**kwargs)


def test_toml_and_json_configs_read_the_same(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text('search = "grid"\n[fixed]\nepochs = 1\n'
                                     '[space]\nhidden = [8, 16]\n')
    (tmp_path / "s.json").write_text(json.dumps({"search": "grid", "fixed": {"epochs": 1},
                                                 "space": {"hidden": [8, 16]}}))
    assert load_spec(tmp_path / "s.toml") == load_spec(tmp_path / "s.json")
    (tmp_path / "bad.toml").write_text('serch = "grid"\n')
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['serch'\]"):
        load_spec(tmp_path / "bad.toml")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_spec(tmp_path / "broken.json")


@needs_ray
def test_sweep_keeps_finished_trials_when_one_fails(ray_local: Any, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "conll"
    data.mkdir()
    write_conll(data / "train.txt", load_demo_corpus("train")[:60])
    write_conll(data / "dev.txt", load_demo_corpus("dev")[:20])
    config = tmp_path / "sweep.toml"
    config.write_text(
        'search = "grid"\ndata = "conll"\n'
        "[fixed]\nepochs = 1\nembed_dim = 6\ncasing_dim = 2\nsuffix_dim = 0\nprefix_dim = 0\n"
        "shape_dim = 0\nbatch_size = 32\nlearning_rate = 0.01\n"
        '[space]\nhidden = [8]\nactivation = ["tanh", "gelu", "relu"]\n')
    out = tmp_path / "out"
    assert main(["ner", "sweep", str(config), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())["trials"]
    assert [r["status"] for r in results] == ["ok", "failed", "ok"]
    assert "activation must be 'tanh' or 'relu', got 'gelu'" in results[1]["error"]
    assert "failed: ValueError: activation must be" in printed
    ok = [r for r in results if r["status"] == "ok"]
    best = max(ok, key=lambda r: r["best_dev_f1"])
    assert f"best: trial {best['trial']} (dev F1 {best['best_dev_f1']:.4f})" in printed
    assert (out / "trials" / "0" / "model.pb").exists()
    assert not (out / "trials" / "1").exists()
    exported = json.loads((out / "best" / "config.json").read_text())
    assert exported["config"]["activation"] == best["params"]["activation"]
    assert NERPredictor.load(out / "best").predict_tags([["Paris"]])[0][0] in \
        json.loads((out / "best" / "tags.json").read_text())["tags"] + ["O"]
    assert (out / "results.tsv").read_text().count("\n") == 4
