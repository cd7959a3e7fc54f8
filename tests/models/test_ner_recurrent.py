"""The recurrent NER taggers (``--model rnn|gru|bilstm``) on slices of the demo corpus:
config checks, the graph (names, shapes, padding never changes a real token's output, the
loss is the mean cross-entropy of the real tokens), bucketed batches, training lowers the
loss, predictions are legal IOB2 tags of the right lengths, the exported directory predicts
exactly what the trainer does, resume, and the command line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.cli import main
from graphflow.data import Sentence, load_demo_corpus, write_conll
from graphflow.data.conll import split_tag
from graphflow.models import ner_recurrent
from graphflow.models.ner_artifacts import NERPredictor
from graphflow.models.ner_recurrent import RecurrentNERConfig
from graphflow.models.ner_recurrent_trainer import (
    RecurrentNERPredictor,
    RecurrentNERTrainer,
    TokenData,
    length_batches,
    load_predictor,
    pad_id,
)
from graphflow.models.ner_trainer import NERTrainer, steps_bucket

from .conftest import tiny_config

TINY = {"embed_dim": 8, "casing_dim": 3, "suffix_dim": 4, "prefix_dim": 3, "shape_dim": 3,
        "hidden": 12, "batch_size": 512, "epochs": 3, "learning_rate": 0.05, "dropout": 0.1}
QUIET = {"progress": False, "log": lambda _: None}
SIZES = {"words": 30, "casings": 5, "suffix": 11, "prefix": 9, "shape": 6}


def tiny(model: str, **overrides: object) -> RecurrentNERConfig:
    return RecurrentNERConfig(model=model, **{**TINY, **overrides})  # type: ignore[arg-type]


@dataclass
class Run:
    trainer: RecurrentNERTrainer
    history: list[float]
    out: Path


@pytest.fixture(scope="module", params=ner_recurrent.RECURRENT_MODELS)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        demo_train: list[Sentence], demo_dev: list[Sentence]) -> Run:
    """One tiny model of each kind, trained for three epochs and exported."""
    out = tmp_path_factory.mktemp(f"ner_{request.param}")
    trainer = RecurrentNERTrainer(tiny(request.param), demo_train[:80])
    result = trainer.fit(demo_dev[:20], out, **QUIET)  # type: ignore[arg-type]
    return Run(trainer, [h.loss for h in result.history], out)


# -- config and graph ---------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("model", "lstm", "model must be one of rnn, gru, bilstm"),
    ("model", "window", "the window classifier is graphflow.models.window_ner"),
    ("output", "crf", "per-token softmax output layer"),
    ("optimizer", "adagrad", "optimizer must be one of"),
    ("dropout", 1.0, "dropout must be in"),
    ("hidden", 0, "hidden must be >= 1"),
    ("clip_norm", -1.0, "clip_norm must be >= 0"),
    ("lr_decay", 0.0, "lr_decay must be in"),
])
def test_config_rejects_bad_values(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RecurrentNERConfig(**{field: value})  # type: ignore[arg-type]


def test_config_round_trips_through_a_dict() -> None:
    cfg = tiny("gru", shape_dim=0)
    assert RecurrentNERConfig.from_dict({**cfg.to_dict(), "unknown": 1}) == cfg
    assert cfg.window == 0 and not cfg.crf and cfg.binary_class is None


@pytest.mark.parametrize("model, cell_vars", [
    ("rnn", {"rnn/basic_rnn_cell/kernel": (8 + 3 + 4 + 3 + 3 + 12, 12),
             "rnn/basic_rnn_cell/bias": (12,)}),
    ("gru", {"rnn/gru_cell/gates/kernel": (21 + 12, 24), "rnn/gru_cell/gates/bias": (24,),
             "rnn/gru_cell/candidate/kernel": (21 + 12, 12),
             "rnn/gru_cell/candidate/bias": (12,)}),
    ("bilstm", {f"bidirectional_rnn/{d}/basic_lstm_cell/{v}": s
                for d in ("fw", "bw")
                for v, s in (("kernel", (21 + 12, 48)), ("bias", (48,)))}),
])
def test_graph_names_and_shapes(model: str, cell_vars: dict[str, tuple[int, ...]]) -> None:
    m = ner_recurrent.build(tiny(model), SIZES, num_classes=7, training=False)
    assert {n: t.op.name for n, t in m.inputs.items()} == {
        "words": "word_ids", "casings": "casing_ids", "suffix": "suffix_ids",
        "prefix": "prefix_ids", "shape": "shape_ids"}
    shapes = {v.op.name: tuple(v.shape.as_list()) for v in gf.global_variables(m.graph)}
    n_out = 24 if model == "bilstm" else 12
    assert shapes == {"embeddings/words": (30, 8), "embeddings/casing": (5, 3),
                      "embeddings/suffix": (11, 4), "embeddings/prefix": (9, 3),
                      "embeddings/shape": (6, 3), "output/U": (n_out, 7), "output/b": (7,),
                      **cell_vars}
    with pytest.raises(ValueError, match="lacks the active feature"):
        ner_recurrent.build(tiny(model), {"words": 30, "casings": 5}, num_classes=7)


def _random_feed(m: ner_recurrent.RecurrentNERGraph, rng: np.random.Generator, b: int,
                 t: int) -> dict[object, np.ndarray]:
    feed: dict[object, np.ndarray] = {
        tensor: rng.integers(0, 5, (b, t)).astype(np.int32) for tensor in m.inputs.values()}
    return feed


@pytest.mark.parametrize("model", ner_recurrent.RECURRENT_MODELS)
def test_padding_never_changes_a_real_tokens_output(model: str) -> None:
    """Each sentence alone (no padding) and inside a padded batch with random padding ids:
    the same probabilities at its real positions (the BiLSTM's backward pass starts at the
    sentence's last real token, not at the padding)."""
    m = ner_recurrent.build(tiny(model), SIZES, num_classes=7, training=False)
    rng = np.random.default_rng(1)
    lengths = np.array([5, 2, 7, 1], np.int32)
    feed = _random_feed(m, rng, 4, 7)
    with gf.Session(graph=m.graph) as sess:
        sess.run(gf.global_variables_initializer())
        batch = sess.run(m.probabilities, {**feed, m.lengths: lengths})
        assert batch.shape == (4, 7, 7)
        np.testing.assert_allclose(batch[0, :5].sum(axis=1), 1.0, rtol=1e-5)
        for i, n in enumerate(lengths):
            alone = {t: v[i:i + 1, :n] for t, v in feed.items()}
            single = sess.run(m.probabilities, {**alone, m.lengths: lengths[i:i + 1]})
            np.testing.assert_allclose(batch[i, :n], single[0], rtol=1e-5, atol=1e-6)
        repadded = {t: np.where(np.arange(7) < lengths[:, None], v, rng.integers(0, 5, v.shape))
                    .astype(np.int32) for t, v in feed.items()}
        again = sess.run(m.probabilities, {**repadded, m.lengths: lengths})
        mask = np.arange(7) < lengths[:, None]
        np.testing.assert_allclose(again[mask], batch[mask], rtol=1e-5, atol=1e-6)


def test_loss_is_the_mean_cross_entropy_of_the_real_tokens() -> None:
    m = ner_recurrent.build(tiny("gru", dropout=0.0), SIZES, num_classes=7)
    rng = np.random.default_rng(2)
    lengths = np.array([3, 6, 0], np.int32)
    feed = {**_random_feed(m, rng, 3, 6), m.lengths: lengths}
    labels = rng.integers(0, 7, (3, 6)).astype(np.int32)
    with gf.Session(graph=m.graph) as sess:
        sess.run(gf.global_variables_initializer())
        probs, loss = sess.run([m.probabilities, m.loss], {**feed, m.labels: labels})
        mask = np.arange(6) < lengths[:, None]
        picked = np.take_along_axis(probs, labels[..., None], axis=2)[..., 0]
        np.testing.assert_allclose(loss, -np.log(picked[mask]).mean(), rtol=1e-5)
        other = np.where(mask, labels, (labels + 3) % 7).astype(np.int32)  # padding tags
        assert sess.run(m.loss, {**feed, m.labels: other}) == pytest.approx(float(loss))


# -- data ---------------------------------------------------------------------------------
def test_length_batches_cover_every_sentence_once_within_the_budget() -> None:
    lengths = np.array([1, 7, 3, 30, 4, 9, 0, 12, 12, 5, 2, 40])
    for rng in (None, np.random.default_rng(0)):
        batches = length_batches(lengths, 32, rng)
        seen = np.concatenate([s[s >= 0] for s, _ in batches])
        assert sorted(seen.tolist()) == list(range(len(lengths)))
        for sents, steps in batches:
            real = sents[sents >= 0]
            assert (lengths[real] <= steps).all()
            assert len(sents) * steps <= 32 or len(sents) == 1
            assert all(steps == steps_bucket(int(n)) for n in lengths[real])  # the bucket


def test_token_batches_pad_with_unused_ids(demo_train: list[Sentence]) -> None:
    trainer = RecurrentNERTrainer(tiny("rnn", epochs=1), demo_train[:20])
    data = trainer.data(trainer.train_sents)
    sents = np.array([3, -1, 0])
    arrays, n, rows, mask = data.batch(sents, int(data.lengths[[0, 3]].max()) + 2)
    assert n.tolist() == [data.lengths[3], 0, data.lengths[0]]
    for name, ids in arrays.items():
        assert (ids[~mask] == pad_id(name)).all()
        assert (ids[mask] != pad_id(name)).all()  # real tokens never use the padding row
        np.testing.assert_array_equal(ids[2, :n[2]], data.tokens[name][:n[2]])
    with pytest.raises(ValueError, match="does not fit"):
        data.batch(np.array([3]), 1)


# -- training, prediction, export -----------------------------------------------------------
def test_training_lowers_the_loss(run: Run) -> None:
    assert len(run.history) == 3, run.history
    assert run.history[-1] < 0.85 * run.history[0]


def test_predictions_are_legal_iob2_tags_of_each_sentence(run: Run,
                                                          demo_dev: list[Sentence]) -> None:
    tagged = run.trainer.predict_tags(demo_dev)
    assert [len(t) for t in tagged] == [len(s.words) for s in demo_dev]
    known = set(run.trainer.tags.tags)
    for tags in tagged:
        assert set(tags) <= known
        for prev, tag in zip(["O", *tags], tags):  # viterbi decode: I-X only after B/I-X
            if tag.startswith("I-"):
                assert prev != "O" and split_tag(prev)[1] == split_tag(tag)[1]


def test_exported_model_predicts_what_the_trainer_does(run: Run,
                                                       demo_dev: list[Sentence]) -> None:
    predictor = load_predictor(run.out)
    assert isinstance(predictor, RecurrentNERPredictor)
    meta = json.loads((run.out / "config.json").read_text())
    assert meta["config"]["model"] == run.trainer.config.model
    assert meta["inputs"]["words"] == "word_ids:0" and meta["lengths"] == "sequence_lengths:0"
    probs, data = predictor.probabilities(demo_dev)
    expected = run.trainer.probabilities(run.trainer.data(demo_dev, with_tags=False))
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-6)
    assert probs.shape == (len(data), len(run.trainer.tags))
    words = [s.words for s in demo_dev]
    assert predictor.predict_tags(words) == run.trainer.predict_tags(demo_dev)
    frozen = gf.io.read_graph(run.out / "model.pb")
    ops = {n.op for n in frozen.node}
    assert "VariableV2" not in ops and {"Enter", "Exit", "NextIteration"} <= ops



