"""The optional lookup features (suffix, prefix, shape) and their windowing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphflow.data import Sentence, Vocabulary, make_corpus_windows, make_windows
from graphflow.models.ner_features import (
    DOC_CAPITALISED,
    DOC_CASE_PAD,
    DOC_HEADLINE,
    DOC_LOWER,
    DOC_MIXED,
    DOC_NOT_A_WORD,
    DOC_UNSEEN,
    NUM_DOC_CASES,
    FeatureVocab,
    NERFeatures,
    active_features,
    document_casing,
    is_headline,
    prefix,
    suffix,
    window_ids,
    word_shape,
)
from graphflow.models.window_ner import WindowNERConfig


@pytest.mark.parametrize("word, shape", [
    ("Paris", "Xx"), ("paris", "x"), ("EU", "X"), ("U.S.", "X.X."), ("1996", "d"),
    ("3-1", "d-d"), ("McDonald's", "XxXx'x"), ("iPhone", "xXx"), (",", ","), ("", ""),
])
def test_word_shape(word: str, shape: str) -> None:
    assert word_shape(word) == shape


def test_affixes_use_the_normalised_word() -> None:
    assert suffix("Germany", 3) == "any"
    assert prefix("Germany", 3) == "ger"
    assert suffix("1996", 3) == "000"
    assert suffix("EU", 3) == "eu"  # shorter than n: the whole word


def test_feature_vocab_orders_by_frequency_and_drops_rare_values() -> None:
    fv = FeatureVocab.build(["ing", "ed", "ing", "ly", "ed", "ing", "zz"], min_count=2)
    assert fv.values == ["<unk>", "<pad>", "ing", "ed"]
    assert (fv.id("ing"), fv.id("zz"), fv.id("never")) == (2, FeatureVocab.UNK_ID, 0)


@pytest.mark.parametrize("window", [0, 1, 3])
def test_window_ids_match_per_sentence_windows_at_the_edges(window: int) -> None:
    sentences = [[5, 6, 7], [8], [], [9, 10, 11, 12, 13]]
    lengths = np.array([len(s) for s in sentences])
    flat = np.array([i for s in sentences for i in s], dtype=np.int32)
    got = window_ids(flat, lengths, window, left_pad=1, right_pad=2)
    want = np.concatenate([make_windows(s, window, 1, 2) for s in sentences])
    assert got.dtype == np.int32 and got.shape == (9, 2 * window + 1)
    np.testing.assert_array_equal(got, want)


SENTS = [Sentence(["Paris", "Hilton", "wowed", "."], ["B-PER", "I-PER", "O", "O"]),
         Sentence(["The", "Hilton", "Hotel", "in", "Paris"], ["O", "B-LOC", "I-LOC", "O",
                                                              "B-LOC"])]


def test_features_window_words_and_casings_like_the_data_layer() -> None:
    config = WindowNERConfig(window=1, suffix_dim=4, prefix_dim=0, shape_dim=2,
                             doc_case_dim=0, gazetteer_dim=0, doc_topic=False,
                             feature_min_count=1)
    vocab = Vocabulary.build(SENTS)
    feats = NERFeatures.build(config, vocab, SENTS)
    assert feats.names == ["words", "casings", "suffix", "shape"]
    data = feats.windows(SENTS)
    base = make_corpus_windows(SENTS, vocab, 1)
    np.testing.assert_array_equal(data.inputs["words"], base.words)
    np.testing.assert_array_equal(data.inputs["casings"], base.casings)
    # the suffix window of "Paris" (first token): <pad>, "ris", "ton"
    sfx = feats.extra["suffix"]
    assert data.inputs["suffix"][0].tolist() == [FeatureVocab.PAD_ID, sfx.id("ris"),
                                                 sfx.id("ton")]
    assert data.inputs["shape"][4].tolist() == [FeatureVocab.PAD_ID,
                                                feats.extra["shape"].id("Xx"),
                                                feats.extra["shape"].id("Xx")]
    assert [len(a) for a in data.split(np.arange(len(data)))] == [4, 5]
    sizes = feats.sizes()
    assert sizes["suffix"] == len(sfx) and sizes["casings"] == 5 and "prefix" not in sizes


def test_features_save_and_load_round_trip(tmp_path: Path) -> None:
    config = WindowNERConfig(suffix_dim=4, prefix_dim=2, shape_dim=2, feature_min_count=1,
                             doc_topic=False)
    feats = NERFeatures.build(config, Vocabulary.build(SENTS), SENTS)
    feats.save(tmp_path)
    loaded = NERFeatures.load(tmp_path, config)
    assert loaded.extra == feats.extra and loaded.vocab == feats.vocab
    assert loaded.gazetteer == feats.gazetteer and len(feats.gazetteer) == 3
    unseen = [Sentence(["Berlin", "is", "big"], ["B-LOC", "O", "O"])]
    a, b = feats.windows(unseen), loaded.windows(unseen)
    assert a.inputs.keys() == b.inputs.keys()
    for name in a.inputs:
        np.testing.assert_array_equal(a.inputs[name], b.inputs[name])


def test_features_without_options_are_the_lectures_words_and_casing() -> None:
    plain = WindowNERConfig(suffix_dim=0, prefix_dim=0, shape_dim=0, doc_case_dim=0,
                            gazetteer_dim=0, doc_topic=False)
    assert active_features(plain) == ["words", "casings"]
    with pytest.raises(ValueError, match="no vocabulary for the feature"):
        NERFeatures(WindowNERConfig(suffix_dim=0, prefix_dim=0, shape_dim=3, gazetteer_dim=0,
                                    doc_topic=False), Vocabulary.build(SENTS))


def test_is_headline() -> None:
    assert is_headline(["SOCCER", "-", "JAPAN", "GET", "LUCKY", "WIN", ","])
    assert is_headline(["U.S.", "1996"])
    assert not is_headline(["Japan", "won", "."])
    assert not is_headline(["1996", "-", "12"])  # no word with a letter
    assert not is_headline([])


def _docs(*docs: tuple[int | None, list[str]]) -> list[Sentence]:
    return [Sentence(words, ["O"] * len(words), doc=doc) for doc, words in docs]


def test_document_casing_counts_other_informative_occurrences() -> None:
    sents = _docs(
        (0, ["JAPAN", "BEAT", "CHINA", "2-1"]),   # headline: its casing counts nowhere
        (0, ["Japan", "beat", "China", "in", "Tokyo", "."]),
        (0, ["Beat", "it", ",", "said", "japan", "'s", "China", "coach"]),
        (1, ["China", "won", "."]),              # another document
    )
    cap, low, mix, unseen, none = (DOC_CAPITALISED, DOC_LOWER, DOC_MIXED, DOC_UNSEEN,
                                   DOC_NOT_A_WORD)
    h = DOC_HEADLINE
    want = [
        # JAPAN: "japan" (lower, pos 4); "Japan" is sentence-initial -> not informative
        low + h, low + h, cap + h, none + h,  # BEAT: "beat"; CHINA: "China" x2 (pos 2, 6)
        # Japan: other informative "japan" (lower); beat: no other informative occurrence
        # ("Beat" is sentence-initial); China: the other "China" (pos 6); Tokyo: none
        low, unseen, cap, unseen, unseen, none,
        # Beat: "beat" lower; it/said/'s/coach unseen; japan: no other informative
        # ("Japan" is initial, "JAPAN" a headline); China: the one at pos 2 of sentence 2
        low, unseen, none, unseen, unseen, unseen, cap, unseen,
        unseen, unseen, none,  # document 1: "China" is initial, nothing else
    ]
    np.testing.assert_array_equal(document_casing(sents), want)
    # mixed: capitalised and lower-case elsewhere; None documents go together
    mixed = _docs((None, ["a", "Apple", "x"]), (None, ["b", "apple", "y"]),
                  (None, ["c", "apple", "z"]))
    assert document_casing(mixed)[[1, 4, 7]].tolist() == [low, mix, mix]
    assert document_casing([]).shape == (0,)


def test_doc_case_feature_windows_and_size() -> None:
    config = WindowNERConfig(window=1, suffix_dim=0, prefix_dim=0, shape_dim=0,
                             doc_case_dim=3, gazetteer_dim=0, doc_topic=False)
    sents = _docs((0, ["In", "Paris", "now"]), (0, ["Paris", "is", "big"]))
    feats = NERFeatures.build(config, Vocabulary.build(sents), sents)
    assert feats.names == ["words", "casings", "doc_case"]
    assert feats.sizes()["doc_case"] == NUM_DOC_CASES == DOC_CASE_PAD + 1
    data = feats.windows(sents)
    flat = document_casing(sents)
    np.testing.assert_array_equal(data.inputs["doc_case"][:, 1], flat)
    assert data.inputs["doc_case"][0].tolist() == [DOC_CASE_PAD, DOC_UNSEEN, DOC_UNSEEN]
    # "Paris" starting sentence 2 sees the informative "Paris" of sentence 1
    assert data.inputs["doc_case"][3].tolist() == [DOC_CASE_PAD, DOC_CAPITALISED,
                                                   DOC_UNSEEN]
