"""The character-CNN word feature of the window NER model (``char_cnn``): character windows
from ``NERFeatures``, the model's conv1d / max-over-time subgraph, training that lowers the
loss, export + reload of the predictor, and ``graphflow ner train --char-cnn``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from graphflow.cli import main
from graphflow.data import Sentence, load_demo_corpus, write_conll
from graphflow.models.ner_artifacts import NERPredictor
from graphflow.models.ner_features import CHAR_INDEX, CHARS, FeatureVocab, batch_inputs
from graphflow.models.ner_trainer import NERTrainer
from tests.models.conftest import tiny_config

CHAR = {"char_cnn": True, "char_dim": 4, "char_filters": 5, "char_widths": (2, 3),
        "char_max_len": 6}


def test_char_windows_hold_each_tokens_characters(demo_train: list[Sentence]) -> None:
    config = tiny_config(window=1, **CHAR)
    trainer = NERTrainer(config, demo_train[:30])
    features = trainer.features
    sentences = demo_train[:2]
    data = features.windows(sentences)
    chars, index = data.inputs[CHARS], data.inputs[CHAR_INDEX]
    n0 = len(sentences[0].words)
    assert chars.shape == (len(data), 6) and chars.dtype == np.int32
    vocab = features.extra[CHARS]
    word = sentences[0].words[0]
    expected = [vocab.id(c) for c in word[:6]] + [FeatureVocab.PAD_ID] * (6 - len(word[:6]))
    assert chars[0].tolist() == expected
    assert index[0].tolist() == [-1, 0, 1]  # left of the sentence: padding
    assert index[n0 - 1].tolist() == [n0 - 2, n0 - 1, -1]  # windows never cross sentences
    assert index[n0].tolist() == [-1, n0, n0 + 1]
    assert features.sizes()[CHARS] == len(vocab)
    # a batch feeds each distinct token's characters once, and local window rows
    batch = batch_inputs(data.inputs, np.array([n0, 1]))
    tokens = sorted({0, 1, 2, n0, n0 + 1})
    np.testing.assert_array_equal(batch[CHARS][:5], chars[tokens])
    assert batch[CHARS].shape == (128, 6)  # padded to a multiple of 128 rows
    assert (batch[CHARS][5:] == FeatureVocab.PAD_ID).all()
    local = {t: i for i, t in enumerate(tokens)}
    pad = 128
    assert batch[CHAR_INDEX].tolist() == [[pad, local[n0], local[n0 + 1]],
                                          [local[0], local[1], local[2]]]
    assert batch["words"].tolist() == data.inputs["words"][[n0, 1]].tolist()
    # 130 windows: 256 rows (a multiple of 128 >= the windows), padding index 256
    more = features.windows(demo_train[:30])
    assert len(more) >= 130
    many = batch_inputs(more.inputs, np.arange(130))
    assert many[CHARS].shape == (256, 6) and many[CHAR_INDEX].max() == 256


def test_model_has_the_char_cnn_subgraph_and_trains(demo_train: list[Sentence],
                                                    demo_dev: list[Sentence],
                                                    tmp_path: Path) -> None:
    config = tiny_config(**CHAR, epochs=4)
    trainer = NERTrainer(config, demo_train)
    graph = trainer.model.graph
    types = {op.type for op in graph.get_operations()
             if op.name.startswith("embeddings/char_cnn/")}
    assert {"Conv2D", "ExpandDims", "Squeeze", "Max", "Relu"} <= types
    assert trainer.model.inputs[CHARS].shape.as_list() == [None, 6]
    assert trainer.model.inputs[CHAR_INDEX].shape.as_list() == [None, 5]
    x = graph.op_by_name("embeddings/x").outputs[0]
    lookup = (8 + 3 + config.suffix_dim + config.prefix_dim + config.shape_dim
              + config.doc_case_dim + config.gazetteer_dim)
    assert x.shape.as_list() == [None, 5 * (lookup + 5 * 2)]  # + 5 filters x 2 widths
    result = trainer.fit(demo_dev, tmp_path, progress=False, log=lambda _: None)
    losses = [e.loss for e in result.history]
    assert losses[-1] < losses[0]
    predictor = NERPredictor.load(tmp_path)
    tags = predictor.predict_tags([["Paris", "is", "in", "France", "."]])
    assert len(tags[0]) == 5
    # The exported graph takes token_chars + char_window_index: one row per token.
    probs, _ = predictor.probabilities([Sentence(["Paris", "is"], ["O", "O"])])
    assert probs.shape == (2, len(predictor.tags)) and np.isfinite(probs).all()


def test_cli_char_cnn_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "conll"
    data.mkdir()
    write_conll(data / "train.txt", load_demo_corpus("train")[:60])
    write_conll(data / "dev.txt", load_demo_corpus("dev")[:20])
    out = tmp_path / "model"
    assert main(["ner", "train", "--data", str(data), "--out", str(out), "--char-cnn",
                 "--char-filters", "4", "--char-dim", "3", "--epochs", "1", "--hidden", "8",
                 "--no-progress"]) == 0
    meta = json.loads((out / "config.json").read_text())
    assert meta["config"]["char_cnn"] is True and meta["config"]["char_filters"] == 4
    assert len(json.loads((out / "features.json").read_text())["features"]["chars"]) > 10
    assert "dev F1" in capsys.readouterr().out


def test_exported_char_cnn_graph_loads_in_tensorflow(demo_train: list[Sentence],
                                                     tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    trainer = NERTrainer(tiny_config(**CHAR, epochs=1), demo_train[:40])
    trainer.fit([], tmp_path, progress=False, log=lambda _: None)
    predictor = NERPredictor.load(tmp_path)
    sentences = [Sentence(["Paris", "Hilton", "visited", "Berlin", "."], ["O"] * 5)]
    want, data = predictor.probabilities(sentences)
    arrays = batch_inputs(data.inputs, slice(0, len(data)))
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString((tmp_path / "model.pb").read_bytes())
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            got = sess.run("output/scores:0", {name: arrays[k] for k, name
                                               in predictor.meta["inputs"].items()})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
