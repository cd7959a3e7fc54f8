"""``graphflow gradcheck FILE.pb``: the per-node gradient check from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.cli import main
from graphflow.framework import op_registry as registry
from graphflow.ops import activation_ops
from tests.helpers import replaced_record


def _graph(path: Path) -> Path:
    rng = np.random.default_rng(0)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        with gf.name_scope("hidden"):
            w = gf.Variable(rng.normal(size=(3, 4)).astype(np.float32), name="W")
            h = gf.tanh(gf.matmul(x, w))
        with gf.name_scope("head"):
            s = gf.sigmoid(gf.reduce_sum(h * h, axis=1), name="s")
        gf.reduce_mean(gf.log(s), name="loss")
    gf.io.write_graph(g, path.parent, path.name, as_text=False)
    return path


class _BrokenSigmoid(activation_ops.Sigmoid):
    """d sigmoid(x) = g (wrong: forgets y * (1 - y))."""

    def grad(self, op, g):  # type: ignore[override]
        return [g]


@pytest.fixture()
def broken_sigmoid() -> Iterator[registry.Op]:
    with replaced_record("Sigmoid", _BrokenSigmoid()) as record:
        yield record


def test_gradcheck_passes_a_correct_graph(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _graph(tmp_path / "g.pb")
    assert main(["gradcheck", str(path), "--loss", "loss:0", "--all"]) == 0
    out = capsys.readouterr().out
    assert "per-node gradient check" in out and "toward loss:0" in out
    assert "hidden/Tanh" in out and "head/s" in out and "0 wrong" in out
    assert "FIRST WRONG" not in out


def test_gradcheck_names_the_first_wrong_node(tmp_path: Path, broken_sigmoid: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = _graph(tmp_path / "g.pb")
    feeds = tmp_path / "feeds.npz"
    np.savez(feeds, x=np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32))
    assert main(["gradcheck", str(path), "--feed", str(feeds)]) == 1
    out = capsys.readouterr().out
    assert "FIRST WRONG RULE: Sigmoid node 'head/s'" in out
    assert "random values" not in out  # x came from the file
    assert "1 wrong" in out


def test_gradcheck_reports_unreadable_files(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.pb"
    path.write_bytes(b"\x07garbage")
    assert main(["gradcheck", str(path)]) == 1
    assert "graphflow gradcheck: error:" in capsys.readouterr().err
