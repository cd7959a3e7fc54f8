"""``graphflow ner train|eval|predict`` end to end on the bundled demo corpus (tiny settings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphflow.cli import main
from graphflow.data import demo_corpus_path, load_demo_corpus, write_conll

FAST = ["--epochs", "2", "--hidden", "24", "--batch-size", "64", "--learning-rate", "0.01",
        "--no-progress"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CoNLL directory (train.txt + dev.txt) holding slices of the demo corpus."""
    d = tmp_path_factory.mktemp("conll")
    write_conll(d / "train.txt", load_demo_corpus("train")[:150])
    write_conll(d / "dev.txt", load_demo_corpus("dev")[:40])
    return d


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("cli_model")
    assert main(["ner", "train", "--data", str(data_dir), "--out", str(out), *FAST,
                 "--suffix-dim", "4", "--shape-dim", "3", "--optimizer", "lazy_adam"]) == 0
    return out


def test_train_reports_epochs_and_exports(model_dir: Path, data_dir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    meta = json.loads((model_dir / "config.json").read_text())
    assert meta["config"]["epochs"] == 2 and meta["config"]["suffix_dim"] == 4
    assert meta["config"]["optimizer"] == "lazy_adam"
    assert (model_dir / "model.pb").exists()


def test_train_prints_dev_f1_per_epoch(tmp_path: Path, data_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--data", str(data_dir), "--out", str(tmp_path), *FAST,
                 "--epochs", "1", "--window", "1", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "(150 train / 40 dev sentences)" in out
    assert "window 3" in out
    assert "epoch 1: loss" in out and "dev F1" in out
    assert f"model exported to {tmp_path}" in out


def test_train_without_data_uses_the_bundled_demo_corpus(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--out", str(tmp_path), *FAST, "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "400 train / 100 dev sentences" in out and "best dev F1" in out


def test_eval_prints_the_per_type_table_and_an_f1_line(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "eval", str(model_dir), "--data", str(demo_corpus_path("test"))]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header[:4] == ["type", "precision", "recall", "f1"]
    types = {line.split()[0] for line in lines[1:5]}
    assert types == {"LOC", "MISC", "ORG", "PER"}
    f1_lines = [line for line in lines if line.startswith("F1 ")]
    assert len(f1_lines) == 1
    f1 = float(f1_lines[0].split()[1])
    assert 0.0 <= f1 <= 1.0


def test_predict_prints_entities_of_each_sentence(model_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "predict", str(model_dir), "Paris is big.", "and so ."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Paris is big."
    assert "and so ." in out
    for line in out:
        if line.startswith("  ") and line.strip() != "(no entities)":
            assert line.split()[0] in {"PER", "ORG", "LOC", "MISC"}


def test_resume_continues_from_the_cli(tmp_path: Path, data_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--data", str(data_dir), "--out", str(tmp_path), *FAST,
                 "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["ner", "train", "--data", str(data_dir), "--out", str(tmp_path), *FAST,
                 "--epochs", "2", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "epoch 2: loss" in out and "epoch 1: loss" not in out


def test_binary_variant_from_the_cli(tmp_path: Path, data_dir: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--data", str(data_dir), "--out", str(tmp_path), *FAST,
                 "--binary", "LOC"]) == 0
    capsys.readouterr()
    assert main(["ner", "eval", str(tmp_path), "--data", str(data_dir / "dev.txt")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:2]] == ["LOC"]
    assert any(line.startswith("F1 ") for line in lines)


@pytest.mark.parametrize("argv, message", [
    (["ner", "eval", "{missing}", "--data", "x.txt"], "not an exported NER model directory"),
    (["ner", "predict", "{missing}", "Paris"], "not an exported NER model directory"),
    (["ner", "train", "--data", "{empty}", "--out", "{missing}"],
     "train.txt' not found: --data must be a directory holding train.txt and dev.txt"),
])
def test_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                      message: str) -> None:
    (tmp_path / "empty").mkdir()
    argv = [a.format(missing=tmp_path / "missing", empty=tmp_path / "empty") for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("graphflow ner: error: ") and message in err


def test_eval_data_file_must_exist(model_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "eval", str(model_dir), "--data", str(tmp_path / "nope.txt")]) == 1
    assert "nope.txt" in capsys.readouterr().err


def test_train_with_data_missing_dev_fails_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_conll(tmp_path / "train.txt", load_demo_corpus("train")[:5])
    assert main(["ner", "train", "--data", str(tmp_path), "--out", str(tmp_path / "m")]) == 1
    assert "dev.txt' not found" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_train_flags_map_onto_the_model_config() -> None:
    from graphflow.cli import build_parser
    from graphflow.commands.ner import config_from_args
    from graphflow.models.window_ner import WindowNERConfig

    args = build_parser().parse_args(
        ["ner", "train", "--out", "m", "--suffix-dim", "0", "--shape-dim", "7",
         "--activation", "tanh", "--optimizer", "adam", "--learning-rate", "0.001",
         "--word-dropout", "0", "--decode", "greedy", "--freeze-embeddings", "--binary", "PER"])
    cfg = config_from_args(args)
    assert (cfg.suffix_dim, cfg.shape_dim, cfg.activation, cfg.optimizer) == (0, 7, "tanh", "adam")
    assert (cfg.learning_rate, cfg.word_dropout, cfg.decode) == (0.001, 0.0, "greedy")
    assert cfg.train_embeddings is False and cfg.binary_class == "PER"
    defaults = config_from_args(build_parser().parse_args(["ner", "train", "--out", "m"]))
    assert defaults == WindowNERConfig()


def test_preset_output_model_and_lr_decay_flags() -> None:
    from graphflow.cli import build_parser
    from graphflow.commands.ner import config_from_args
    from graphflow.models.window_ner import WindowNERConfig

    def cfg(*flags: str) -> WindowNERConfig:
        return config_from_args(build_parser().parse_args(["ner", "train", "--out", "m",
                                                           *flags]))

    assert cfg("--preset", "lecture") == WindowNERConfig.preset("lecture")
    lecture = cfg("--preset", "lecture", "--output", "crf", "--hidden", "9")  # flags win
    assert (lecture.output, lecture.hidden, lecture.suffix_dim) == ("crf", 9, 0)
    assert cfg("--output", "softmax").output == "softmax"
    assert cfg("--model", "window", "--lr-decay", "0.5").lr_decay == 0.5
    assert (cfg().gazetteer_dim, cfg().doc_topic) == (5, True)
    no_document = cfg("--gazetteer-dim", "0", "--no-doc-topic")
    assert (no_document.gazetteer_dim, no_document.doc_topic) == (0, False)
    assert cfg("--preset", "lecture", "--doc-topic").doc_topic is True
    assert (lecture.gazetteer_dim, lecture.doc_topic) == (0, False)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ner", "train", "--out", "m", "--model", "transformer"])


def test_lecture_preset_trains_a_softmax_model(tmp_path: Path, data_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--data", str(data_dir), "--out", str(tmp_path), *FAST,
                 "--epochs", "1", "--preset", "lecture"]) == 0
    out = capsys.readouterr().out
    assert "features words+casings," in out and "tanh, output softmax" in out
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta["config"]["output"] == "softmax" and "transitions" not in meta["outputs"]
    assert main(["ner", "predict", str(tmp_path), "Paris is big."]) == 0


def test_data_parallel_workers_refuse_a_crf_model(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--out", str(tmp_path), *FAST, "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert "data-parallel training (--workers/--address) supports softmax" in err
    assert "--output softmax" in err
    assert not (tmp_path / "config.json").exists()
