"""Summary ops: TF1's node names, tags, inputs and attrs; the serialized Summary each kernel
returns (values vs hand-computed / a line-by-line transliteration of TensorFlow's C++);
errors naming the node; no effect on gradients."""

from __future__ import annotations

import bisect
import struct
import sys
import zlib

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry, tensor_util
from graphflow.ops import summary_ops
from graphflow.proto import summary_pb2

DBL_MAX = sys.float_info.max


@pytest.fixture(autouse=True)
def _fresh_graph():
    with gf.Graph().as_default() as g:
        yield g


def _run(fetch, feed=None):
    with gf.Session() as sess:
        return summary_pb2.Summary.FromString(sess.run(fetch, feed))


# -- scalar --------------------------------------------------------------------------------
def test_scalar_node_tag_and_value():
    x = gf.placeholder(gf.float32, [], name="x")
    s = gf.summary.scalar("loss", x * 2.0)
    assert s.dtype == gf.string and s.shape.as_list() == []
    assert s.op.type == "ScalarSummary" and s.op.name == "loss"
    assert s.op.node_def.input[0] == "loss/tags"
    assert s.op.node_def.attr["T"].type == gf.float32.as_datatype_enum
    out = _run(s, {x: 1.25})
    assert [(v.tag, v.simple_value) for v in out.value] == [("loss", 2.5)]


def test_scalar_names_follow_tf1_summary_scope():
    x = gf.constant(1.0)
    a = gf.summary.scalar("loss", x)
    b = gf.summary.scalar("loss", x)
    with gf.name_scope("train"):
        c = gf.summary.scalar("acc", x)
    d = gf.summary.scalar("f1", x, family="dev")
    e = gf.summary.scalar("bad name!", x)
    assert [t.op.name for t in (a, b, c, d, e)] == ["loss", "loss_1", "train/acc", "dev/f1",
                                                    "bad_name_"]
    tags = [_run(t).value[0].tag for t in (a, b, c, d, e)]
    assert tags == ["loss", "loss_1", "train/acc", "dev/dev/f1", "bad_name_"]


def test_scalar_of_a_vector_uses_one_tag_per_value():
    tags = gf.constant(np.array([b"a", b"b", b"c"], dtype=object), dtype=gf.string)
    values = gf.constant(np.array([1, 2, 3], dtype=np.int32))
    s = summary_ops.op_builder.apply1("ScalarSummary", [tags, values], {"T": gf.int32})
    assert [(v.tag, v.simple_value) for v in _run(s).value] == [("a", 1.0), ("b", 2.0),
                                                                  ("c", 3.0)]


def test_scalar_shape_mismatch_fails_at_build_time():
    with pytest.raises(gf.GraphBuildError, match=r"ScalarSummary node 'loss'.*same shape"):
        gf.summary.scalar("loss", gf.constant([1.0, 2.0]))


def test_scalar_shape_mismatch_at_run_time_names_the_node():
    x = gf.placeholder(gf.float32, None, name="x")
    s = gf.summary.scalar("loss", x)
    with pytest.raises(gf.InvalidArgumentError,
                       match=r"ScalarSummary node 'loss': tags and values .* same shape"):
        _run(s, {x: np.zeros(3, np.float32)})


def test_scalar_rejects_strings():
    with pytest.raises(gf.GraphBuildError, match="real-valued"):
        gf.summary.scalar("s", gf.constant("text"))


# -- histogram -----------------------------------------------------------------------------
def _tf_buckets():
    """tensorflow/core/lib/histogram/histogram.cc InitDefaultBucketsInner, line by line."""
    buckets, neg = [], []
    v = 1.0e-12
    while v < 1.0e20:
        buckets.append(v)
        neg.append(-v)
        v *= 1.1
    buckets.append(DBL_MAX)
    neg.append(-DBL_MAX)
    return list(reversed(neg)) + [0.0] + buckets


def _tf_histogram(values):
    """Histogram::Add for each value, then EncodeToProto(preserve_zero_buckets=false)."""
    limits = _tf_buckets()
    counts = [0.0] * len(limits)
    lo, hi, num, total, squares = limits[-1], -DBL_MAX, 0.0, 0.0, 0.0
    for value in values:
        counts[bisect.bisect_right(limits, value)] += 1.0
        lo, hi = min(lo, value), max(hi, value)
        num += 1
        total += value
        squares += value * value
    out_limits, out_counts = [], []
    i = 0
    while i < len(counts):
        end, count = limits[i], counts[i]
        i += 1
        if count <= 0.0:
            while i < len(counts) and counts[i] <= 0.0:
                end, count = limits[i], counts[i]
                i += 1
        out_limits.append(end)
        out_counts.append(count)
    return lo, hi, num, total, squares, out_limits, out_counts


def test_default_buckets_are_tensorflows():
    limits = summary_ops.default_bucket_limits()
    assert limits.tolist() == _tf_buckets()
    assert limits.size == 1551 and limits[775] == 0.0


