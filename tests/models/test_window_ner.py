"""The window NER model end to end on slices of the demo corpus: training lowers the loss,
runs are deterministic, the exported artefact predicts exactly what the trainer does, resume,
the binary variant, and lazy Adam's row-only update."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.data import Sentence
from graphflow.models import window_ner
from graphflow.models.ner_artifacts import MODEL_FILE, NERPredictor
from graphflow.models.ner_decode import decode_all, entities, tokenize
from graphflow.models.ner_trainer import NERTrainer
from graphflow.models.window_ner import WindowNERConfig

from .conftest import Trained, tiny_config

QUIET = {"progress": False, "log": lambda _: None}


def _weights(trainer: NERTrainer) -> dict[str, np.ndarray]:
    return {k: trainer.session.run(v) for k, v in trainer.model.variables.items()}


# -- config and graph ---------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("activation", "sigmoid", "activation must be"),
    ("scheme", "iobes", "scheme must be"),
    ("optimizer", "adagrad", "optimizer must be one of"),
    ("dropout", 1.0, "dropout must be in"),
    ("word_dropout", -0.1, "word_dropout must be in"),
    ("decode", "beam", "decode must be"),
    ("window", -1, "window must be >= 0"),
    ("hidden", 0, "hidden must be >= 1"),
    ("suffix_dim", -2, "suffix_dim must be >= 0"),
])
def test_config_rejects_bad_values(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WindowNERConfig(**{field: value})


def test_config_round_trips_through_a_dict() -> None:
    cfg = tiny_config(suffix_dim=7, binary_class="LOC")
    assert WindowNERConfig.from_dict({**cfg.to_dict(), "unknown_key": 1}) == cfg


def test_graph_inputs_shapes_and_variables() -> None:
    cfg = tiny_config(window=1, suffix_dim=4, prefix_dim=0, shape_dim=2, doc_case_dim=0,
                      gazetteer_dim=0, output="softmax")
    sizes = {"words": 30, "casings": 5, "suffix": 11, "shape": 6}
    model = window_ner.build(cfg, sizes, num_classes=7)
    assert {n: t.op.name for n, t in model.inputs.items()} == {
        "words": "word_windows", "casings": "casing_windows", "suffix": "suffix_windows",
        "shape": "shape_windows"}
    shapes = {k: tuple(v.shape.as_list()) for k, v in model.variables.items()}
    width = 3 * (8 + 3 + 4 + 2)  # (2w+1) * (word + casing + suffix + shape dims)
    assert shapes == {"embeddings/words": (30, 8), "embeddings/casing": (5, 3),
                      "embeddings/suffix": (11, 4), "embeddings/shape": (6, 2),
                      "hidden/W": (width, 16), "hidden/b1": (16,), "output/U": (16, 7),
                      "output/b2": (7,)}
    rng = np.random.default_rng(0)
    feed = {t: rng.integers(0, 5, (4, 3)).astype(np.int32) for t in model.inputs.values()}
    with gf.Session(graph=model.graph) as sess:
        sess.run(gf.global_variables_initializer())
        probs, preds = sess.run([model.probabilities, model.predictions], feed)
    assert probs.shape == (4, 7) and preds.shape == (4,)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="lacks the active feature"):
        window_ner.build(cfg, {"words": 30, "casings": 5}, num_classes=7)


def test_frozen_word_embeddings_are_not_trained(demo_train: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(train_embeddings=False, epochs=1), demo_train[:30])
    before = _weights(trainer)
    data = trainer.windows(trainer.train_sents)
    trainer.train_epoch(data, trainer.labels(data), np.random.default_rng(0))
    after = _weights(trainer)
    np.testing.assert_array_equal(before["embeddings/words"], after["embeddings/words"])
    assert not np.array_equal(before["hidden/W"], after["hidden/W"])


# -- training -----------------------------------------------------------------------------
def test_tiny_training_lowers_the_loss_and_learns(trained: Trained,
                                                  demo_dev: list[Sentence]) -> None:
    losses = [h.loss for h in trained.result.history]
    assert len(losses) == 3
    assert losses[-1] < 0.8 * losses[0], losses
    first_batch_loss = np.log(len(trained.trainer.tags))  # uniform prediction
    assert losses[0] < first_batch_loss
    assert trained.result.best_dev_f1 == max(h.dev_f1 for h in trained.result.history)
    assert trained.trainer.evaluate(demo_dev).f1 == pytest.approx(trained.result.best_dev_f1)


def _run(train: list[Sentence], dev: list[Sentence], out: Path, **overrides: object
         ) -> tuple[list[float], dict[str, np.ndarray]]:
    trainer = NERTrainer(tiny_config(epochs=2, **overrides), train)
    result = trainer.fit(dev, out, **QUIET)
    trainer.saver.restore(trainer.session, out / "checkpoints" / "last.npz")
    return [h.loss for h in result.history], _weights(trainer)


@pytest.mark.parametrize("optimizer", ["adam", "lazy_adam"])
def test_training_is_deterministic_for_a_fixed_seed(tmp_path: Path, demo_train: list[Sentence],
                                                    demo_dev: list[Sentence],
                                                    optimizer: str) -> None:
    train, dev = demo_train[:40], demo_dev[:8]
    kw = {"optimizer": optimizer, "word_dropout": 0.3, "suffix_dim": 3}
    loss_a, w_a = _run(train, dev, tmp_path / "a", **kw)
    loss_b, w_b = _run(train, dev, tmp_path / "b", **kw)
    assert loss_a == loss_b
    for key in w_a:
        np.testing.assert_array_equal(w_a[key], w_b[key], err_msg=key)
    if optimizer == "lazy_adam":  # the check can fail: another seed gives other numbers
        loss_c, w_c = _run(train, dev, tmp_path / "c", seed=1, **kw)
        assert loss_c != loss_a and not np.array_equal(w_c["hidden/W"], w_a["hidden/W"])


# -- export ---------------------------------------------------------------------------------
def test_exported_directory_contents(trained: Trained) -> None:
    out = trained.out
    for name in ("model.pb", "train_graph.pb", "vocab.json", "features.json", "tags.json",
                 "config.json", "training_state.json", "checkpoints/best.index",
                 "checkpoints/last.index"):
        assert (out / name).exists(), name
    meta = json.loads((out / "config.json").read_text())
    assert meta["inputs"] == {"words": "word_windows:0", "casings": "casing_windows:0",
                              "suffix": "suffix_windows:0", "prefix": "prefix_windows:0",
                              "shape": "shape_windows:0", "doc_case": "doc_case_windows:0",
                              "gazetteer": "gazetteer_windows:0"}
    assert meta["best_epoch"] == trained.result.best_epoch


def test_frozen_graph_has_no_variables_or_training_ops(trained: Trained) -> None:
    graph_def = gf.io.read_graph(trained.out / MODEL_FILE)
    op_types = {node.op for node in graph_def.node}
    assert not op_types & {"VariableV2", "Variable", "VarHandleOp", "Assign", "AssignSub",
                           "ApplyAdam", "ScatterSub", "RandomUniform"}, op_types
    assert {"Placeholder", "Const", "MatMul", "Softmax"} <= op_types
    names = {node.name for node in graph_def.node}
    assert {"word_windows", "casing_windows", "suffix_windows", "probabilities",
            "predictions"} <= names
    assert not any(n.startswith(("gradients", "Adam", "loss")) for n in names)


def test_predictor_from_the_artefact_alone_equals_the_trainer(trained: Trained,
                                                               demo_dev: list[Sentence]) -> None:
    """A new Graph loaded from model.pb (no model-building code) gives the trainer's
    probabilities and tags for the best-dev variables."""
    trainer = trained.trainer  # its session holds the best-dev variables after fit
    sentences = demo_dev + [Sentence(["Zyxq", "visited", "Qwerty", "City"], ["O"] * 4)]
    data = trainer.windows(sentences, with_tags=False)
    want = trainer.probabilities(data)
    predictor = NERPredictor.load(trained.out)
    assert predictor.graph is not trainer.model.graph
    got, _ = predictor.probabilities(sentences)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    want_tags = decode_all(want, data.split, trainer.tags.tags, trainer.config,
                           trainer.transitions())
    if trainer.config.crf:  # the exported transition matrix is the trained one
        assert predictor.transitions is not None
        np.testing.assert_array_equal(predictor.transitions, trainer.transitions())
    docs = [s.doc for s in sentences]  # the document-casing feature sees the documents
    assert predictor.predict_tags([s.words for s in sentences], docs) == want_tags
    with pytest.raises(ValueError, match="docs has 1 ids for 2 sentences"):
        predictor.predict_tags([["a"], ["b"]], [0])


def test_predictor_predicts_entities_in_raw_text(trained: Trained) -> None:
    predictor = NERPredictor.load(trained.out)
    found = predictor.predict("Last night, Paris Hilton wowed in a sequin gown")
    assert all(e.type in ("PER", "ORG", "LOC", "MISC") for e in found)
    assert predictor.predict("") == []
    assert predictor.predict_tags([[]]) == [[]]


def test_sentences_predicted_together_are_one_document(trained: Trained) -> None:
    """``predict_document`` (what ``ner predict S1 S2`` runs): the document-casing feature
    sees every sentence, so the headline's HILTON learns that "Hilton" is capitalised."""
    predictor = NERPredictor.load(trained.out)
    texts = ["Paris Hilton wowed .", "PARIS HILTON WOWED AGAIN", ""]
    words = [tokenize(t) for t in texts]
    assert predictor.predict_document(texts) == [
        entities(w, t) for w, t in zip(words, predictor.predict_tags(words))]
    sents = [Sentence(w, ["O"] * len(w)) for w in words]
    one = predictor.features.windows(sents).inputs["doc_case"]
    apart = predictor.features.windows(
        [Sentence(s.words, s.tags, doc=i) for i, s in enumerate(sents)]).inputs["doc_case"]
    assert not np.array_equal(one, apart)
    np.testing.assert_array_equal(one[:4], apart[:4])  # sentence 1's context is the same


