"""The gazetteer feature (the training split's entities) and the document-topic input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from graphflow.data import Sentence, Vocabulary
from graphflow.models import ner_gazetteer as gz
from graphflow.models.ner_artifacts import MODEL_FILE, NERPredictor
from graphflow.models.ner_features import (
    DOC_TOPIC,
    GAZETTEER,
    TOPIC_FILE,
    NERFeatures,
    batch_inputs,
    document_topics,
)
from graphflow.models.ner_gazetteer import Gazetteer, document_units, entity_spans
from graphflow.models.ner_trainer import NERTrainer
from graphflow.models.window_ner import WindowNERConfig

from .conftest import tiny_config

PER, ORG, LOC = (gz.ENTITY_TYPES.index(t) for t in ("PER", "ORG", "LOC"))


def first(kind: int, weak: bool = False) -> int:
    return 1 + 4 * kind + 2 * weak


def _sent(doc: int | None, *pairs: str) -> Sentence:
    words = [p.split("/")[0] for p in pairs]
    tags = [p.split("/")[1] if "/" in p else "O" for p in pairs]
    return Sentence(words, tags, doc=doc)


TRAIN = [
    _sent(0, "New/B-LOC", "York/I-LOC", "is/O", "big/O"),
    _sent(0, "May/B-PER", "said/O", "so/O"),
    _sent(1, "New/B-ORG", "York/I-ORG", "Yankees/I-ORG", "won/O", "in/O", "New/B-LOC",
          "York/I-LOC"),
    _sent(1, "In/O", "May/O", "and/O", "May/O"),
    _sent(2, "Smith/B-PER", "met/O", "New/B-LOC", "York/I-LOC", "people/O"),
]


def test_entity_spans_of_iob2_tags() -> None:
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-ORG", "O"]
    assert entity_spans(tags) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 5, "LOC"),
                                  (5, 6, "ORG")]
    assert entity_spans([]) == [] and entity_spans(["O"]) == []


def test_ids_longest_match_type_weak_and_inside() -> None:
    g = Gazetteer.build(TRAIN)
    assert len(g) == 4  # New York, May, New York Yankees, Smith
    # "New York Yankees" (ORG) wins over "New York" (LOC, 3 of 3) by length; then "New
    # York" alone is LOC; "May" was an entity at 1 of its 3 occurrences: weak.
    got = g.sentence_ids(["New", "York", "Yankees", "beat", "New", "York", "in", "May"])
    assert got == [first(ORG), first(ORG) + 1, first(ORG) + 1, gz.NONE,
                   first(LOC), first(LOC) + 1, gz.NONE, first(PER, weak=True)]
    assert g.sentence_ids(["new", "york"]) == [gz.NONE, gz.NONE]  # case is kept
    assert g.sentence_ids([]) == []


def test_the_most_frequent_type_wins_ties_go_to_the_earlier_type() -> None:
    g = Gazetteer.build([_sent(0, "Jordan/B-LOC"), _sent(1, "Jordan/B-PER"),
                         _sent(2, "Jordan/B-LOC"), _sent(3, "Ford/B-ORG"),
                         _sent(4, "Ford/B-PER")])
    assert g.sentence_ids(["Jordan", "Ford"]) == [first(LOC), first(PER)]


def test_training_sentences_leave_their_own_document_out() -> None:
    g = Gazetteer.build(TRAIN)
    ids = g.ids(TRAIN, leave_out=True)
    split = np.split(ids, np.cumsum([len(s.words) for s in TRAIN])[:-1])
    # doc 0's "May" is the only tagged one: without doc 0 it is not listed
    assert split[1].tolist() == [gz.NONE] * 3
    # doc 1's "New York Yankees" is only in doc 1; "New York" stays (docs 0 and 2)
    assert split[2].tolist() == [first(LOC), first(LOC) + 1, gz.NONE, gz.NONE, gz.NONE,
                                 first(LOC), first(LOC) + 1]
    # doc 1 without itself: "May" tagged once (doc 0) of once seen there -> strong PER
    assert split[3].tolist() == [gz.NONE, first(PER), gz.NONE, first(PER)]
    # nothing left out: "May" weak everywhere
    assert g.ids(TRAIN[3:4]).tolist() == [gz.NONE, first(PER, True), gz.NONE,
                                          first(PER, True)]


def test_a_single_document_leaves_each_sentence_out() -> None:
    one_doc = [_sent(0, "Paris/B-LOC", "now/O"), _sent(0, "Paris/B-LOC"),
               _sent(0, "Oslo/B-LOC")]
    assert document_units(one_doc) == [("sentence", 0), ("sentence", 1), ("sentence", 2)]
    assert document_units(TRAIN) == [0, 0, 1, 1, 2]
    g = Gazetteer.build(one_doc)
    assert g.ids(one_doc, leave_out=True).tolist() == [first(LOC), gz.NONE, first(LOC),
                                                       gz.NONE]
    assert g.ids(one_doc).tolist() == [first(LOC), gz.NONE, first(LOC), first(LOC)]


def test_json_round_trip_keeps_the_totals() -> None:
    g = Gazetteer.build(TRAIN)
    rows = g.to_json()
    assert rows[0] == [["May"], [1, 0, 0, 0], 3]
    loaded = Gazetteer.from_json(json.loads(json.dumps(rows)))
    assert loaded == g
    test = [_sent(None, "New", "York", "Yankees", "and", "May", "Smith")]
    np.testing.assert_array_equal(loaded.ids(test), g.ids(test))
    with pytest.raises(ValueError, match="gazetteer entry 0 is malformed"):
        Gazetteer.from_json([[["May"], [1, 0], 3]])


def test_iob1_and_io_tags_give_the_same_gazetteer() -> None:
    io = [Sentence(["New", "York", "won"], ["LOC", "LOC", "O"], doc=0)]
    iob2 = [Sentence(["New", "York", "won"], ["B-LOC", "I-LOC", "O"], doc=0)]
    assert Gazetteer.build(io) == Gazetteer.build(iob2)


def test_document_topics_are_the_unit_mean_of_unit_vectors() -> None:
    vocab = Vocabulary(["paris", "berlin", "the", "won"])  # ids 3, 4, 5, 6
    vectors = np.zeros((len(vocab), 2), np.float32)
    vectors[3], vectors[4], vectors[6] = [3, 0], [0, 2], [1, 1]
    sents = [Sentence(["Paris", "won", "2-1"], ["O"] * 3, doc=0),
             Sentence(["Berlin"], ["O"], doc=0),
             Sentence(["the", "!"], ["O"] * 2, doc=1)]
    got = document_topics(sents, vocab, vectors, skip_words=4)  # leaves out "paris" (3)
    mean = (np.array([0, 1]) + np.array([1, 1]) / np.sqrt(2)) / 2  # won, berlin
    want0 = mean / np.linalg.norm(mean)
    np.testing.assert_allclose(got[:4], np.tile(want0, (4, 1)), rtol=1e-6)
    np.testing.assert_array_equal(got[4:], 0.0)  # doc 1: "the" has a zero vector
    assert got.dtype == np.float32 and got.shape == (6, 2)
    with_paris = document_topics(sents[:1], vocab, vectors, skip_words=3)
    both = np.array([1, 0]) + np.array([1, 1]) / np.sqrt(2)
    np.testing.assert_allclose(with_paris[0], both / np.linalg.norm(both), rtol=1e-6)


def test_features_need_the_topic_vectors_of_their_vocabulary() -> None:
    vocab = Vocabulary.build(TRAIN)
    config = WindowNERConfig(gazetteer_dim=0)
    with pytest.raises(ValueError, match="no word vectors were given"):
        NERFeatures.build(config, vocab, TRAIN)
    with pytest.raises(ValueError, match=r"do not match the vocabulary of \d+ words"):
        NERFeatures.build(config, vocab, TRAIN, np.zeros((3, 4), np.float32))
    feats = NERFeatures.build(config, vocab, TRAIN, np.ones((len(vocab), 4), np.float32))
    assert feats.topic_dim == 4 and feats.sizes()[DOC_TOPIC] == 4
    assert GAZETTEER not in feats.names and feats.gazetteer is None
    with pytest.raises(ValueError, match=r"no gazetteer was given.*--gazetteer-dim 0"):
        NERFeatures(WindowNERConfig(doc_topic=False), vocab, NERFeatures.build(
            WindowNERConfig(doc_topic=False), vocab, TRAIN).extra)


def _glove(path: Path, words: list[str], dim: int = 8) -> Path:
    rng = np.random.default_rng(3)
    path.write_text("".join(f"{w} " + " ".join(f"{x:.4f}" for x in rng.normal(size=dim))
                            + "\n" for w in words))
    return path


def _train_with_topic(tmp_path: Path, demo_train: list[Sentence],
                      demo_dev: list[Sentence]) -> NERTrainer:
    words = sorted({w.lower() for s in demo_train for w in s.words})
    glove = _glove(tmp_path / "vectors.txt", words)
    trainer = NERTrainer(tiny_config(doc_topic=True, epochs=2), demo_train,
                         embeddings_path=str(glove))
    trainer.fit(demo_dev, tmp_path / "model", progress=False, log=lambda _: None)
    return trainer


def test_trained_model_with_gazetteer_and_topic_exports_and_predicts(
        tmp_path: Path, demo_train: list[Sentence], demo_dev: list[Sentence]) -> None:
    trainer = _train_with_topic(tmp_path, demo_train, demo_dev)
    out = tmp_path / "model"
    inputs = trainer.model.inputs
    assert inputs[DOC_TOPIC].shape.as_list() == [None, 8]
    assert inputs[GAZETTEER].op.name == "gazetteer_windows"
    meta = json.loads((out / "config.json").read_text())
    assert meta["config"]["doc_topic"] is True and meta["config"]["gazetteer_dim"] == 5
    assert meta["inputs"][DOC_TOPIC] == "doc_topic:0"
    assert (out / TOPIC_FILE).exists()
    assert len(json.loads((out / "features.json").read_text())["gazetteer"]) == len(
        trainer.features.gazetteer)
    predictor = NERPredictor.load(out)
    np.testing.assert_array_equal(predictor.features.topic_vectors,
                                  trainer.features.topic_vectors)
    data = trainer.windows(demo_dev, with_tags=False)
    want = trainer.probabilities(data)
    got, _ = predictor.probabilities(demo_dev)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    (out / TOPIC_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="has no topic_vectors.npy"):
        NERPredictor.load(out)


def test_without_pretrained_vectors_the_topic_is_off(demo_train: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(doc_topic=True, epochs=1), demo_train[:20])
    assert trainer.config.doc_topic is False
    assert DOC_TOPIC not in trainer.model.inputs and trainer.features.topic_vectors is None


def test_gazetteer_embedding_is_trained(demo_train: list[Sentence], tmp_path: Path) -> None:
    trainer = NERTrainer(tiny_config(epochs=1), demo_train)
    var = trainer.model.variables["embeddings/gazetteer"]
    assert var.shape.as_list() == [gz.NUM_IDS, 5]
    before = trainer.session.run(var)
    trainer.fit([], tmp_path, progress=False, log=lambda _: None)
    after = trainer.session.run(var)
    hits = np.unique(trainer.windows(trainer.train_sents, leave_doc_out=True)
                     .inputs[GAZETTEER])
    assert (np.abs(after - before).sum(axis=1)[hits] > 0).all()


def test_exported_topic_model_loads_in_tensorflow(tmp_path: Path, demo_train: list[Sentence],
                                                  demo_dev: list[Sentence]) -> None:
    tf = pytest.importorskip("tensorflow")
    _train_with_topic(tmp_path, demo_train, demo_dev)
    predictor = NERPredictor.load(tmp_path / "model")
    want, data = predictor.probabilities(demo_dev[:5])
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString((tmp_path / "model" / MODEL_FILE).read_bytes())
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            arrays = batch_inputs(data.inputs, slice(None))
            feed = {v: arrays[k] for k, v in predictor.meta["inputs"].items()}
            scores = sess.run(predictor.meta["outputs"]["scores"], feed)
    np.testing.assert_allclose(scores, want, rtol=1e-5, atol=1e-5)
