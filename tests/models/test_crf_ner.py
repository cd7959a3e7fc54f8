"""The window model's CRF output layer (the default), the sentence batches it trains on,
its decoding, the learning-rate schedule and ``--preset lecture``: graph and loss vs numpy,
batches that cover every sentence once in a few fixed shapes, the exported graph (TensorFlow
ops only; loaded in TensorFlow when it is installed), constrained decoding."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.data import Sentence
from graphflow.models import window_ner
from graphflow.models.ner_artifacts import MODEL_FILE, NERPredictor
from graphflow.models.ner_decode import CrfDecoder, allowed_transitions
from graphflow.models.ner_trainer import NERTrainer, steps_bucket
from graphflow.models.window_ner import WindowNERConfig
from graphflow.ops import crf_ops

from .conftest import Trained, tiny_config

QUIET = {"progress": False, "log": lambda _: None}
TAGS = ["O", "B-LOC", "B-PER", "I-LOC", "I-PER"]


def test_crf_is_the_default_and_old_exports_stay_softmax() -> None:
    assert WindowNERConfig().output == "crf" and WindowNERConfig().crf
    assert not tiny_config(binary_class="LOC").crf  # the binary variant keeps its sigmoid
    old = {k: v for k, v in WindowNERConfig().to_dict().items()
           if k not in ("output", "lr_decay", "char_cnn")}
    restored = WindowNERConfig.from_dict(old)
    assert (restored.output, restored.lr_decay, restored.char_cnn) == ("softmax", 1.0, False)
    with pytest.raises(ValueError, match="output must be one of crf, softmax"):
        WindowNERConfig(output="hmm")
    with pytest.raises(ValueError, match="model must be one of window"):
        WindowNERConfig(model="bilstm")
    with pytest.raises(ValueError, match=r"lr_decay must be in \(0, 1\]"):
        WindowNERConfig(lr_decay=0.0)


def test_lecture_preset_is_words_casing_tanh_softmax() -> None:
    cfg = WindowNERConfig.preset("lecture")
    assert (cfg.suffix_dim, cfg.prefix_dim, cfg.shape_dim, cfg.doc_case_dim) == (0, 0, 0, 0)
    assert (cfg.epochs, cfg.ema_decay) == (12, 0.0)
    assert (cfg.activation, cfg.output, cfg.decode, cfg.char_cnn, cfg.lr_decay, cfg.dropout) == (
        "tanh", "softmax", "greedy", False, 1.0, 0.5)
    default = WindowNERConfig()
    assert (default.activation, default.lr_decay, default.char_cnn) == ("relu", 0.78, True)
    assert (default.epochs, default.doc_case_dim, default.ema_decay) == (8, 5, 0.0)
    assert (default.char_filters, default.char_dim) == (20, 10)
    assert WindowNERConfig.preset("lecture", hidden=7).hidden == 7
    with pytest.raises(ValueError, match="unknown preset 'x'; known: lecture"):
        WindowNERConfig.preset("x")


def test_crf_graph_loss_is_the_mean_negative_log_likelihood() -> None:
    cfg = tiny_config(window=1, suffix_dim=0, prefix_dim=0, shape_dim=0, doc_case_dim=0,
                      gazetteer_dim=0)
    model = window_ner.build(cfg, {"words": 20, "casings": 5}, num_classes=4)
    assert model.variables["crf/transitions"].shape.as_list() == [4, 4]
    assert model.lengths is not None and model.lengths.op.name == "sequence_lengths"
    assert model.labels is not None and model.labels.op.name == "tag_sequences"
    rng = np.random.default_rng(1)
    lengths = np.array([3, 1, 0], np.int32)
    feed = {t: rng.integers(0, 5, (3 * 3, 3)).astype(np.int32) for t in model.inputs.values()}
    tags = rng.integers(0, 4, (3, 3)).astype(np.int32)
    feed.update({model.lengths: lengths, model.labels: tags})
    with gf.Session(graph=model.graph) as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(model.variables["crf/transitions"].assign(
            rng.normal(size=(4, 4)).astype(np.float32)))
        scores, trans, loss = sess.run([model.scores, model.transitions, model.loss], feed)
    unary = scores.reshape(3, 3, 4).astype(np.float64)
    _, log_z = crf_ops.forward_alphas(unary, trans.astype(np.float64), lengths)
    ll = crf_ops.gold_scores(unary, tags, trans.astype(np.float64), lengths) - log_z
    np.testing.assert_allclose(loss, -ll.sum() / lengths.sum(), rtol=1e-5)
    grads = [op.type for op in model.graph.get_operations()]
    assert "CrfLogLikelihood" in grads and "CrfLogLikelihoodGrad" in grads


def test_steps_buckets_are_few_and_cover_every_length() -> None:
    buckets = {steps_bucket(n) for n in range(1, 200)}
    assert all(steps_bucket(n) >= n for n in range(1, 200))
    assert all(steps_bucket(n) < 1.3 * n + 4 for n in range(1, 200))
    assert len(buckets) <= 24
    assert [steps_bucket(n) for n in (1, 2, 3, 4, 5, 33, 65, 129)] == [1, 2, 3, 4, 8, 40, 80,
                                                                       160]


def test_sentence_batches_cover_each_sentence_once_in_fixed_shapes(
        demo_train: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(batch_size=48), demo_train[:60])
    data = trainer.windows(trainer.train_sents)
    batches = trainer.sentence_batches(data.lengths, np.random.default_rng(0))
    seen = np.concatenate([s[s >= 0] for s, _ in batches])
    assert sorted(seen.tolist()) == list(range(len(data.lengths)))
    shapes = {}
    for sents, steps in batches:
        assert all(data.lengths[i] <= steps for i in sents[sents >= 0])
        assert len(sents) * steps <= 48 or len(sents) == 1
        assert shapes.setdefault(steps, len(sents)) == len(sents)  # one B per bucket
    again = trainer.sentence_batches(data.lengths, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(batches, again))
    # the feeds: windows of the real tokens, gold tags, lengths; padding masked out
    feed = next(trainer.training_batches(data, trainer.labels(data), np.random.default_rng(0)))
    m = trainer.model
    n, tags = feed[m.lengths], feed[m.labels]
    assert feed[m.words].shape == (tags.size, 5) and tags.shape == (len(n), tags.shape[1])
    assert NERTrainer.batch_tokens(m, feed) == int(n.sum())


def test_crf_training_learns_transitions_and_lowers_the_loss(trained: Trained) -> None:
    """The shared ``trained`` fixture uses the defaults, so a CRF."""
    assert trained.trainer.config.crf
    history = trained.result.history
    assert history[-1].loss < history[0].loss
    trans = trained.trainer.transitions()
    assert trans is not None and np.abs(trans).max() > 1e-3  # moved from its zero start
    tags = trained.trainer.tags.tags
    o, i_per = tags.index("O"), tags.index("I-PER")
    assert trans[o, i_per] < trans[tags.index("B-PER"), i_per]  # O -> I-PER is unlikely


def test_exported_crf_graph_holds_tensorflow_ops_only(trained: Trained) -> None:
    graph_def = gf.io.read_graph(trained.out / MODEL_FILE)
    op_types = {node.op for node in graph_def.node}
    assert not {t for t in op_types if t.startswith("Crf")}, op_types
    names = {node.name for node in graph_def.node}
    assert {"output/scores", "transition_params", "probabilities"} <= names
    meta = json.loads((trained.out / "config.json").read_text())
    assert meta["outputs"]["transitions"] == "transition_params:0"
    assert meta["outputs"]["scores"] == "output/scores:0"


def test_exported_crf_graph_loads_in_tensorflow(trained: Trained) -> None:
    tf = pytest.importorskip("tensorflow")
    predictor = NERPredictor.load(trained.out)
    sentences = [Sentence(["Paris", "Hilton", "visited", "Berlin"], ["O"] * 4)]
    want, data = predictor.probabilities(sentences)
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString((trained.out / MODEL_FILE).read_bytes())
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            feed = {f"{v}": data.inputs[k] for k, v in predictor.meta["inputs"].items()}
            scores, trans = sess.run(["output/scores:0", "transition_params:0"], feed)
    np.testing.assert_allclose(scores, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(trans, predictor.transitions)


def test_crf_decoder_equals_brute_force_and_respects_iob() -> None:
    rng = np.random.default_rng(4)
    trans = rng.normal(size=(5, 5)).astype(np.float32)
    free = CrfDecoder(trans, TAGS, constrained=False)
    legal = CrfDecoder(trans, TAGS, constrained=True, chunk=3)
    start_ok, trans_ok = allowed_transitions(TAGS)
    sents = [rng.normal(size=(n, 5)).astype(np.float32) * 3 for n in (4, 1, 3, 0, 2, 4, 3)]
    got_free, got_legal = free.decode(sents), legal.decode(sents)
    for s, a, b in zip(sents, got_free, got_legal):
        paths = list(itertools.product(range(5), repeat=len(s)))

        def score(p: tuple[int, ...], s: np.ndarray = s) -> float:
            return float(sum(s[i, t] for i, t in enumerate(p))
                         + sum(trans[x, y] for x, y in itertools.pairwise(p)))
        ok = [p for p in paths if not p or (start_ok[p[0]] and all(
            trans_ok[x, y] for x, y in itertools.pairwise(p)))]
        assert tuple(a) == max(paths, key=score)
        assert tuple(b) == max(ok, key=score)
    with pytest.raises(ValueError, match=r"transitions must be \(5, 5\)"):
        CrfDecoder(np.zeros((4, 4)), TAGS)


def test_learning_rate_schedule_is_fed_per_epoch(tmp_path: Path,
                                                 demo_train: list[Sentence]) -> None:
    trainer = NERTrainer(tiny_config(epochs=3, lr_decay=0.5), demo_train[:20])
    trainer.fit([], tmp_path, **QUIET)
    assert trainer.learning_rate == pytest.approx(0.01 * 0.25)  # epoch 3
    data = trainer.windows(trainer.train_sents)
    feed = next(trainer.training_batches(data, trainer.labels(data), np.random.default_rng(0)))
    assert feed[trainer.model.learning_rate] == np.float32(0.0025)
    constant = NERTrainer(tiny_config(epochs=1, lr_decay=1.0), demo_train[:20])
    feed = next(constant.training_batches(data, constant.labels(data),
                                          np.random.default_rng(0)))
    assert constant.model.learning_rate not in feed  # its default: config.learning_rate
