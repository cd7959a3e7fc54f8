"""The exported model directory and the predictor that needs nothing but it.

``export`` writes into MODEL_DIR:
  * ``model.pb``  — the frozen inference graph (variables folded into constants) with inputs
    ``word_windows:0``/``casing_windows:0`` (plus ``suffix_windows:0`` etc. for the optional
    features) and outputs ``probabilities:0``/``predictions:0`` (per-token softmax and argmax);
    a CRF model adds ``output/scores:0`` (the emission scores) and ``transition_params:0``
    (the learned transition matrix, a constant): TensorFlow ops only, so the file loads in
    TensorFlow; the Viterbi decode runs outside the frozen graph (``ner_decode.CrfDecoder``,
    graphflow's ``CrfDecode`` op);
  * ``train_graph.pb`` — the training graph (forward, gradient subgraph, optimizer updates)
    for rendering and inspection;
  * ``vocab.json``, ``features.json`` (affix/shape vocabularies), ``tags.json``,
    ``config.json`` (hyper-parameters, tensor names, scores);
  * ``checkpoints/`` — variable values (``best``, ``last``) that training can resume from.
``NERPredictor.load(MODEL_DIR)`` imports ``model.pb`` — no model-building code runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.data import Sentence, TagSet
from graphflow.framework.graph import Graph
from graphflow.io.freeze import convert_variables_to_constants
from graphflow.io.graph_io import load_graph, write_graph
from graphflow.models import window_ner
from graphflow.models.ner_decode import Entity, decode_all, entities, tokenize
from graphflow.models.ner_features import CHAR_INDEX, FeatureWindows, NERFeatures, batch_inputs
from graphflow.models.window_ner import WindowNERConfig
from graphflow.ops.variables import global_variables_initializer
from graphflow.runtime.session import Session

if TYPE_CHECKING:
    from graphflow.models.ner_trainer import NERTrainer, TrainResult

MODEL_FILE = "model.pb"
TRAIN_GRAPH_FILE = "train_graph.pb"


def export(trainer: NERTrainer, out_dir: str | Path, result: TrainResult | None = None) -> Path:
    """Freeze the trainer's current variables into ``out_dir`` (see the module docstring)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = trainer.config
    inference = window_ner.build(cfg, trainer.features.sizes(), len(trainer.tags),
                                 training=False)
    with inference.graph.as_default(), Session() as sess:
        sess.run(global_variables_initializer())
        for key, var in inference.variables.items():
            var.load(trainer.session.run(trainer.model.variables[key]), sess)
        frozen = convert_variables_to_constants(
            sess, inference.graph.as_graph_def(), _output_nodes(cfg))
    write_graph(frozen, out, MODEL_FILE, as_text=False)
    write_graph(trainer.model.graph, out, TRAIN_GRAPH_FILE, as_text=False)
    trainer.features.save(out)
    trainer.tags.save(out / "tags.json")
    outputs = {"probabilities": f"{window_ner.OUTPUT_PROBABILITIES}:0",
               "predictions": f"{window_ner.OUTPUT_PREDICTIONS}:0"}
    if cfg.crf:
        outputs.update({"scores": f"{window_ner.OUTPUT_SCORES}:0",
                        "transitions": f"{window_ner.OUTPUT_TRANSITIONS}:0"})
    meta: dict[str, Any] = {
        "config": cfg.to_dict(),
        "inputs": {n: f"{t.op.name}:0" for n, t in inference.inputs.items()},
        "outputs": outputs, "embeddings": trainer.embeddings_path,
        "embedding_coverage": trainer.coverage}
    if result is not None:
        meta["best_dev_f1"], meta["best_epoch"] = result.best_dev_f1, result.best_epoch
    (out / "config.json").write_text(json.dumps(meta, indent=2) + "\n")
    return out


def _output_nodes(cfg: WindowNERConfig) -> list[str]:
    names = [window_ner.OUTPUT_PROBABILITIES, window_ner.OUTPUT_PREDICTIONS]
    return names + ([window_ner.OUTPUT_SCORES, window_ner.OUTPUT_TRANSITIONS] if cfg.crf else [])


