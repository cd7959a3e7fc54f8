"""TensorBoard itself reads graphflow's event files: its EventAccumulator (which checks the
TFRecord checksums) sees the scalars, histograms, images, text and the graph with shapes.
Skipped when tensorboard is not installed (the test extra installs it)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


@pytest.fixture
def logdir(tmp_path):
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        with gf.name_scope("layer"):
            w = gf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2) / 8, name="W")
            h = gf.tanh(gf.matmul(x, w), name="h")
        loss = gf.reduce_mean(gf.square(h), name="objective")
        gf.summary.scalar("loss", loss)
        gf.summary.histogram("layer/weights", w)
        gf.summary.image("input", gf.reshape(x, [-1, 2, 2, 1]), max_outputs=1)
        gf.summary.text("note", gf.constant("step *done*"))
        merged = gf.summary.merge_all()
        init = gf.global_variables_initializer()
    losses = []
    with gf.Session(graph=graph) as sess, gf.summary.FileWriter(tmp_path, graph) as writer:
        sess.run(init)
        for step in range(3):
            feed = {x: np.full((2, 4), step + 1, np.float32)}
            value, summary = sess.run([loss, merged], feed)
            losses.append(float(value))
            writer.add_summary(summary, step)
    return tmp_path, losses


def test_tensorboard_reads_scalars_histograms_images_text_and_graph(logdir):
    path, losses = logdir
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={
        event_accumulator.TENSORS: 0, event_accumulator.SCALARS: 0})
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"]
    assert tags["histograms"] == ["layer/weights"]
    assert tags["images"] == ["input/image"]
    assert "note" in tags["tensors"]
    assert tags["graph"] is True

    scalars = acc.Scalars("loss")
    assert [s.step for s in scalars] == [0, 1, 2]
    np.testing.assert_allclose([s.value for s in scalars], losses, rtol=1e-6)

    histo = acc.Histograms("layer/weights")[-1].histogram_value
    weights = np.arange(8) / 8
    assert (histo.min, histo.max, histo.num) == (0.0, 0.875, 8)
    assert histo.sum == pytest.approx(weights.sum())
    assert histo.sum_squares == pytest.approx((weights ** 2).sum())
    assert sum(histo.bucket) == 8

    image = acc.Images("input/image")[0]
    assert (image.width, image.height) == (2, 2)
    assert image.encoded_image_string.startswith(b"\x89PNG")

    text = acc.Tensors("note")[0].tensor_proto
    assert text.string_val == [b"step *done*"]
    assert acc.SummaryMetadata("note").plugin_data.plugin_name == "text"

    graph_def = acc.Graph()
    nodes = {n.name: n for n in graph_def.node}
    assert {"x", "layer/W", "layer/h", "objective", "loss", "Merge/MergeSummary"} <= set(nodes)
    shape = nodes["layer/h"].attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [-1, 2]
