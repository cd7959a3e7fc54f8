"""``graphflow inspect FILE.pb`` (and ``--flow``) from the command line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.cli import main


def _mlp(path: Path, weight_std: float = 1.0) -> Path:
    """x (?, 16) -> 3 tanh layers (scopes layer1..3) -> loss; written as a binary .pb."""
    rng = np.random.default_rng(0)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 16], name="x")
        y = gf.placeholder(gf.int32, [None], name="y")
        h = x
        for i in (1, 2, 3):
            with gf.name_scope(f"layer{i}"):
                w = rng.normal(0, weight_std / 4, (16, 16)).astype(np.float32)
                h = gf.tanh(gf.matmul(h, gf.Variable(w, name="W")))
        with gf.name_scope("out"):
            logits = gf.matmul(h, gf.Variable(rng.normal(0, 0.25, (16, 4)).astype(np.float32),
                                              name="W"), name="logits")
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits), name="loss")
        gf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
    gf.io.write_graph(g, path.parent, path.name, as_text=False)
    return path


def test_inspect_prints_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"graph: {path}" in out and "producer version 134" in out
    assert "parameters: 4 tensors, 832 values" in out
    assert "layer1/W" in out and "(16, 16)" in out
    assert "placeholders: 2" in out and "(?, 16)" in out
    assert "train" in out and "gradient)" in out and "MatMul" in out
    assert "gradient flow" not in out


def test_inspect_flow_prints_the_gradient_flow_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb", weight_std=6.0)
    rng = np.random.default_rng(1)
    feeds = []
    for k in range(2):
        f = tmp_path / f"batch{k}.npz"
        np.savez(f, x=rng.standard_normal((32, 16)).astype(np.float32),
                 y=rng.integers(0, 4, 32).astype(np.int32))
        feeds += ["--feed", str(f)]
    code = main(["inspect", str(path), "--flow", "--loss", "loss:0", "--learning-rate", "0.1",
                 *feeds])
    out = capsys.readouterr().out
    assert code == 0
    assert "gradient flow of 'loss:0' over 2 batch(es)" in out
    table = out[out.index("layers, input -> loss:"):]
    rows = [line.split()[0] for line in table.splitlines()[3:7]]
    assert rows == ["layer1", "layer2", "layer3", "out"]
    assert "[saturated]" in out


def test_inspect_flow_without_feeds_uses_random_values(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    assert main(["inspect", str(path), "--flow", "--loss", "loss"]) == 0
    out = capsys.readouterr().out
    assert "random feeds for x:0, y:0" in out and "gradient flow of 'loss:0'" in out


def test_inspect_warns_about_unregistered_ops(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    g = gf.Graph()
    with g.as_default():
        gf.placeholder(gf.float32, [2], name="x")
    graph_def = g.as_graph_def()
    node = graph_def.node.add(name="magic", op="SomeTFOnlyOp")
    node.input.append("x")
    path = tmp_path / "tf_only.pb"
    path.write_bytes(graph_def.SerializeToString())
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "WARNING: graphflow cannot run this graph" in out and "SomeTFOnlyOp" in out
    assert "'magic'" in out


def test_inspect_rejects_a_file_that_is_not_a_graph_def(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "junk.pb"
    path.write_bytes(b"\x00\xffnot a graph\x13")
    assert main(["inspect", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("graphflow inspect: error:") and "junk.pb" in err
    assert "not a valid binary GraphDef" in err or "not a GraphDef" in err


def test_flow_needs_a_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    assert main(["inspect", str(path), "--flow"]) == 1
    assert "--flow needs --loss" in capsys.readouterr().err


def test_inspect_flow_reads_variable_values_from_a_checkpoint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    graph = gf.io.load_graph(path)
    variables = [op for op in graph.get_operations() if op.type == "VariableV2"]
    with graph.as_default():
        trained = gf.assign(graph.get_tensor_by_name("layer1/W:0"), np.zeros((16, 16)))
    with gf.Session(graph=graph) as sess:
        sess.run([f"{op.name}/Assign" for op in variables])
        sess.run(trained)  # stands in for training
        saver = gf.train.Saver({op.name: op.outputs[0] for op in variables})
        ckpt = saver.save(sess, tmp_path / "model")
    assert main(["inspect", str(path), "--flow", "--loss", "loss:0", "--variables",
                 ckpt]) == 0
    out = capsys.readouterr().out
    section = out[out.index("variables:\n"):]
    row = next(line for line in section.splitlines() if line.strip().startswith("layer1/W "))
    assert row.split()[4] == "0"  # weight norm (after "(16, 16)") of the checkpoint's zeros
    row = next(line for line in section.splitlines() if line.strip().startswith("layer2/W "))
    assert float(row.split()[4]) > 1


def test_inspect_plan_prints_what_a_session_would_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    assert main(["inspect", str(path), "--plan", "--fetch", "loss:0", "--fetch", "train",
                 "--feed", "x=8,16", "--feed", "y=(8)"]) == 0
    out = capsys.readouterr().out
    plan = out[out.index("\nplan: "):]
    # The same plan Session.explain gives for a fresh import of the file.
    graph = gf.io.load_graph(path)
    with gf.Session(graph=graph) as sess:
        want = sess.explain(["loss:0", "train"], {"x:0": np.zeros((8, 16), np.float32),
                                                  "y:0": np.zeros(8, np.int32)})
    def unnamed(text: str) -> str:  # each generated function has its own file name
        return re.sub(r"<graphflow plan \d+>", "<plan>", text).strip()

    assert unnamed(plan) == unnamed(str(want))
    assert "feeds:\n  s0 = x:0 float32 (8, 16)\n  s1 = y:0 int32 (8,)\n" in plan
    assert "MatMul" in plan and "ApplyGradientDescent" in plan and "train" in plan
    assert "def _plan(s0, s1):" in plan and "buffers:" in plan


def test_inspect_plan_feeds_from_an_npz_and_interprets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    batch = tmp_path / "batch.npz"
    np.savez(batch, x=np.ones((3, 16), np.float32), y=np.zeros(3, np.int32))
    assert main(["inspect", str(path), "--plan", "--fetch", "loss:0", "--feed", str(batch),
                 "--interpret"]) == 0
    out = capsys.readouterr().out
    assert "x:0 float32 (3, 16)" in out and "(interpreted;" in out and "def _plan" not in out


def test_inspect_plan_shows_the_parallel_schedule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    argv = ["inspect", str(path), "--plan", "--fetch", "loss:0", "--fetch", "train",
            "--feed", "x=65536,16", "--feed", "y=(65536)"]  # 33.5 MFLOP products
    assert main([*argv, "--inter-op-threads", "2"]) == 0
    out = capsys.readouterr().out
    assert "parallel(2 threads)" in out
    assert "rows on both threads" in out or "on worker, awaited before step" in out
    assert main([*argv, "--inter-op-threads", "1"]) == 0
    serial = capsys.readouterr().out
    assert "parallel(" not in serial and "on worker" not in serial and "both threads" not in serial
    assert main(argv) == 0  # the default: what a Session chooses on this machine
    chosen = capsys.readouterr().out

    def numbered(text: str) -> str:  # generated sources are named by a running number
        return re.sub(r"plan \d+>", "plan N>", text)
    assert numbered(chosen) == numbered(out if gf.SessionConfig().threads() == 2 else serial)


@pytest.mark.parametrize(("argv", "message"), [
    (["--plan"], "--plan needs at least one --fetch NAME"),
    (["--plan", "--fetch", "loss:0"], "You must feed a value for placeholder tensor 'x'"),
    (["--plan", "--fetch", "loss:0", "--feed", "x=eight"], "'eight' is not a shape"),
    (["--plan", "--fetch", "nope:0", "--feed", "x=2,16"], "nope"),
])
def test_inspect_plan_errors_name_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], message: str) -> None:
    path = _mlp(tmp_path / "mlp.pb")
    assert main(["inspect", str(path), *argv]) == 1
    assert message in capsys.readouterr().err