def test_exported_graph_runs_in_tensorflow(run: Run, demo_dev: list[Sentence]) -> None:
    """model.pb (while loop, TensorArrays, ReverseSequence for the BiLSTM) imports into
    TensorFlow's tf.compat.v1 and gives graphflow's probabilities."""
    tf = pytest.importorskip("tensorflow")
    predictor = RecurrentNERPredictor.load(run.out)
    want, data = predictor.probabilities(demo_dev[:6])
    steps = int(data.lengths.max())
    arrays, n, rows, mask = data.batch(np.arange(6), steps + 2)
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString((run.out / "model.pb").read_bytes())
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            feed = {t: arrays[k] for k, t in predictor.meta["inputs"].items()}
            feed[predictor.meta["lengths"]] = n
            got = sess.run(predictor.meta["outputs"]["probabilities"], feed)
    assert got.shape == (6, steps + 2, len(predictor.tags))
    np.testing.assert_allclose(got[mask], want, rtol=1e-5, atol=1e-6)

def test_predict_raw_text_and_empty_input(run: Run) -> None:
    predictor = RecurrentNERPredictor.load(run.out)
    assert predictor.predict("") == []
    found = predictor.predict("Last night, Paris Hilton wowed in a sequin gown")
    assert all(e.type in ("PER", "ORG", "LOC", "MISC") for e in found)
    assert predictor.predict_tags([[], ["Paris"], []]) == [[], predictor.predict_tags(
        [["Paris"]])[0], []]