class NERPredictor:
    """Predict entities with an exported model directory alone."""

    def __init__(self, graph: Graph, features: NERFeatures, tags: TagSet,
                 config: WindowNERConfig, meta: dict[str, Any]) -> None:
        self.graph, self.features, self.tags, self.config, self.meta = (
            graph, features, tags, config, meta)
        self.session = Session(graph=graph)
        self._inputs = {n: graph.get_tensor_by_name(t) for n, t in meta["inputs"].items()}
        if config.char_cnn and CHAR_INDEX not in meta["inputs"]:
            raise ValueError("this character-CNN model was exported with per-window character "
                             "inputs by an older graphflow; retrain it (the CNN now runs once "
                             "per token)")
        outputs = meta["outputs"]
        self.transitions: np.ndarray | None = None
        if config.crf:
            if "scores" not in outputs or "transitions" not in outputs:
                raise ValueError("config.json describes a CRF model but names no 'scores' and "
                                 "'transitions' outputs (re-export the model)")
            self._probs = graph.get_tensor_by_name(outputs["scores"])
            self.transitions = np.asarray(self.session.run(
                graph.get_tensor_by_name(outputs["transitions"])))
        else:
            self._probs = graph.get_tensor_by_name(outputs["probabilities"])

    @classmethod
    def load(cls, model_dir: str | Path) -> NERPredictor:
        d = Path(model_dir)
        missing = [f for f in (MODEL_FILE, "vocab.json", "tags.json", "config.json")
                   if not (d / f).exists()]
        if missing:
            raise FileNotFoundError(f"'{d}' is not an exported NER model directory: missing "
                                    f"{', '.join(missing)} (train one with `graphflow ner train`)")
        meta = json.loads((d / "config.json").read_text())
        config = WindowNERConfig.from_dict(meta["config"])
        return cls(load_graph(d / MODEL_FILE), NERFeatures.load(d, config),
                   TagSet.load(d / "tags.json"), config, meta)

    @property
    def vocab(self) -> Any:
        return self.features.vocab

    def probabilities(self, sentences: Sequence[Sentence]) -> tuple[np.ndarray, FeatureWindows]:
        """Per-token class probabilities (sigmoid outputs for a binary model, emission
        scores for a CRF model)."""
        data = self.features.windows(sentences)
        if len(data) == 0:
            return np.zeros((0, len(self.tags))), data
        chunks = []
        for i in range(0, len(data), 4096):
            arrays = batch_inputs(data.inputs, slice(i, i + 4096))
            chunks.append(self.session.run(self._probs, {t: arrays[n]
                                                         for n, t in self._inputs.items()}))
        probs = np.concatenate(chunks)
        return probs, data

    def predict_tags(self, token_lists: Sequence[Sequence[str]],
                     docs: Sequence[int | None] | None = None) -> list[list[str]]:
        """IOB2 tags for already tokenized sentences; ``docs`` gives each sentence's document
        id (``Sentence.doc``) for the document-casing feature; without it the sentences form
        one document."""
        if docs is not None and len(docs) != len(token_lists):
            raise ValueError(f"docs has {len(docs)} ids for {len(token_lists)} sentences")
        sents = [Sentence(list(t), ["O"] * len(t), doc=None if docs is None else docs[i])
                 for i, t in enumerate(token_lists)]
        probs, data = self.probabilities(sents)
        return decode_all(probs, data.split, self.tags.tags, self.config, self.transitions)

    def predict(self, text: str) -> list[Entity]:
        """Entities in one raw sentence (a document of its own)."""
        return self.predict_document([text])[0]

    def predict_document(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities in each of several raw sentences that form one document (the
        document-casing feature sees all of them)."""
        words = [tokenize(t) for t in texts]
        tags = self.predict_tags(words) if any(words) else [[] for _ in words]
        return [entities(w, t) if w else [] for w, t in zip(words, tags)]
