"""What a new user expects of a Python command-line tool: ``--version``, a top-level help
that says what graphflow is, help text on every option and argument, ``-q``/``-v``
controlling the library's logging, and quiet exit when piped into ``head``."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import graphflow as gf
from graphflow.cli import build_parser, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"graphflow {gf.__version__}"


def test_top_level_help_says_what_graphflow_is(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "TensorFlow-1-style static-graph deep-learning framework" in out
    assert "``" not in out  # not a maintainer docstring
    for command in ("render", "inspect", "gradcheck", "ner"):
        assert command in out
    assert "graphflow COMMAND --help" in out


def _actions(parser: argparse.ArgumentParser, path: list[str]):
    for action in parser._actions:  # argparse offers no public walk over a parser
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, path + [name])
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield " ".join(path), action


def test_every_option_and_argument_has_help() -> None:
    missing = [f"{where}: {action.option_strings or action.dest}"
               for where, action in _actions(build_parser(), ["graphflow"])
               if not action.help or action.help == argparse.SUPPRESS
               or action.help.lstrip().startswith("(default")]
    assert not missing, "options without help text:\n" + "\n".join(missing)


@pytest.mark.parametrize("flag,level", [([], logging.INFO), (["-q"], logging.WARNING),
                                        (["--verbose"], logging.DEBUG)])
def test_quiet_and_verbose_set_the_library_log_level(tmp_path: Path, flag: list[str],
                                                     level: int) -> None:
    g = gf.Graph()
    with g.as_default():
        gf.tanh(gf.placeholder(gf.float32, [2], name="x"), name="y")
    path = gf.io.write_graph(g, tmp_path, "g.pb", as_text=False)
    assert main([*flag, "inspect", path]) == 0
    assert logging.getLogger("graphflow").level == level


def test_output_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        for _ in range(200):
            x = gf.tanh(x)
    path = gf.io.write_graph(g, tmp_path, "big.pb", as_text=False)
    proc = subprocess.Popen([sys.executable, "-m", "graphflow", "inspect", path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` that has read enough: every write now fails
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert stderr == ""


def test_quiet_and_verbose_go_before_or_after_the_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["-q", "ner", "train", "--out", "m"]).quiet is True
    late = parser.parse_args(["ner", "train", "--out", "m", "--quiet"])
    assert late.quiet is True and late.verbose is False
    plain = parser.parse_args(["ner", "train", "--out", "m"])
    assert plain.quiet is False and plain.verbose is False
    with pytest.raises(SystemExit):
        parser.parse_args(["ner", "train", "--out", "m", "-q", "-v"])


def test_quiet_training_prints_only_the_result(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ner", "train", "--out", str(tmp_path), "--epochs", "1", "--hidden", "8",
                 "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "epoch 1: loss" not in captured.out + captured.err
    assert "best dev F1" in captured.out
    assert "\r" not in captured.err  # no progress-bar frames


def test_no_progress_bar_frames_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "graphflow", "ner", "train", "--out",
                           str(tmp_path), "--epochs", "1", "--hidden", "8"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "epoch 1: loss" in done.stdout
    assert "\r" not in done.stderr and "it/s" not in done.stderr and "tok/s" not in done.stderr
