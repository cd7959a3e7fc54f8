"""``graphflow ner train|eval|predict|sweep``: the window NER classifier from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_SENTENCE = "Last night, Paris Hilton wowed in a sequin gown"

# WindowNERConfig fields settable from `ner train`: (name, type or choices, help).
_TRAIN_OPTIONS: list[tuple[str, Any, str]] = [
    ("model", ["window", "rnn", "gru", "bilstm"],
     "the network: the window classifier, or a recurrent tagger (rnn, gru, bilstm: "
     "graphflow.models.ner_recurrent)"),
    ("output", ["crf", "softmax"],
     "output layer: a linear-chain CRF over the sentence's tags, or per-token softmax"),
    ("epochs", int, "passes over the training data"),
    ("batch_size", int, "windows per training step"),
    ("learning_rate", float, "the optimizer's step size"),
    ("lr_decay", float, "learning rate of epoch e = learning_rate * lr_decay ** (e - 1)"),
    ("optimizer", ["adam", "lazy_adam", "sgd", "momentum"],
     "lazy_adam updates only the looked-up embedding rows"),
    ("window", int, "half-width w (window 2w+1)"),
    ("hidden", int, "hidden layer size"),
    ("activation", ["tanh", "relu"], "hidden-layer non-linearity"),
    ("dropout", float, "dropout rate on x and h"),
    ("suffix_dim", int, "suffix lookup feature dimension, 0 = off"),
    ("suffix_len", int, "suffix length"),
    ("prefix_dim", int, "prefix lookup feature dimension, 0 = off"),
    ("prefix_len", int, "prefix length"),
    ("shape_dim", int, "character-shape feature dimension, 0 = off"),
    ("doc_case_dim", int, "document-casing feature dimension (the word's capitalisation "
     "elsewhere in its document), 0 = off"),
    ("gazetteer_dim", int, "gazetteer feature dimension (is the token part of an entity name "
     "of the training split, of which type), 0 = off"),
    ("ema_decay", float, "evaluate and export an exponential moving average of the weights "
     "with this decay (0 = off)"),
    ("word_dropout", float, "probability of replacing a training word seen once by <unk>"),
    ("scheme", ["iob", "io"], "predict IOB2 tags or only entity types (CS224N)"),
    ("decode", ["viterbi", "greedy"], "IOB decoding: best legal sequence or argmax"),
    ("seed", int, "random seed (initial weights, shuffling, dropout)"),
    ("char_dim", int, "character-CNN: character embedding dimension (with --char-cnn)"),
    ("char_filters", int, "character-CNN: filters per width (with --char-cnn)"),
]


def add_parser(subparsers: Any) -> None:
    from graphflow.cli import add_verbosity
    from graphflow.models.window_ner import PRESETS, WindowNERConfig

    defaults = {f: WindowNERConfig.__dataclass_fields__[f].default for f, _, _ in _TRAIN_OPTIONS}
    ner = subparsers.add_parser("ner", help="train, evaluate and run the window NER model")
    sub = ner.add_subparsers(dest="ner_command", metavar="ACTION")
    sub.required = True

    train = sub.add_parser("train", help="train on DIR/train.txt, select on DIR/dev.txt")
    train.add_argument("--data", default=None,
                       help="directory with train.txt and dev.txt in CoNLL format "
                            "(default: the bundled demo corpus)")
    train.add_argument("--embeddings", default=None, help="GloVe-format vectors (optional)")
    train.add_argument("--out", required=True, help="model directory to write")
    train.add_argument("--preset", choices=sorted(PRESETS), default=None,
                       help="start from a named configuration; 'lecture': CS224N lecture 3's "
                            "model (words + casing, tanh, softmax, argmax); other flags "
                            "override it")
    for name, kind, text in _TRAIN_OPTIONS:
        extra: dict[str, Any] = {"choices": kind} if isinstance(kind, list) else {"type": kind}
        train.add_argument("--" + name.replace("_", "-"), default=None,
                           help=f"{text} (default {defaults[name]})".lstrip(), **extra)
    train.add_argument("--char-cnn", action=argparse.BooleanOptionalAction, default=None,
                       help="a character-CNN word feature (conv1d widths 2, 3, 4, max over "
                            "time; on by default, --no-char-cnn turns it off)")
    train.add_argument("--doc-topic", action=argparse.BooleanOptionalAction, default=None,
                       help="the document's mean pretrained word vector as an input (on by "
                            "default with --embeddings, --no-doc-topic turns it off)")
    train.add_argument("--freeze-embeddings", action="store_true",
                       help="keep the (pretrained) word vectors fixed")
    train.add_argument("--binary", metavar="TYPE", default=None,
                       help="the lecture's binary variant: is the centre word a TYPE (e.g. LOC)?")
    train.add_argument("--resume", action="store_true", help="continue from OUT's last epoch")
    train.add_argument("--no-progress", action="store_true",
                       help="no progress bar (there is none when stderr is not a terminal)")
    train.add_argument("--logdir", default=None,
                       help="write TensorBoard events into LOGDIR: loss, learning rate, dev "
                            "precision/recall/F1 per epoch, per-layer gradient flow, weight "
                            "and update histograms, the training graph (view them with "
                            "'tensorboard --logdir LOGDIR')")
    add_verbosity(train)
    train.add_argument("--workers", type=int, default=1,
                       help="data-parallel workers on Ray (default 1: no Ray)")
    train.add_argument("--address", default=None,
                       help="Ray cluster: 'auto' or 'ray://HOST:PORT' (default with --workers: "
                            "a local cluster on this machine's cores)")
    train.set_defaults(run=run_train)

    ev = sub.add_parser("eval", help="entity-level precision/recall/F1 on a CoNLL file")
    ev.add_argument("model_dir", help="directory written by 'graphflow ner train --out'")
    ev.add_argument("--data", required=True, help="CoNLL file (e.g. .../conll2003/test.txt)")
    ev.set_defaults(run=run_eval)

    pred = sub.add_parser("predict", help="print the entities in raw sentences")
    pred.add_argument("model_dir", help="directory written by 'graphflow ner train --out'")
    pred.add_argument("sentences", nargs="*", default=[DEFAULT_SENTENCE],
                      help="raw sentences to tag, one argument each (default: "
                           f"'{DEFAULT_SENTENCE}')")
    pred.set_defaults(run=run_predict)

    sweep = sub.add_parser("sweep", help="hyper-parameter search, one Ray task per trial")
    sweep.add_argument("config", help="JSON or TOML sweep config (see docs/distributed.md)")
    sweep.add_argument("--out", required=True, help="directory for the trials and results")
    sweep.add_argument("--data", default=None, help="CoNLL directory (overrides the config)")
    sweep.add_argument("--address", default=None,
                       help="Ray cluster: 'auto' or 'ray://HOST:PORT' (default: a local "
                            "cluster on this machine's cores)")
    sweep.set_defaults(run=run_sweep)


def config_from_args(args: argparse.Namespace) -> Any:
    """The ``WindowNERConfig`` the ``ner train`` flags ask for (defaults where not given)."""
    from graphflow.models.window_ner import WindowNERConfig

    overrides = {name: getattr(args, name) for name, _, _ in _TRAIN_OPTIONS
                 if getattr(args, name) is not None}
    if args.freeze_embeddings:
        overrides["train_embeddings"] = False
    if args.char_cnn is not None:
        overrides["char_cnn"] = args.char_cnn
    if getattr(args, "doc_topic", None) is not None:
        overrides["doc_topic"] = args.doc_topic
    if args.binary:
        overrides["binary_class"] = args.binary
    preset = getattr(args, "preset", None)
    return WindowNERConfig.preset(preset, **overrides) if preset else \
        WindowNERConfig(**overrides)


def run_train(args: argparse.Namespace) -> int:
    from graphflow.data import demo_corpus_dir, read_conll
    from graphflow.models.ner_trainer import NERTrainer

    data_dir = Path(args.data) if args.data else demo_corpus_dir()
    for split in ("train.txt", "dev.txt"):
        if not (data_dir / split).exists():
            raise FileNotFoundError(f"'{data_dir / split}' not found: --data must be a "
                                    "directory holding train.txt and dev.txt")
    if args.model in ("rnn", "gru", "bilstm"):
        from graphflow.models.ner_recurrent_trainer import train_from_args

        return train_from_args(args, data_dir)
    config = config_from_args(args)
    parallel = args.workers > 1 or args.address
    if parallel and args.logdir:
        raise ValueError("--logdir is not supported with --workers/--address yet: train "
                         "without them to write TensorBoard events")
    if parallel:
        from graphflow.distributed.ner import check_data_parallel_config
        check_data_parallel_config(config)
    train, dev = read_conll(data_dir / "train.txt"), read_conll(data_dir / "dev.txt")
    print(f"data: {data_dir} ({len(train)} train / {len(dev)} dev sentences)")
    trainer = NERTrainer(config, train, embeddings_path=args.embeddings)
    print(f"vocabulary {len(trainer.vocab)} words, {len(trainer.tags)} classes; "
          f"window {config.width}, features {'+'.join(trainer.features.names)}"
          f"{'+char-CNN' if config.char_cnn else ''}"
          f"{'+doc-topic' if config.doc_topic else ''}, "
          f"hidden {config.hidden} {config.activation}, output {config.output}"
          + (f"; pretrained coverage {trainer.coverage:.1%}" if args.embeddings else ""))
    if parallel:

        from graphflow.distributed.ner import fit_data_parallel

        result = fit_data_parallel(trainer, dev, args.out, args.workers, args.address,
                                   progress=not args.no_progress, resume=args.resume)
    else:
        quiet = getattr(args, "quiet", False)
        result = trainer.fit(dev, args.out, progress=not (args.no_progress or quiet),
                             resume=args.resume, log=(lambda line: None) if quiet else print,
                             logdir=args.logdir)
    print(f"best dev F1 {result.best_dev_f1:.4f} (epoch {result.best_epoch}); "
          f"trained in {result.seconds:.0f} s; model exported to {args.out}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from graphflow.data import evaluate, format_report, read_conll, to_iob2
    from graphflow.models.ner_recurrent_trainer import load_predictor
    from graphflow.models.ner_trainer import binary_tags

    predictor = load_predictor(args.model_dir)  # the window model's or a recurrent one
    sentences = read_conll(args.data)
    predicted = predictor.predict_tags([s.words for s in sentences],
                                       [s.doc for s in sentences])
    cls = predictor.config.binary_class
    gold = [binary_tags(s.tags, cls) if cls else to_iob2(s.tags) for s in sentences]
    print(format_report(evaluate(gold, predicted)))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from graphflow.models.ner_recurrent_trainer import load_predictor

    predictor = load_predictor(args.model_dir)  # the window model's or a recurrent one
    # the sentences given together form one document (the document-casing feature)
    for text, found in zip(args.sentences, predictor.predict_document(args.sentences)):
        print(text)
        if not found:
            print("  (no entities)")
        for e in found:
            print(f"  {e.type:<5} {e.text}")
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    from graphflow.distributed.sweep import sweep_command

    result = sweep_command(args.config, args.out, address=args.address, data=args.data)
    return 0 if result.best is not None else 1