def test_load_predictor_keeps_window_models(tmp_path: Path, demo_train: list[Sentence],
                                            demo_dev: list[Sentence]) -> None:
    window = NERTrainer(tiny_config(epochs=1, output="softmax"), demo_train[:20])
    window.fit(demo_dev[:5], tmp_path, **QUIET)  # type: ignore[arg-type]
    assert type(load_predictor(tmp_path)) is NERPredictor
    with pytest.raises(FileNotFoundError, match="not an exported NER model directory"):
        load_predictor(tmp_path / "checkpoints")


def test_runs_are_deterministic_and_resume_continues(tmp_path: Path,
                                                     demo_train: list[Sentence],
                                                     demo_dev: list[Sentence]) -> None:
    first = RecurrentNERTrainer(tiny("rnn", epochs=2), demo_train[:60]).fit(
        demo_dev[:10], tmp_path / "a", **QUIET)  # type: ignore[arg-type]
    again = RecurrentNERTrainer(tiny("rnn", epochs=2), demo_train[:60]).fit(
        demo_dev[:10], tmp_path / "b", **QUIET)  # type: ignore[arg-type]
    assert [h.loss for h in first.history] == [h.loss for h in again.history]
    resumed = RecurrentNERTrainer(tiny("rnn", epochs=3), demo_train[:60]).fit(
        demo_dev[:10], tmp_path / "a", resume=True, **QUIET)  # type: ignore[arg-type]
    assert [h.epoch for h in resumed.history] == [1, 2, 3]
    assert resumed.history[:2] == first.history