def test_predictor_load_names_the_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not an exported NER model directory.*model.pb"):
        NERPredictor.load(tmp_path)


# -- resume ---------------------------------------------------------------------------------
def test_resume_continues_at_the_next_epoch(tmp_path: Path, demo_train: list[Sentence],
                                            demo_dev: list[Sentence]) -> None:
    train, dev = demo_train[:50], demo_dev[:10]
    first = NERTrainer(tiny_config(epochs=2), train)
    first.fit(dev, tmp_path, **QUIET)
    last = gf.train.load_checkpoint(tmp_path / "checkpoints" / "last.npz")
    second = NERTrainer(tiny_config(epochs=3), train)
    logged: list[str] = []
    original_epoch = second.train_epoch
    seen: list[np.ndarray] = []

    def spy(*args: object, **kwargs: object) -> float:
        seen.append(second.session.run(second.model.variables["hidden/W"]))
        return original_epoch(*args, **kwargs)

    second.train_epoch = spy  # type: ignore[method-assign]
    result = second.fit(dev, tmp_path, resume=True, progress=False, log=logged.append)
    assert [h.epoch for h in result.history] == [1, 2, 3]
    assert len(logged) == 1 and logged[0].startswith("epoch 3:")
    assert len(seen) == 1  # only epoch 3 was trained, starting from the last checkpoint
    np.testing.assert_array_equal(seen[0], last["hidden/W"])
    state = json.loads((tmp_path / "training_state.json").read_text())
    assert state["epoch"] == 3


