"""Per-token lookup features of the window NER classifier, windowed like the words.

Every feature maps each token to an integer id; the model looks each id of the window up in
its own embedding matrix and concatenates all vectors into ``x`` (Collobert et al. 2011,
section 3.2: "discrete features" with their own lookup tables). Features:

* ``words``   — the normalised word (``graphflow.data.Vocabulary``: lower-case, digits -> 0),
  always on;
* ``casings`` — the 5-way casing id of ``graphflow.data.vocab.casing`` (Collobert's "caps"
  feature), always on;
* ``suffix``  — the last ``suffix_len`` characters of the normalised word (``"-ing"``,
  ``"-ese"``, ``"-burg"``...), on when ``config.suffix_dim > 0``;
* ``prefix``  — the first ``prefix_len`` characters, on when ``config.prefix_dim > 0``;
* ``shape``   — the word's character shape (``word_shape``: ``"Paris"`` -> ``"Xx"``,
  ``"U.S."`` -> ``"X.X."``, ``"1996"`` -> ``"d"``), on when ``config.shape_dim > 0``;
* ``doc_case`` — document context (Ratinov & Roth 2009's non-local features): how the
  token's normalised form is capitalised at its *informative* occurrences elsewhere in the
  same document (``Sentence.doc``; sentences without one form one document together), i.e.
  not sentence-initial and not in an all-caps headline sentence: none / always capitalised
  / always lower-case / mixed, or not a word (no letter); times 2 for "this token's sentence
  is an all-caps headline" (``document_casing``, fixed ids, no vocabulary); on when
  ``config.doc_case_dim > 0``. At prediction time the sentences tagged together form one
  document;
* ``gazetteer`` — whether the token is part of an entity string of the training split, of
  which type, and how reliably (``ner_gazetteer``: fixed ids; training sentences see the list
  without their own document); on when ``config.gazetteer_dim > 0``;
* ``doc_topic`` — not a lookup but a dense input: the token's document as the mean
  unit-length pretrained vector of its lettered words with a vocabulary id of at least
  ``TOPIC_SKIP_WORDS`` (not the most frequent training words; ``document_topics``: "a sports
  results table", "a market report"), the same for every token of a document, once per
  token rather than per window slot; on when ``config.doc_topic`` and pretrained vectors
  are given (their matrix is saved as ``topic_vectors.npy``);
* ``chars``   — the ids of the word's first ``char_max_len`` characters (raw, case kept;
  padded with ``<pad>``), one row per token, for the character CNN of the model, plus
  ``char_index``: each token's window of token positions (-1 outside the sentence). The
  model runs the CNN once per token of a batch and gathers its vectors into the windows
  (``batch_inputs`` turns the two into a batch's ``token_chars`` and local window indices);
  on when ``config.char_cnn``.

Suffix, prefix and shape vocabularies (``FeatureVocab``) are built from the training split;
values seen fewer than ``config.feature_min_count`` times map to ``<unk>`` (id 0), window
padding outside the sentence is ``<pad>`` (id 1). They are saved next to the word vocabulary
(``features.json``) so that an exported model computes the same ids from raw text.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.data import TagSet, Vocabulary, make_corpus_windows, normalize_word
from graphflow.data.vocab import NUM_CASINGS
from graphflow.models import ner_gazetteer

WORDS, CASINGS, SUFFIX, PREFIX, SHAPE = "words", "casings", "suffix", "prefix", "shape"
DOC_CASE = "doc_case"
GAZETTEER = "gazetteer"
DOC_TOPIC = "doc_topic"
CHARS = "chars"
CHAR_INDEX = "char_index"
#: Feature order inside ``x`` (and of the model's input placeholders).
FEATURE_ORDER: tuple[str, ...] = (WORDS, CASINGS, SUFFIX, PREFIX, SHAPE, DOC_CASE, GAZETTEER)
OPTIONAL_FEATURES: tuple[str, ...] = (SUFFIX, PREFIX, SHAPE, DOC_CASE, GAZETTEER)
#: Features with a vocabulary built from the training split (``FeatureVocab``).
VOCAB_FEATURES: tuple[str, ...] = (SUFFIX, PREFIX, SHAPE)
#: ``doc_case`` ids: the word's casing elsewhere in its document ...
DOC_NOT_A_WORD, DOC_UNSEEN, DOC_CAPITALISED, DOC_LOWER, DOC_MIXED = range(5)
#: ... plus ``DOC_HEADLINE`` when the token's own sentence is all caps; ``DOC_CASE_PAD`` is
#: the window padding.
DOC_HEADLINE = 5
DOC_CASE_PAD = 10
NUM_DOC_CASES = 11
FEATURES_FILE = "features.json"
TOPIC_FILE = "topic_vectors.npy"
#: ``doc_topic`` leaves out word ids below this: the special tokens and the most frequent
#: training words (function words).
TOPIC_SKIP_WORDS = 100
_FORMAT = "graphflow.models.NERFeatures"

_UPPER, _LOWER, _DIGIT = re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"[0-9]")


def word_shape(word: str) -> str:
    """Character classes with runs collapsed: upper-case letters -> ``X``, other letters ->
    ``x``, digits -> ``d``, anything else kept (``"McDonald's"`` -> ``"XxXx'x"``)."""
    out: list[str] = []
    for ch in word:
        if ch.isdigit():
            c = "d"
        elif ch.isalpha():
            c = "X" if ch.isupper() else "x"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def suffix(word: str, n: int) -> str:
    """The last ``n`` characters of the normalised word (the whole word if shorter)."""
    return normalize_word(word)[-n:]


def prefix(word: str, n: int) -> str:
    """The first ``n`` characters of the normalised word."""
    return normalize_word(word)[:n]


def _first_letter(word: str) -> str | None:
    return next((c for c in word if c.isalpha()), None)


def is_headline(words: Sequence[str]) -> bool:
    """True when every token with a letter is upper-case (and there is one): a CoNLL
    headline such as ``"SOCCER - JAPAN GET LUCKY WIN"``, whose casing says nothing."""
    lettered = [w for w in words if _first_letter(w) is not None]
    return bool(lettered) and all(w.isupper() for w in lettered)


def document_casing(sentences: Sequence[Any]) -> np.ndarray:
    """Per token of ``sentences`` (flat, corpus order) its ``doc_case`` id: for a word (a
    token with a letter), whether its normalised form's *other* informative occurrences in
    its document (``.doc``; ``None`` = one document of its own for all such sentences) are
    all capitalised (first letter upper-case), all lower-case, mixed, or absent; an
    occurrence is informative unless it is sentence-initial or in a headline
    (``is_headline``). ``DOC_HEADLINE`` is added for tokens of a headline sentence."""
    # per distinct word: (normalised form, is its first letter lower-case?), None: no letter
    info: dict[str, tuple[str, bool] | None] = {}
    for s in sentences:
        for w in s.words:
            if w not in info:
                first = _first_letter(w)
                info[w] = None if first is None else (normalize_word(w), first.islower())
    heads = [is_headline(s.words) for s in sentences]
    counts: dict[tuple[Any, str], list[int]] = {}
    for s, head in zip(sentences, heads):
        if head:
            continue
        doc = getattr(s, "doc", None)
        for w in s.words[1:]:
            word = info[w]
            if word is not None:
                counts.setdefault((doc, word[0]), [0, 0])[word[1]] += 1
    out = np.empty(sum(len(s.words) for s in sentences), dtype=np.int32)
    i = 0
    for s, head in zip(sentences, heads):
        doc = getattr(s, "doc", None)
        for pos, w in enumerate(s.words):
            word = info[w]
            if word is None:
                out[i] = DOC_NOT_A_WORD + DOC_HEADLINE * head
                i += 1
                continue
            cap, low = counts.get((doc, word[0]), (0, 0))
            if not head and pos > 0:  # not counting this occurrence itself
                cap, low = (cap, low - 1) if word[1] else (cap - 1, low)
            kind = (DOC_UNSEEN if cap + low == 0 else DOC_MIXED if cap and low
                    else DOC_CAPITALISED if cap else DOC_LOWER)
            out[i] = kind + DOC_HEADLINE * head
            i += 1
    return out


def document_topics(sentences: Sequence[Any], vocab: Vocabulary, vectors: np.ndarray,
                    skip_words: int = TOPIC_SKIP_WORDS) -> np.ndarray:
    """Per token of ``sentences`` (flat, corpus order) its document's topic vector,
    ``(n_tokens, vectors.shape[1])`` float32: the mean of the unit-length rows of ``vectors``
    (one per vocabulary id) of the document's (``.doc``) lettered tokens whose id is at least
    ``skip_words`` (the vocabulary starts with the training words by frequency, so these
    are not the most frequent ones), scaled to unit length; a zero vector for a document
    without such tokens."""
    dim = vectors.shape[1]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = (vectors / np.maximum(norms, 1e-6)).astype(np.float32)
    by_doc: dict[Any, list[int]] = {}
    for s in sentences:
        ids = by_doc.setdefault(getattr(s, "doc", None), [])
        ids.extend(i for i in (vocab.word_to_id(w) for w in s.words
                               if _first_letter(w) is not None) if i >= skip_words)
    topic = {}
    for doc, ids in by_doc.items():
        mean = unit[ids].mean(axis=0) if ids else np.zeros(dim, np.float32)
        topic[doc] = (mean / max(float(np.linalg.norm(mean)), 1e-6)).astype(np.float32)
    out = np.zeros((sum(len(s.words) for s in sentences), dim), np.float32)
    i = 0
    for s in sentences:
        out[i:i + len(s.words)] = topic[getattr(s, "doc", None)]
        i += len(s.words)
    return out


class FeatureVocab:
    """String -> id for one lookup feature: ``<unk>`` is 0, ``<pad>`` is 1, then the values
    by decreasing training frequency (ties alphabetical, so a build is deterministic)."""

    UNK_ID, PAD_ID = 0, 1

    def __init__(self, values: Iterable[str]) -> None:
        self.values: list[str] = ["<unk>", "<pad>"]
        self.values += [v for v in values if v not in ("<unk>", "<pad>")]
        self._index = {v: i for i, v in enumerate(self.values)}

    @classmethod
    def build(cls, values: Iterable[str], min_count: int = 1) -> FeatureVocab:
        counts = Counter(values)
        kept = sorted((v for v, c in counts.items() if c >= min_count),
                      key=lambda v: (-counts[v], v))
        return cls(kept)

    def id(self, value: str) -> int:
        return self._index.get(value, self.UNK_ID)

    def __len__(self) -> int:
        return len(self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureVocab) and self.values == other.values


def _feature_value(name: str, word: str, config: Any) -> str:
    if name == SUFFIX:
        return suffix(word, config.suffix_len)
    if name == PREFIX:
        return prefix(word, config.prefix_len)
    return word_shape(word)


def active_features(config: Any) -> list[str]:
    """Names of the features the config turns on, in ``FEATURE_ORDER``."""
    dims = {SUFFIX: config.suffix_dim, PREFIX: config.prefix_dim, SHAPE: config.shape_dim,
            DOC_CASE: getattr(config, "doc_case_dim", 0),
            GAZETTEER: getattr(config, "gazetteer_dim", 0)}
    return [WORDS, CASINGS] + [f for f in OPTIONAL_FEATURES if dims[f] > 0]


def feature_dim(name: str, config: Any) -> int:
    return {WORDS: config.embed_dim, CASINGS: config.casing_dim, SUFFIX: config.suffix_dim,
            PREFIX: config.prefix_dim, SHAPE: config.shape_dim,
            DOC_CASE: getattr(config, "doc_case_dim", 0),
            GAZETTEER: getattr(config, "gazetteer_dim", 0)}[name]


def doc_topic_on(config: Any) -> bool:
    """True when the config asks for the document-topic input (``document_topics``)."""
    return bool(getattr(config, "doc_topic", False))


def char_cnn_on(config: Any) -> bool:
    """True when the config asks for the character-CNN word feature."""
    return bool(getattr(config, "char_cnn", False))


def char_table(words: Sequence[str], chars: FeatureVocab, max_len: int) -> np.ndarray:
    """(len(words) + 1, max_len) int32 character ids of each word, ``<pad>``-padded; the
    last row is all ``<pad>`` (the window padding outside a sentence)."""
    table = np.full((len(words) + 1, max_len), FeatureVocab.PAD_ID, dtype=np.int32)
    for i, w in enumerate(words):
        ids = [chars.id(c) for c in w[:max_len]]
        table[i, :len(ids)] = ids
    return table


def window_ids(flat_ids: np.ndarray, lengths: np.ndarray, window: int, left_pad: int,
               right_pad: int) -> np.ndarray:
    """Windows of half-width ``window`` over per-token ids laid out sentence after sentence
    (``lengths`` tokens each): ``(n_tokens, 2w+1)`` int32, padded with ``left_pad`` before a
    sentence and ``right_pad`` after it; windows never cross sentences."""
    lengths = np.asarray(lengths, dtype=np.int64)
    n_tokens, width = int(lengths.sum()), 2 * window + 1
    block = lengths + 2 * window
    offsets = np.cumsum(block) - block
    flat = np.full(int(block.sum()), right_pad, dtype=np.int32)
    flat[(offsets[:, None] + np.arange(window)[None, :]).reshape(-1)] = left_pad
    first = np.cumsum(lengths) - lengths
    token_pos = (np.repeat(offsets + window, lengths)
                 + np.arange(n_tokens) - np.repeat(first, lengths))
    flat[token_pos] = flat_ids
    gather = token_pos[:, None] + np.arange(width)[None, :] - window
    return flat[gather].reshape(n_tokens, width)


def batch_inputs(inputs: dict[str, np.ndarray], index: Any) -> dict[str, np.ndarray]:
    """The model's input arrays for the windows ``inputs[...][index]``: the lookup features'
    windows as they are; with the character CNN, ``chars`` holds only the distinct tokens
    these windows touch, padded to M rows (``padded_rows``), and ``char_index`` their rows
    in it (M = the window padding, a zero vector in the model)."""
    out = {n: a[index] for n, a in inputs.items() if n not in (CHARS, CHAR_INDEX)}
    if CHAR_INDEX in inputs:
        ref = inputs[CHAR_INDEX][index]
        tokens = np.unique(ref[ref >= 0])
        rows = padded_rows(len(tokens), len(ref))
        local = np.searchsorted(tokens, ref).astype(np.int32)
        out[CHAR_INDEX] = np.where(ref >= 0, local, rows).astype(np.int32)
        chars = np.full((rows, inputs[CHARS].shape[1]), FeatureVocab.PAD_ID, np.int32)
        chars[:len(tokens)] = inputs[CHARS][tokens]
        out[CHARS] = chars
    return out


def padded_rows(tokens: int, windows: int) -> int:
    """Rows of a batch's ``token_chars``: the distinct tokens padded (with ``<pad>`` words)
    to a multiple of 128 at least as large as the number of windows, so that batches of one
    shape (a sentence-length bucket) feed one or two shapes, each compiled once."""
    return -(-max(tokens, windows, 1) // 128) * 128


@dataclass
class FeatureWindows:
    """Windows of every active feature for all tokens of a corpus, in corpus order."""

    inputs: dict[str, np.ndarray]
    tags: np.ndarray | None
    lengths: np.ndarray

    def __len__(self) -> int:
        return int(self.inputs[WORDS].shape[0])

    @property
    def words(self) -> np.ndarray:
        return self.inputs[WORDS]

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """A per-token array split into per-sentence arrays."""
        flat = np.asarray(flat)
        if flat.shape[0] != len(self):
            raise ValueError(f"expected {len(self)} per-token values, got {flat.shape[0]}")
        return np.split(flat, np.cumsum(self.lengths)[:-1]) if len(self.lengths) else []


class NERFeatures:
    """The word vocabulary plus the optional feature vocabularies of one model, its
    gazetteer and the word vectors of its document topics."""

    def __init__(self, config: Any, vocab: Vocabulary,
                 extra: dict[str, FeatureVocab] | None = None,
                 gazetteer: ner_gazetteer.Gazetteer | None = None,
                 topic_vectors: np.ndarray | None = None) -> None:
        self.config, self.vocab, self.extra = config, vocab, dict(extra or {})
        self.gazetteer, self.topic_vectors = gazetteer, topic_vectors
        self.names = active_features(config)
        missing = [n for n in self.names if n in VOCAB_FEATURES and n not in self.extra]
        if char_cnn_on(config) and CHARS not in self.extra:
            missing.append(CHARS)
        if missing:
            raise ValueError(f"no vocabulary for the feature(s) {missing}")
        if GAZETTEER in self.names and gazetteer is None:
            raise ValueError("the config asks for the gazetteer feature (gazetteer_dim > 0) "
                             "but no gazetteer was given: build the features from the "
                             "training split (NERFeatures.build), or set gazetteer_dim=0 "
                             "(--gazetteer-dim 0)")
        if doc_topic_on(config):
            if topic_vectors is None:
                raise ValueError("the config asks for the document topic (doc_topic) but no "
                                 "word vectors were given: pass pretrained vectors, or set "
                                 "doc_topic=False (--no-doc-topic)")
            if topic_vectors.ndim != 2 or topic_vectors.shape[0] != len(vocab):
                raise ValueError(f"topic vectors of shape {topic_vectors.shape} do not match "
                                 f"the vocabulary of {len(vocab)} words: expected "
                                 f"({len(vocab)}, dim)")

    @property
    def topic_dim(self) -> int:
        """Width of the ``doc_topic`` input (0 when it is off)."""
        return 0 if self.topic_vectors is None or not doc_topic_on(self.config) \
            else int(self.topic_vectors.shape[1])

    @classmethod
    def build(cls, config: Any, vocab: Vocabulary, train: Sequence[Any],
              pretrained: np.ndarray | None = None) -> NERFeatures:
        """Feature vocabularies and the gazetteer from the training sentences (``config``
        selects them); ``pretrained`` (one row per vocabulary id) gives the document topics'
        word vectors."""
        words = [w for s in train for w in s.words]
        distinct = Counter(words)
        extra = {}
        for name in (n for n in active_features(config) if n in VOCAB_FEATURES):
            counts: Counter[str] = Counter()
            for w, c in distinct.items():
                counts[_feature_value(name, w, config)] += c
            kept = sorted((v for v, c in counts.items() if c >= config.feature_min_count),
                          key=lambda v: (-counts[v], v))
            extra[name] = FeatureVocab(kept)
        if char_cnn_on(config):
            chars: Counter[str] = Counter()
            for w, c in distinct.items():
                for ch in w:
                    chars[ch] += c
            extra[CHARS] = FeatureVocab.build(chars.elements(), config.feature_min_count)
        gazetteer = (ner_gazetteer.Gazetteer.build(train)
                     if GAZETTEER in active_features(config) else None)
        topic = np.asarray(pretrained, np.float32) if doc_topic_on(config) and \
            pretrained is not None else None
        return cls(config, vocab, extra, gazetteer, topic)

    def sizes(self) -> dict[str, int]:
        """Rows of each active feature's embedding matrix, and the width of the document
        topic (key ``doc_topic``) when it is on."""
        out = {WORDS: len(self.vocab), CASINGS: NUM_CASINGS}
        out.update({n: len(v) for n, v in self.extra.items() if n in self.names})
        if DOC_CASE in self.names:
            out[DOC_CASE] = NUM_DOC_CASES
        if GAZETTEER in self.names:
            out[GAZETTEER] = ner_gazetteer.NUM_IDS
        if char_cnn_on(self.config):
            out[CHARS] = len(self.extra[CHARS])
        if self.topic_dim:
            out[DOC_TOPIC] = self.topic_dim
        return out

    def windows(self, sentences: Sequence[Any], tagset: TagSet | None = None,
                leave_doc_out: bool = False) -> FeatureWindows:
        """Windows of every active feature (tags as ids when ``tagset`` is given), and the
        document topic of every token; ``leave_doc_out``: ``sentences`` are the training
        split the gazetteer was built from, each sees it without its own document."""
        window = self.config.window
        base = make_corpus_windows(sentences, self.vocab, window, tagset=tagset)
        inputs = {WORDS: base.words, CASINGS: base.casings}
        if len(self.names) > 2:
            all_words = [w for s in sentences for w in s.words]
            distinct = set(all_words)
            for name in (n for n in self.names if n in VOCAB_FEATURES):
                fv = self.extra[name]
                ids = {w: fv.id(_feature_value(name, w, self.config)) for w in distinct}
                flat = np.fromiter((ids[w] for w in all_words), np.int32, len(all_words))
                inputs[name] = window_ids(flat, base.lengths, window, FeatureVocab.PAD_ID,
                                          FeatureVocab.PAD_ID)
        if DOC_CASE in self.names:
            inputs[DOC_CASE] = window_ids(document_casing(sentences), base.lengths, window,
                                          DOC_CASE_PAD, DOC_CASE_PAD)
        if self.gazetteer is not None and GAZETTEER in self.names:
            inputs[GAZETTEER] = window_ids(self.gazetteer.ids(sentences, leave_doc_out),
                                           base.lengths, window, ner_gazetteer.PAD,
                                           ner_gazetteer.PAD)
        if self.topic_dim:
            assert self.topic_vectors is not None  # topic_dim > 0
            inputs[DOC_TOPIC] = document_topics(sentences, self.vocab, self.topic_vectors)
        if char_cnn_on(self.config):
            all_words = [w for s in sentences for w in s.words]
            table = char_table(all_words, self.extra[CHARS], self.config.char_max_len)
            n = len(all_words)
            inputs[CHARS] = table[:n]
            inputs[CHAR_INDEX] = window_ids(np.arange(n, dtype=np.int32), base.lengths,
                                            window, -1, -1)
        return FeatureWindows(inputs, base.tags, base.lengths)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """``vocab.json`` (the words), ``features.json`` (the other vocabularies and the
        gazetteer) and, with the document topic, ``topic_vectors.npy``."""
        d = Path(directory)
        self.vocab.save(d / "vocab.json")
        data: dict[str, Any] = {"format": _FORMAT, "version": 1,
                                "features": {n: v.values[2:] for n, v in self.extra.items()}}
        if self.gazetteer is not None:
            data["gazetteer"] = self.gazetteer.to_json()
        if self.topic_dim:
            np.save(d / TOPIC_FILE, self.topic_vectors)
        (d / FEATURES_FILE).write_text(json.dumps(data, ensure_ascii=False) + "\n",
                                       encoding="utf-8")

    @classmethod
    def load(cls, directory: str | os.PathLike[str], config: Any) -> NERFeatures:
        d = Path(directory)
        vocab = Vocabulary.load(d / "vocab.json")
        extra: dict[str, FeatureVocab] = {}
        gazetteer = topic = None
        path = d / FEATURES_FILE
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != _FORMAT:
                raise ValueError(f"{path}: not a {_FORMAT} file")
            extra = {n: FeatureVocab(v) for n, v in data["features"].items()}
            if "gazetteer" in data:
                gazetteer = ner_gazetteer.Gazetteer.from_json(data["gazetteer"])
        if doc_topic_on(config):
            if not (d / TOPIC_FILE).exists():
                raise FileNotFoundError(f"'{d}' is a model with the document topic but has no "
                                        f"{TOPIC_FILE} (export the model again)")
            topic = np.load(d / TOPIC_FILE, allow_pickle=False)
        return cls(config, vocab, extra, gazetteer, topic)