@pytest.mark.parametrize("values", [
    [0.0],
    [1.0, 2.0, 2.0, -3.5, 1e-13, 0.0, 7e5],
    list(np.random.default_rng(1).normal(0, 0.1, 500)),
    [],
], ids=["zero", "mixed", "normal", "empty"])
def test_histogram_matches_tensorflows_algorithm(values):
    x = gf.placeholder(gf.float64, [None], name="x")
    h = gf.summary.histogram("w", x)
    assert h.op.type == "HistogramSummary" and h.op.node_def.input[0] == "w/tag"
    out = _run(h, {x: np.array(values, np.float64)})
    (value,) = out.value
    histo = value.histo
    lo, hi, num, total, squares, limits, counts = _tf_histogram(values)
    assert value.tag == "w"
    assert (histo.min, histo.max, histo.num) == (lo, hi, num)
    assert histo.sum == pytest.approx(total, rel=1e-12, abs=1e-300)
    assert histo.sum_squares == pytest.approx(squares, rel=1e-12, abs=1e-300)
    assert list(histo.bucket_limit) == limits
    assert list(histo.bucket) == counts
    assert sum(histo.bucket) == len(values)


def test_histogram_of_nan_names_node_and_tag():
    x = gf.placeholder(gf.float32, [None], name="x")
    with gf.name_scope("layer"):
        h = gf.summary.histogram("act", x)
    with pytest.raises(gf.InvalidArgumentError,
                       match=r"HistogramSummary node 'layer/act': Nan in summary histogram "
                             r"for: layer/act \(1 of 3"):
        _run(h, {x: np.array([1, np.nan, 2], np.float32)})