def test_resume_without_a_previous_run_fails_clearly(tmp_path: Path,
                                                     demo_train: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(epochs=1), demo_train[:10])
    with pytest.raises(FileNotFoundError, match="cannot resume"):
        trainer.fit([], tmp_path, resume=True, **QUIET)


# -- variants -------------------------------------------------------------------------------
def test_binary_location_variant_trains_and_evaluates(tmp_path: Path,
                                                      demo_train: list[Sentence],
                                                      demo_dev: list[Sentence]) -> None:
    """The lecture's s = u^T h, y = sigmoid(s): "is the centre word a location?"."""
    trainer = NERTrainer(tiny_config(binary_class="LOC", epochs=4, learning_rate=0.02),
                         demo_train)
    assert tuple(trainer.model.scores.shape.as_list()) == (None, 1)
    data = trainer.windows(trainer.train_sents)
    labels = trainer.labels(data)
    assert labels.dtype == np.float32 and set(np.unique(labels)) == {0.0, 1.0}
    result = trainer.fit(demo_dev, tmp_path, **QUIET)
    assert result.history[-1].loss < result.history[0].loss
    scores = trainer.evaluate(demo_dev)
    assert set(scores.per_type) <= {"LOC"} and scores.f1 > 0.3
    predictor = NERPredictor.load(tmp_path)
    tags = predictor.predict_tags([s.words for s in demo_dev])
    assert {t for sent in tags for t in sent} <= {"O", "B-LOC", "I-LOC"}


