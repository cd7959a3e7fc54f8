"""``graphflow render FILE.pb`` from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.cli import main
from graphflow.commands.render import parse_feed

REPO = Path(__file__).resolve().parents[2]
needs_dot = pytest.mark.skipif(gf.viz.find_dot() is None and not os.environ.get("CI"),
                               reason="Graphviz's dot is not installed (apt-get install "
                                      "graphviz / brew install graphviz)")


def _lecture_pb(tmp_path: Path, as_text: bool = False) -> Path:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [], name="x")
        y = gf.placeholder(gf.float32, [], name="y")
        z = gf.placeholder(gf.float32, [], name="z")
        with gf.name_scope("lecture"):
            f = (x + y) * gf.maximum(y, z)
    assert f.name == "lecture/mul:0"
    name = "walk.pbtxt" if as_text else "walk.pb"
    return Path(gf.io.write_graph(g, tmp_path, name, as_text=as_text))


def _texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


@needs_dot
def test_values_view_end_to_end(tmp_path: Path) -> None:
    pb = _lecture_pb(tmp_path)
    out = tmp_path / "walk.svg"
    proc = subprocess.run(
        [sys.executable, "-m", "graphflow", "render", str(pb), "-o", str(out), "--feed", "x=1",
         "--feed", "y=2", "--feed", "z=0", "--grad-of", "lecture/mul:0"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stdout
    texts = _texts(out)
    for expected in ("1", "3", "6", "2 (sum 5)", "3 (sum 5)", "0",
                     "gradient of lecture/mul:0 along the edge"):
        assert expected in texts, expected
    assert "AddN" not in texts  # the gradient subgraph's nodes are hidden by default


@needs_dot
def test_structure_view_default_output_and_options(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pb = _lecture_pb(tmp_path, as_text=True)
    assert main(["render", str(pb)]) == 0
    assert "Maximum" in _texts(tmp_path / "walk.svg")
    assert main(["render", str(pb), "-o", str(tmp_path / "c.dot"), "--collapse"]) == 0
    collapsed = (tmp_path / "c.dot").read_text(encoding="utf-8")
    assert "s_lecture [" in collapsed and "n_lecture_mul" not in collapsed
    assert main(["render", str(pb), "-o", str(tmp_path / "all.dot"), "--feed", "x=1",
                 "--feed", "y=2", "--feed", "z=0", "--grad-of", "lecture/mul",
                 "--show-gradient-nodes", "--no-clusters", "--rankdir", "TB"]) == 0
    text = (tmp_path / "all.dot").read_text(encoding="utf-8")
    assert "n_gradients_lecture_mul_grad_Mul" in text and "subgraph" not in text
    assert "rankdir=TB" in text
    assert "wrote" in capsys.readouterr().out


def test_errors_are_one_clean_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pb = _lecture_pb(tmp_path)
    out = str(tmp_path / "x.dot")
    assert main(["render", str(pb), "-o", out, "--feed", "x"]) == 1
    assert "expected NAME=VALUE" in capsys.readouterr().err
    assert main(["render", str(pb), "-o", out, "--feed", "x=1", "--grad-of",
                 "lecture/mul"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("graphflow render: error:") and "'y', 'z'" in err
    assert main(["render", str(tmp_path / "missing.pb")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["render", str(pb), "-o", str(tmp_path / "x.gif")]) == 1
    assert "'.gif'" in capsys.readouterr().err


def test_missing_graphviz_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    pb = _lecture_pb(tmp_path)
    assert main(["render", str(pb), "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert main(["render", str(pb), "-o", str(tmp_path / "x.dot")]) == 0


def test_parse_feed(tmp_path: Path) -> None:
    name, value = parse_feed("x=1")
    assert name == "x" and value.shape == () and value == 1
    assert parse_feed("w = [1, 2.5]")[1].tolist() == [1, 2.5]
    assert parse_feed("m=[[1,0],[0,1]]")[1].shape == (2, 2)
    assert parse_feed("t=(1, 2)")[1].tolist() == [1, 2]
    assert np.isnan(parse_feed("n=nan")[1]) and np.isinf(parse_feed("i=-inf")[1])
    assert parse_feed("scope/x:0=3")[0] == "scope/x:0"
    np.save(tmp_path / "a.npy", np.arange(6).reshape(2, 3))
    assert parse_feed(f"a=@{tmp_path / 'a.npy'}")[1].shape == (2, 3)
    for bad in ("x", "=1", "x=", "x=hello"):
        with pytest.raises(ValueError, match="--feed"):
            parse_feed(bad)
    with pytest.raises(ValueError, match="cannot read"):
        parse_feed(f"a=@{tmp_path / 'none.npy'}")
