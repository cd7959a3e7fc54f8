"""The time axis of the gradient-flow report: dL/dh_t per step of an RNN through a while
loop (a zero probe added to the hidden state), its pictures and TensorBoard values."""

from __future__ import annotations

import importlib.util
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.debug import time_axis
from graphflow.ops import rnn as rnn_ops

T, B, D, H = 4, 2, 3, 3
DRIVERS = [False, pytest.param(True, marks=pytest.mark.skipif(
    not hasattr(rnn_ops, "dynamic_rnn"), reason="gf.nn.dynamic_rnn not in this tree"))]


def _values(seed: int = 0, scale: float = 1.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((T, B, D)), "c": rng.standard_normal((B, H)),
            "W": scale * rng.uniform(-1, 1, (D + H, H)), "b": rng.uniform(-0.2, 0.2, H)}


def _vanilla(values, steps=T, use_dynamic_rnn=False):
    """A BasicRNNCell with the given weights; loss = sum(h_last * c)."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [steps, B, D], name="x")
        cell = gf.nn.rnn_cell.BasicRNNCell(H, dtype=gf.float64)
        r = time_axis.probed_rnn(cell, x, use_dynamic_rnn=use_dynamic_rnn)
        loss = gf.reduce_sum(r.last_output * gf.constant(values["c"]), name="loss")
        kernel, bias = cell.trainable_variables
        init = gf.group(kernel.assign(values["W"]), bias.assign(values["b"]))
    return g, x, r, loss, init


def _numpy_bptt(values, steps=T):
    """dL/dh_t by hand: h_t = tanh([x_t, h_{t-1}] W + b), dL/dh_last = c."""
    W, b, xs = values["W"], values["b"], values["x"][:steps]
    hs, h = [], np.zeros((B, H))
    for t in range(steps):
        h = np.tanh(np.concatenate([xs[t], h], 1) @ W + b)
        hs.append(h)
    grads = [None] * steps
    g = values["c"]
    for t in reversed(range(steps)):
        grads[t] = g
        g = (g * (1 - hs[t] ** 2)) @ W[D:].T
    return np.stack(grads)


@pytest.mark.parametrize("use_dynamic_rnn", DRIVERS)
def test_vanilla_rnn_gradients_equal_hand_bptt_and_finite_differences(use_dynamic_rnn):
    values = _values()
    g, x, r, loss, init = _vanilla(values, use_dynamic_rnn=use_dynamic_rnn)
    assert r.driver == ("dynamic_rnn" if use_dynamic_rnn else "while_loop")
    with gf.Session(graph=g) as sess:
        sess.run(init)
        res = time_axis.time_axis_gradients(sess, loss, r.probe, {x: values["x"]})
        expected = _numpy_bptt(values)
        np.testing.assert_allclose(res.gradients[0], expected, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(res.norms, np.linalg.norm(expected.reshape(T, -1), axis=1),
                                   rtol=1e-10)
        # Central differences of the loss w.r.t. the probe (fed instead of its zeros).
        eps, numeric = 1e-6, np.zeros((T, B, H))
        for idx in np.ndindex(T, B, H):
            p = np.zeros((T, B, H))
            p[idx] = eps
            up = sess.run(loss, {x: values["x"], r.probe: p})
            p[idx] = -eps
            down = sess.run(loss, {x: values["x"], r.probe: p})
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(res.gradients[0], numeric, rtol=1e-6, atol=1e-9)
        # The probe's zero default leaves the forward values unchanged.
        h = sess.run(r.last_output, {x: values["x"]})
    hs = np.zeros((B, H))
    for t in range(T):
        hs = np.tanh(np.concatenate([values["x"][t], hs], 1) @ values["W"] + values["b"])
    np.testing.assert_allclose(h, hs, rtol=1e-12)
    assert res.losses[0] == pytest.approx(float(np.sum(hs * values["c"])), rel=1e-12)


@pytest.mark.parametrize("make", [lambda: gf.nn.rnn_cell.GRUCell(H, dtype=gf.float64),
                                  lambda: gf.nn.rnn_cell.BasicLSTMCell(H, dtype=gf.float64)],
                         ids=["gru", "lstm"])
@pytest.mark.parametrize("use_dynamic_rnn", DRIVERS)
def test_gated_cells_probe_gradients_equal_finite_differences(make, use_dynamic_rnn):
    values = _values(1)
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(3)
        x = gf.placeholder(gf.float64, [T, B, D], name="x")
        r = time_axis.probed_rnn(make(), x, use_dynamic_rnn=use_dynamic_rnn)
        loss = gf.reduce_sum(r.last_output * gf.constant(values["c"]))
        init = gf.global_variables_initializer()
    with gf.Session(graph=g) as sess:
        sess.run(init)
        res = time_axis.time_axis_gradients(sess, loss, r.probe, [{x: values["x"]}] * 2)
        assert len(res.losses) == 2 and res.losses[0] == res.losses[1]
        eps, numeric = 1e-6, np.zeros((T, B, H))
        for idx in np.ndindex(T, B, H):
            p = np.zeros((T, B, H))
            p[idx] = eps
            up = sess.run(loss, {x: values["x"], r.probe: p})
            p[idx] = -eps
            numeric[idx] = (up - sess.run(loss, {x: values["x"], r.probe: p})) / (2 * eps)
    np.testing.assert_allclose(res.gradients[0], numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res.norms, np.linalg.norm(numeric.reshape(T, -1), axis=1),
                               rtol=1e-5)


def test_vanilla_rnn_with_small_weights_shows_decaying_norms():
    steps = 12
    values = _values(2, scale=0.3)
    values["x"] = np.random.default_rng(5).standard_normal((steps, B, D))
    g, x, r, loss, init = _vanilla(values, steps=steps)
    with gf.Session(graph=g) as sess:
        sess.run(init)
        res = time_axis.time_axis_gradients(sess, loss, r.probe, {x: values["x"]})
    norms = np.array(res.norms)
    assert res.steps == steps
    assert np.all(np.diff(norms) > 0)  # smaller the farther from the loss
    assert norms[0] < 1e-4 * norms[-1]
    assert res.vanishing and res.ratio == pytest.approx(norms[0] / norms[-1])
    assert 0 < res.rate < 0.5  # per step back in time
    np.testing.assert_allclose(res.norms, np.linalg.norm(
        _numpy_bptt(values, steps).reshape(steps, -1), axis=1), rtol=1e-9)
    table = res.to_table(every=4)
    assert "[vanishing]" in table and "steps to loss" in table
    assert table.count("\n") == 2 + 4 + 1  # head, header + rule, t = 0, 4, 8, 11, flag


def _png_pixels(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + 3 * width)
    return rows[:, 1:].reshape(height, width, 3)


def test_pictures_written_with_every_series(tmp_path):
    series = {"vanilla RNN": [1e-6, 1e-4, 1e-2, 1.0], "GRU": [0.1, 0.2, 0.5, 1.0]}
    png = time_axis.render_time_axis(series, tmp_path / "t.png", width=400, height=300)
    pixels = _png_pixels(png.read_bytes())
    assert pixels.shape == (300, 400, 3)
    for color in time_axis.COLORS[:2]:  # each series' line is drawn
        rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
        assert (pixels == rgb).all(axis=-1).sum() > 50
    svg = time_axis.render_time_axis(series, tmp_path / "t.svg").read_text()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for color in time_axis.COLORS[:2]:  # one line per series
        assert svg.count('<polyline points="') >= 2 + 7  # + a grid line per decade 1e-6..1
        assert svg.count(f'fill="none" stroke="{color}"') == 1
    assert "vanilla RNN" in svg and "GRU" in svg and "1e-6" in svg
    with pytest.raises(ValueError, match="must end in .svg or .png"):
        time_axis.render_time_axis(series, tmp_path / "t.pdf")
    with pytest.raises(ValueError, match="no series"):
        time_axis.time_axis_svg({})


def test_tensorboard_scalars_per_step_and_picture(tmp_path):
    values = _values()
    g, x, r, loss, init = _vanilla(values)
    with gf.Session(graph=g) as sess:
        sess.run(init)
        res = time_axis.time_axis_gradients(sess, loss, r.probe, {x: values["x"]})
    with gf.summary.FileWriter(tmp_path) as writer:
        time_axis.write_time_axis(writer, {"vanilla rnn": res}, step=7)
        path = writer.path
    scalars: dict[tuple[str, int], float] = {}
    images = []
    for event in gf.summary.summary_iterator(path):
        for v in event.summary.value:
            if v.HasField("image"):
                images.append((event.step, v.tag, v.image))
            else:
                scalars[(v.tag, event.step)] = v.simple_value
    for t in range(T):
        assert scalars[("time_axis/vanilla_rnn/grad_norm", t)] == pytest.approx(
            res.norms[t], rel=1e-6)
        assert scalars[("time_axis/vanilla_rnn/log10_grad_norm", t)] == pytest.approx(
            np.log10(res.norms[t]), rel=1e-6)
    (step, tag, image), = images
    assert (step, tag) == (7, "time_axis/picture")
    assert _png_pixels(image.encoded_image_string).shape == (image.height, image.width, 3)
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea.EventAccumulator(str(tmp_path), size_guidance={ea.SCALARS: 0, ea.IMAGES: 0})
    acc.Reload()
    got = acc.Scalars("time_axis/vanilla_rnn/grad_norm")
    assert [s.step for s in got] == list(range(T))
    np.testing.assert_allclose([s.value for s in got], res.norms, rtol=1e-6)
    assert acc.Tags()["images"] == ["time_axis/picture"]


def test_errors_name_the_problem():
    values = _values()
    g, x, r, loss, init = _vanilla(values)
    with g.as_default():
        other = gf.reduce_sum(x, name="unrelated")
        with gf.Session() as sess:
            sess.run(init)
            with pytest.raises(ValueError, match="'unrelated:0' does not depend on the probe"):
                time_axis.time_axis_gradients(sess, other, r.probe, {x: values["x"]})
        one_step = gf.placeholder(gf.float64, [B, D], name="one_step")
        with pytest.raises(ValueError, match="'one_step:0' have shape .* time-major"):
            time_axis.probed_rnn(gf.nn.rnn_cell.BasicRNNCell(H), one_step)
        multi = gf.nn.rnn_cell.MultiRNNCell([gf.nn.rnn_cell.BasicRNNCell(H)] * 2)
        with pytest.raises(ValueError, match="one hidden vector per step"):
            time_axis.probed_rnn(multi, x)


@pytest.mark.parametrize("use_dynamic_rnn", DRIVERS)
def test_unknown_batch_size_probe_follows_the_fed_batch(use_dynamic_rnn):
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(4)
        x = gf.placeholder(gf.float64, [T, None, D], name="x")
        r = time_axis.probed_rnn(gf.nn.rnn_cell.GRUCell(H, dtype=gf.float64), x,
                                 use_dynamic_rnn=use_dynamic_rnn)
        loss = gf.reduce_sum(gf.square(r.last_output))
        init = gf.global_variables_initializer()
    row = np.random.default_rng(6).standard_normal((T, 1, D))
    with gf.Session(graph=g) as sess:
        sess.run(init)
        two, five = (time_axis.time_axis_gradients(sess, loss, r.probe,
                                                   {x: np.repeat(row, n, axis=1)})
                     for n in (2, 5))
    assert two.gradients[0].shape == (T, 2, H) and five.gradients[0].shape == (T, 5, H)
    # Identical rows: every row has the same dL/dh_t, so the norms grow with sqrt(batch).
    np.testing.assert_allclose(five.gradients[0][:, :2], two.gradients[0], rtol=1e-12)
    np.testing.assert_allclose(np.array(five.norms) / np.array(two.norms), np.sqrt(2.5),
                               rtol=1e-12)


def test_example_script_draws_all_three_cells(tmp_path, monkeypatch, capsys):
    path = Path(__file__).resolve().parents[2] / "examples" / "vanishing_gradients.py"
    spec = importlib.util.spec_from_file_location("vanishing_gradients_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["vanishing_gradients.py", "--steps", "6", "--batch", "4",
                                      "--units", "5", "--train", "2", "--out", str(tmp_path)])
    module.main()
    out = capsys.readouterr().out
    for name in ("vanilla RNN", "GRU", "LSTM"):
        assert out.count(f"== {name}, ") == 2  # at initialization and after training
    for name in ("vanishing_gradients", "vanishing_gradients_trained"):
        assert _png_pixels((tmp_path / f"{name}.png").read_bytes()).shape == (440, 720, 3)
        assert (tmp_path / f"{name}.svg").read_text().count("<polyline") > 3
    (events,) = (tmp_path / "tb").iterdir()
    tags = {v.tag for e in gf.summary.summary_iterator(events) for v in e.summary.value}
    assert {"time_axis/init/GRU/grad_norm", "time_axis/trained/LSTM/grad_norm",
            "time_axis/init/picture", "time_axis/trained/picture"} <= tags
