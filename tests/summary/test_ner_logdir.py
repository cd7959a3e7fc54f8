"""``NERTrainer.fit(logdir=...)`` (``graphflow ner train --logdir``): per-epoch loss,
learning rate, dev precision/recall/F1, the gradient-flow report per layer, weight and
update histograms, the training graph with shapes — in an event file TensorBoard reads."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphflow as gf
from graphflow.data import load_demo_corpus
from graphflow.models.ner_trainer import NERTrainer
from graphflow.models.window_ner import WindowNERConfig
from graphflow.proto import graph_pb2


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ner_tb")
    cfg = WindowNERConfig(epochs=2, hidden=16, batch_size=64, learning_rate=0.01,
                          lr_decay=0.85, activation="tanh")
    trainer = NERTrainer(cfg, load_demo_corpus("train")[:60])
    before = trainer.session.run(trainer.model.variables["hidden/W"])
    result = trainer.fit(load_demo_corpus("dev")[:20], out / "model", progress=False,
                         log=lambda line: None, logdir=out / "tb")
    (path,) = (out / "tb").iterdir()
    events = list(gf.summary.summary_iterator(path))
    return trainer, result, events, before, out / "tb"


def _scalars(events):
    found: dict[str, dict[int, float]] = {}
    for e in events:
        for v in e.summary.value:
            if v.WhichOneof("value") == "simple_value":
                found.setdefault(v.tag, {})[e.step] = v.simple_value
    return found


def test_curves_per_epoch(run):
    trainer, result, events, _, _ = run
    scalars = _scalars(events)
    history = {h.epoch: h for h in result.history}
    assert sorted(scalars["train/loss"]) == [1, 2]
    for epoch, h in history.items():
        assert scalars["train/loss"][epoch] == pytest.approx(h.loss, rel=1e-6)
        assert scalars["dev/f1"][epoch] == pytest.approx(h.dev_f1, rel=1e-6)
        # the rate of epoch e: learning_rate * lr_decay ** (e - 1)
        assert scalars["train/learning_rate"][epoch] == pytest.approx(
            0.01 * 0.85 ** (epoch - 1), rel=1e-6)
        p, r = scalars["dev/precision"][epoch], scalars["dev/recall"][epoch]
        if p + r:
            assert scalars["dev/f1"][epoch] == pytest.approx(2 * p * r / (p + r), rel=1e-5)


def test_gradient_flow_per_layer(run):
    scalars = _scalars(run[2])
    for layer in ("embeddings", "hidden", "output"):
        for stat in ("grad_norm", "grad_rms", "update_ratio", "weight_norm"):
            series = scalars[f"gradient_flow/{layer}/{stat}"]
            assert sorted(series) == [1, 2]
            assert all(math.isfinite(v) and v >= 0 for v in series.values())
    assert "gradient_flow/hidden/saturated" in scalars  # tanh hidden layer


def test_weight_and_update_histograms(run):
    trainer, _, events, before, _ = run
    last = {v.tag: v.histo for e in events if e.step == 2 for v in e.summary.value
            if v.WhichOneof("value") == "histo"}
    w_hist = last["weights/hidden/W"]
    # the best epoch is restored after training; epoch 2's histogram is of epoch-2 weights
    assert w_hist.num == before.size
    assert sum(w_hist.bucket) == before.size
    assert "updates/hidden/W" in last and last["updates/hidden/W"].num == before.size
    ratios = _scalars(events)["update_ratio/hidden/W"]
    assert all(v > 0 for v in ratios.values())


def test_training_graph_with_shapes_and_config(run):
    trainer, _, events, _, _ = run
    graphs = [e for e in events if e.WhichOneof("what") == "graph_def"]
    assert len(graphs) == 1
    graph_def = graph_pb2.GraphDef.FromString(graphs[0].graph_def)
    names = {n.name for n in graph_def.node}
    assert {"hidden/W", "output/U"} <= names
    assert all("_output_shapes" in n.attr for n in graph_def.node)
    text = [v for e in events for v in e.summary.value if v.tag == "config"]
    assert text and b'"hidden": 16' in text[0].tensor.string_val[0]


def test_tensorboard_reads_the_run(run):
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea.EventAccumulator(str(run[4]))
    acc.Reload()
    assert [s.step for s in acc.Scalars("dev/f1")] == [1, 2]
    assert "weights/hidden/W" in acc.Tags()["histograms"]
    assert acc.Tags()["graph"] is True
    np.testing.assert_allclose([s.value for s in acc.Scalars("train/loss")],
                               [h.loss for h in run[1].history], rtol=1e-6)


def test_logdir_with_data_parallel_workers_is_refused(tmp_path, capsys):
    from graphflow.cli import main

    assert main(["ner", "train", "--out", str(tmp_path / "m"), "--epochs", "1", "--workers",
                 "2", "--logdir", str(tmp_path / "tb")]) == 1
    assert "--logdir is not supported with --workers" in capsys.readouterr().err
    assert not (tmp_path / "tb").exists()