def test_frozen_word_embeddings_are_not_trained(demo_train: list[Sentence]) -> None:
    trainer = RecurrentNERTrainer(tiny("rnn", train_embeddings=False), demo_train[:30])
    words = trainer.variable("embeddings/words")
    before = trainer.session.run(words)
    trainer.train_epoch(trainer.data(trainer.train_sents), np.random.default_rng(0))
    np.testing.assert_array_equal(trainer.session.run(words), before)
    assert not np.array_equal(trainer.session.run(trainer.variable("output/U")),
                              np.zeros(1))


def test_token_data_of_empty_sentences(demo_train: list[Sentence]) -> None:
    trainer = RecurrentNERTrainer(tiny("rnn", epochs=1), demo_train[:10])
    data = TokenData.build(trainer.features, [Sentence([], [])])
    assert len(data) == 0
    assert trainer.probabilities(data).shape == (0, len(trainer.tags))


# -- command line -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("conll_rnn")
    write_conll(d / "train.txt", load_demo_corpus("train")[:100])
    write_conll(d / "dev.txt", load_demo_corpus("dev")[:30])
    return d


def test_cli_trains_evaluates_and_predicts(tmp_path: Path, cli_data: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--model", "bilstm", "--data", str(cli_data), "--out",
                 str(tmp_path), "--epochs", "2", "--hidden", "8", "--batch-size", "512",
                 "--learning-rate", "0.05", "--shape-dim", "0", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "model bilstm (8 units per direction)" in out and "features words+casings+" \
        "suffix+prefix, output softmax" in out
    assert "epoch 2: loss" in out and f"model exported to {tmp_path}" in out
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta["config"]["model"] == "bilstm" and meta["config"]["shape_dim"] == 0
    assert main(["ner", "eval", str(tmp_path), "--data", str(cli_data / "dev.txt")]) == 0
    assert "F1 " in capsys.readouterr().out
    assert main(["ner", "predict", str(tmp_path), "Paris Hilton visited Berlin"]) == 0
    assert capsys.readouterr().out.startswith("Paris Hilton visited Berlin\n")


def test_cli_rejects_a_bad_model_value(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ner", "train", "--model", "lstm", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'lstm'" in err and "'rnn', 'gru', 'bilstm'" in err


@pytest.mark.parametrize("flags, named", [
    (["--window", "3"], "--window"),
    (["--char-cnn", "--activation", "relu"], "--activation, --char-cnn"),
    (["--output", "crf"], "output must be 'softmax'"),
])
def test_cli_refuses_window_only_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         flags: list[str], named: str) -> None:
    assert main(["ner", "train", "--model", "rnn", "--out", str(tmp_path), *flags]) == 1
    err = capsys.readouterr().err
    assert err.startswith("graphflow ner: error: ") and named in err
    assert not (tmp_path / "model.pb").exists()