def test_io_scheme_predicts_entity_types(tmp_path: Path, demo_train: list[Sentence],
                                         demo_dev: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(scheme="io", epochs=2), demo_train[:60])
    assert trainer.tags.tags == ["O", "LOC", "MISC", "ORG", "PER"]
    trainer.fit(demo_dev[:10], tmp_path, **QUIET)
    tags = NERPredictor.load(tmp_path).predict_tags([s.words for s in demo_dev[:10]])
    assert {t.split("-")[0] for sent in tags for t in sent} <= {"O", "B", "I"}


def test_config_of_an_older_export_has_the_optional_features_off() -> None:
    old = {"window": 2, "embed_dim": 50, "hidden": 300, "optimizer": "adam"}
    cfg = WindowNERConfig.from_dict(old)
    assert (cfg.suffix_dim, cfg.prefix_dim, cfg.shape_dim, cfg.word_dropout) == (0, 0, 0, 0)
    assert (cfg.doc_case_dim, cfg.gazetteer_dim, cfg.doc_topic) == (0, 0, False)


# -- pretrained vectors ---------------------------------------------------------------------
def test_pretrained_vectors_initialise_the_word_embeddings(tmp_path: Path,
                                                           demo_train: list[Sentence]) -> None:
    """--embeddings: the vocabulary gains the file's words, rows start as the file's vectors
    and embed_dim follows the file."""
    glove = tmp_path / "vectors.txt"
    glove.write_text("paris 0.5 -1 0.25 2\nzanzibar 1 2 3 4\n")
    trainer = NERTrainer(tiny_config(epochs=1), demo_train[:20], embeddings_path=str(glove))
    assert trainer.config.embed_dim == 4
    E = trainer.session.run(trainer.model.variables["embeddings/words"])
    assert E.shape == (len(trainer.vocab), 4)
    np.testing.assert_array_equal(E[trainer.vocab.word_to_id("Zanzibar")], [1, 2, 3, 4])
    np.testing.assert_array_equal(E[trainer.vocab.word_to_id("Paris")], [0.5, -1, 0.25, 2])
    trainer.fit([], tmp_path / "model", **QUIET)
    predictor = NERPredictor.load(tmp_path / "model")
    assert predictor.vocab.word_to_id("zanzibar") == trainer.vocab.word_to_id("zanzibar") > 2
    assert json.loads((tmp_path / "model" / "config.json").read_text())["embeddings"] == str(glove)


def test_real_glove_subset_covers_the_demo_vocabulary(tmp_path: Path,
                                                      demo_train: list[Sentence]) -> None:
    from graphflow.data.paths import DATA_DIR_ENV, glove_50d_path

    path = glove_50d_path()
    if path is None or not path.exists():
        pytest.skip(f"GloVe subset not found: set ${DATA_DIR_ENV} or provide ../shared/data")
    trainer = NERTrainer(tiny_config(epochs=1), demo_train[:20], embeddings_path=str(path))
    assert trainer.config.embed_dim == 50 and trainer.coverage > 0.9
    first = path.open(encoding="utf-8").readline().split()  # "the 0.418 0.24968 ..."
    E = trainer.session.run(trainer.model.variables["embeddings/words"])
    np.testing.assert_allclose(E[trainer.vocab.word_to_id(first[0])],
                               np.array(first[1:], dtype=np.float32))
