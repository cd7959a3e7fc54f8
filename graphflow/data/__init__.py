"""NER data layer: CoNLL reading/writing, conlleval metrics, vocabularies, windows, GloVe.

Pure Python + numpy; nothing here imports the rest of graphflow. Typical use::

    from graphflow.data import (read_conll, Vocabulary, TagSet, make_corpus_windows,
                                load_glove, evaluate, format_report, load_demo_corpus)

    train = load_demo_corpus("train")           # or read_conll(".../conll2003/train.txt")
    vocab, tags = Vocabulary.build(train), TagSet.build(train)
    data = make_corpus_windows(train, vocab, window=2, tagset=tags)
    # ... train a classifier on data.words / data.casings -> data.tags ...
    pred = [tags.decode(ids) for ids in data.split(predicted_ids)]
    print(format_report(evaluate([s.tags for s in train], pred)))
"""

from graphflow.data.conll import (
    ConllFormatError,
    Sentence,
    io_to_iob2,
    iob1_to_iob2,
    read_conll,
    split_tag,
    to_io,
    to_iob2,
    write_conll,
)
from graphflow.data.demo_corpus import demo_corpus_dir, demo_corpus_path, load_demo_corpus
from graphflow.data.embeddings import (
    EmbeddingFormatError,
    GloveEmbeddings,
    build_vocab_with_embeddings,
    load_glove,
    read_glove_words,
)
from graphflow.data.metrics import PRF, EntityScores, evaluate, extract_chunks, format_report
from graphflow.data.paths import find_data_dir
from graphflow.data.vocab import (
    CASING_LOWER,
    CASING_OTHER,
    CASING_PAD,
    CASING_TITLE,
    CASING_UPPER,
    END,
    END_ID,
    NUM_CASINGS,
    START,
    START_ID,
    UNK,
    UNK_ID,
    TagSet,
    Vocabulary,
    casing,
    casings,
    normalize_word,
)
from graphflow.data.windows import WindowedCorpus, make_corpus_windows, make_windows

__all__ = [
    "CASING_LOWER",
    "CASING_OTHER",
    "CASING_PAD",
    "CASING_TITLE",
    "CASING_UPPER",
    "END",
    "END_ID",
    "NUM_CASINGS",
    "PRF",
    "START",
    "START_ID",
    "UNK",
    "UNK_ID",
    "ConllFormatError",
    "EmbeddingFormatError",
    "EntityScores",
    "GloveEmbeddings",
    "Sentence",
    "TagSet",
    "Vocabulary",
    "WindowedCorpus",
    "build_vocab_with_embeddings",
    "casing",
    "casings",
    "demo_corpus_dir",
    "demo_corpus_path",
    "evaluate",
    "extract_chunks",
    "find_data_dir",
    "format_report",
    "io_to_iob2",
    "iob1_to_iob2",
    "load_demo_corpus",
    "load_glove",
    "make_corpus_windows",
    "make_windows",
    "normalize_word",
    "read_conll",
    "read_glove_words",
    "split_tag",
    "to_io",
    "to_iob2",
    "write_conll",
]