# -- image ---------------------------------------------------------------------------------
def _decode_png(data: bytes) -> np.ndarray:
    """A minimal PNG reader for 8-bit, unfiltered images (what encode_png writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    assert depth == 8
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, channels)


def test_image_float_scaling_bad_color_and_tags():
    images = np.zeros((2, 2, 3, 3), np.float32)
    images[0] = np.arange(18, dtype=np.float32).reshape(2, 3, 3)   # all >= 0: 255 / max
    images[1] = np.linspace(-2, 1, 18, dtype=np.float32).reshape(2, 3, 3)  # mixed sign
    images[1, 0, 0, 1] = np.nan
    s = gf.summary.image("pic", gf.constant(images), max_outputs=5)
    out = _run(s)
    assert [v.tag for v in out.value] == ["pic/image/0", "pic/image/1"]
    first = out.value[0].image
    assert (first.height, first.width, first.colorspace) == (2, 3, 3)
    expect0 = (images[0] * np.float32(255.0 / 17.0)).astype(np.uint8)
    np.testing.assert_array_equal(_decode_png(first.encoded_image_string), expect0)
    finite_pixels = images[1].reshape(-1, 3)[1:]  # pixel (0, 0) has a NaN: not in the range
    top = np.float32(max(-finite_pixels.min(), finite_pixels.max()))
    expect1 = (np.nan_to_num(images[1]) * (np.float32(127.0) / top) + np.float32(128)
               ).astype(np.uint8)
    expect1[0, 0] = [255, 0, 0]  # TF's default bad_color for the pixel with a NaN
    np.testing.assert_array_equal(_decode_png(out.value[1].image.encoded_image_string),
                                  expect1)


def test_image_uint8_kept_and_single_tag():
    pixels = np.random.default_rng(2).integers(0, 256, (3, 4, 5, 1), dtype=np.uint8)
    s = gf.summary.image("gray", gf.constant(pixels), max_outputs=1)
    out = _run(s)
    assert [v.tag for v in out.value] == ["gray/image"]
    np.testing.assert_array_equal(_decode_png(out.value[0].image.encoded_image_string),
                                  pixels[0])


def test_image_png_opens_in_pillow():
    image_module = pytest.importorskip("PIL.Image")
    import io

    pixels = np.random.default_rng(3).integers(0, 256, (1, 6, 7, 4), dtype=np.uint8)
    out = _run(gf.summary.image("rgba", gf.constant(pixels)))
    with image_module.open(io.BytesIO(out.value[0].image.encoded_image_string)) as im:
        assert im.mode == "RGBA" and im.size == (7, 6)
        np.testing.assert_array_equal(np.asarray(im), pixels[0])


def test_image_channel_error_at_build_time():
    with pytest.raises(gf.GraphBuildError, match=r"ImageSummary node 'pic'.*1, 3 or 4 "
                                                 r"channels, got 2"):
        gf.summary.image("pic", gf.zeros([1, 2, 2, 2]))
    with pytest.raises(gf.GraphBuildError, match="rank 4"):
        gf.summary.image("pic", gf.zeros([2, 2, 3]))


# -- text and tensor summaries -------------------------------------------------------------
def test_text_summary_is_tensor_summary_v2_with_text_plugin():
    t = gf.summary.text("note", gf.constant(np.array([b"**bold**", b"plain"], dtype=object),
                                            dtype=gf.string))
    assert t.op.type == "TensorSummaryV2"
    assert list(t.op.node_def.input) == ["note/tag", "Const",
                                         "note/serialized_summary_metadata"]
    (value,) = _run(t).value
    assert value.tag == "note"
    assert value.metadata.plugin_data.plugin_name == "text"
    assert list(value.tensor.string_val) == [b"**bold**", b"plain"]
    assert [d.size for d in value.tensor.tensor_shape.dim] == [2]


def test_text_needs_strings():
    with pytest.raises(TypeError, match="need a string tensor"):
        gf.summary.text("note", gf.constant(1.0))


def test_tensor_summary_keeps_values_and_description():
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = gf.summary.tensor_summary("t", gf.constant(values), summary_description="six",
                                  display_name="Six")
    (value,) = _run(t).value
    assert value.metadata.summary_description == "six"
    assert value.metadata.display_name == "Six"
    np.testing.assert_array_equal(tensor_util.make_ndarray(value.tensor), values)


# -- merge ---------------------------------------------------------------------------------
def test_merge_all_collects_every_summary():
    assert gf.summary.merge_all() is None
    x = gf.placeholder(gf.float32, [None], name="x")
    gf.summary.scalar("avg", gf.reduce_mean(x))
    gf.summary.histogram("values", x)
    gf.summary.scalar("kept_out", x[0], collections=["other"])
    merged = gf.summary.merge_all()
    assert merged.op.type == "MergeSummary" and merged.op.name == "Merge/MergeSummary"
    assert merged.op.node_def.attr["N"].i == 2
    out = _run(merged, {x: np.array([1, 3], np.float32)})
    assert [v.tag for v in out.value] == ["avg", "values"]
    assert out.value[0].simple_value == 2.0 and out.value[1].histo.num == 2
    other = gf.summary.merge_all("other")
    assert [v.tag for v in _run(other, {x: np.array([5], np.float32)}).value] == ["kept_out"]


def test_merge_all_scope_filter():
    x = gf.constant(1.0)
    with gf.name_scope("a"):
        gf.summary.scalar("s", x)
    with gf.name_scope("b"):
        gf.summary.scalar("s", x)
    assert [v.tag for v in _run(gf.summary.merge_all(scope="b")).value] == ["b/s"]


def test_merge_duplicate_tags_is_an_error():
    x = gf.constant(1.0)
    a = gf.summary.scalar("loss", x)
    b = summary_ops.op_builder.apply1("ScalarSummary", [gf.constant("loss"), x],
                                      {"T": gf.float32})
    m = gf.summary.merge([a, b], name="both")
    with pytest.raises(gf.InvalidArgumentError, match="Duplicate tag loss found in summary"):
        _run(m)


def test_merge_rejects_non_string_inputs():
    with pytest.raises(gf.GraphBuildError, match="MergeSummary node .*string tensor"):
        gf.summary.merge([gf.constant(1.0)])


# -- gradients -----------------------------------------------------------------------------
@pytest.mark.parametrize("op_type", ["ScalarSummary", "HistogramSummary", "ImageSummary",
                                     "TensorSummaryV2", "MergeSummary"])
def test_summary_records_are_registered_non_differentiable(op_type):
    assert op_registry.get(op_type).differentiable is False


def test_summaries_do_not_change_gradients():
    x = gf.placeholder(gf.float64, [3], name="x")
    y = gf.reduce_sum(gf.square(x))
    gf.summary.histogram("x", x)
    gf.summary.scalar("y", y)
    merged = gf.summary.merge_all()
    (g,) = gf.gradients(y, [x])
    value = np.array([1.0, -2.0, 0.5])
    with gf.Session() as sess:
        grad, _ = sess.run([g, merged], {x: value})
    np.testing.assert_allclose(grad, 2 * value)
    assert not any(op.type.endswith("Summary") and op.name.startswith("gradients")
                   for op in gf.get_default_graph().get_operations())


# -- TensorFlow as the reference -----------------------------------------------------------
def test_tensorflow_runs_the_same_summary_graph():
    tf = pytest.importorskip("tensorflow")
    x = gf.constant(np.array([0.5, -1.0, 4.0], np.float32), name="x")
    gf.summary.scalar("avg", gf.reduce_mean(x))
    gf.summary.histogram("values", x)
    merged = gf.summary.merge_all()
    ours = _run(merged)
    graph_def = tf.compat.v1.GraphDef.FromString(
        gf.get_default_graph().as_graph_def().SerializeToString())
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            theirs = summary_pb2.Summary.FromString(sess.run(merged.name))
    assert [v.tag for v in theirs.value] == [v.tag for v in ours.value]
    assert theirs.value[0].simple_value == ours.value[0].simple_value
    assert list(theirs.value[1].histo.bucket) == list(ours.value[1].histo.bucket)
    assert list(theirs.value[1].histo.bucket_limit) == list(ours.value[1].histo.bucket_limit)
