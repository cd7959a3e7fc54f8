"""Summary ops (TF1's ``tf.summary`` ops): nodes whose output is a serialized ``Summary``
protocol buffer (a scalar string tensor) that ``gf.summary.FileWriter.add_summary`` writes to
an event file for TensorBoard.

The op types are TensorFlow's, with its inputs and attrs, so a graph with summaries runs in
TensorFlow too: ``ScalarSummary(tags, values)``, ``HistogramSummary(tag, values)``,
``ImageSummary(tag, tensor; max_images, bad_color)``, ``TensorSummaryV2(tag, tensor,
serialized_summary_metadata)`` (``gf.summary.text``) and ``MergeSummary(inputs...)``. The
builders (``scalar``, ``histogram``, ``image``, ``text``, ``tensor_summary``, ``merge``,
``merge_all``) follow TF1: the node is named after the summary and its tag is the node's full
name-scope name, and it joins the ``summaries`` collection. The values are not
differentiable (the records say so), so summaries never change a gradient.

The encoders the kernels use are public so hand-made ``Summary`` values match the ops:
``histogram_proto`` (TensorFlow's exponential buckets, runs of empty buckets collapsed as in
``Histogram::EncodeToProto``), ``image_to_uint8`` (TensorFlow's float image scaling) and
``encode_png``.
"""

from __future__ import annotations

import logging
import re
import struct
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError

from graphflow.framework import dtypes, tensor_util
from graphflow.framework.errors import InvalidArgumentError, node_error
from graphflow.framework.graph import Graph, get_default_graph
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Tensor, TensorSpec
from graphflow.ops import op_builder
from graphflow.proto import summary_pb2

logger = logging.getLogger(__name__)

#: TF1's ``tf.GraphKeys.SUMMARIES``: the collection summary builders add their output to.
SUMMARIES = "summaries"

_DBL_MAX = sys.float_info.max
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w.]")


# -- encoders ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def default_bucket_limits() -> np.ndarray:
    """TensorFlow's default histogram bucket limits: ``+-1e-12`` growing by 10% up to
    ``+-1e20``, then ``+-DBL_MAX``, and 0 in the middle (1551 limits, ascending)."""
    positive = []
    v = 1.0e-12
    while v < 1.0e20:  # repeated multiplication, as TF (not 1.1**k: the roundings differ)
        positive.append(v)
        v *= 1.1
    positive.append(_DBL_MAX)
    limits = np.array([-x for x in reversed(positive)] + [0.0] + positive, dtype=np.float64)
    limits.flags.writeable = False
    return limits


def histogram_proto(values: Any) -> summary_pb2.HistogramProto:
    """The ``HistogramProto`` TensorFlow's ``HistogramSummary`` makes of ``values`` (any
    shape, finite): value v counts in bucket i when ``limit[i-1] <= v < limit[i]``; each run
    of empty buckets is written as one bucket at the run's last limit."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    limits = default_bucket_limits()
    counts = np.bincount(np.minimum(np.searchsorted(limits, flat, side="right"),
                                    limits.size - 1), minlength=limits.size)
    proto = summary_pb2.HistogramProto(
        min=float(flat.min()) if flat.size else _DBL_MAX,
        max=float(flat.max()) if flat.size else -_DBL_MAX,
        num=float(flat.size), sum=float(flat.sum()), sum_squares=float(np.dot(flat, flat)))
    nonzero = np.flatnonzero(counts)
    keep: list[int] = []
    previous = -1
    for i in nonzero:  # the empty run before each non-empty bucket ends just before it
        if i - 1 > previous:
            keep.append(int(i) - 1)
        keep.append(int(i))
        previous = int(i)
    if previous < limits.size - 1:  # the trailing empty run (everything, if no value)
        keep.append(limits.size - 1)
    proto.bucket_limit.extend(limits[keep].tolist())
    proto.bucket.extend(counts[keep].astype(np.float64).tolist())
    return proto


def image_to_uint8(image: np.ndarray, bad_color: Sequence[int] | np.ndarray = (255, 0, 0, 255)
                   ) -> np.ndarray:
    """One ``[height, width, channels]`` image as uint8, as TensorFlow's ``ImageSummary``
    scales float images: all values >= 0 -> scaled so the largest is 255; otherwise scaled by
    127 / max|v| and shifted by 128; pixels with a NaN/Inf channel become ``bad_color``."""
    if image.dtype == np.uint8:
        return image
    work = np.float64 if image.dtype == np.float64 else np.float32
    x = image.astype(work)
    finite = np.isfinite(x).all(axis=-1)
    good = x[finite]
    lo = float(good.min()) if good.size else float("inf")
    hi = float(good.max()) if good.size else float("-inf")
    if lo < 0:
        top = max(abs(lo), abs(hi))
        scale, offset = (0.0 if top < 1e-6 else 127.0 / top), 128.0
    else:
        scale, offset = (0.0 if hi < 1e-6 else 255.0 / hi), 0.0
    with np.errstate(invalid="ignore"):
        out = (np.where(finite[..., None], x, 0) * work(scale) + work(offset)).astype(np.uint8)
    out[~finite] = np.asarray(bad_color, dtype=np.uint8)[:image.shape[-1]]
    return out


def encode_png(image: np.ndarray) -> bytes:
    """PNG file bytes of a uint8 ``[height, width, channels]`` image (1 gray, 2 gray+alpha,
    3 RGB, 4 RGBA channels): 8-bit, no filtering, zlib-compressed (stdlib only)."""
    height, width, channels = image.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # filter byte 0 per row
    rows[:, 1:] = np.ascontiguousarray(image, dtype=np.uint8).reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _serialized(summary: summary_pb2.Summary) -> np.ndarray:
    return np.array(summary.SerializeToString(deterministic=True), dtype=object)


# -- op records ----------------------------------------------------------------------------
class _SummaryOp(Op):
    """Shared parts: no gradient, one scalar string output, string tag inputs."""

    differentiable = False

    def require_string(self, ctx: InferContext, i: int, scalar: bool) -> None:
        ctx.require_dtype(i, lambda d: d == dtypes.string, "a string tensor")
        if scalar:
            ctx.require_rank(i, 0)

    def fail(self, ctx: KernelContext, message: str, fix: str | None = None) -> None:
        raise InvalidArgumentError(node_error(ctx.name, ctx.op_type, message, fix),
                                   ctx.name, ctx.op_type)


@register
class ScalarSummary(_SummaryOp):
    """Summary{value[i] = (tag = tags[i], simple_value = float(values[i]))} for every element
    of ``values``; ``tags`` has the shape of ``values`` (a scalar for one scalar)."""

    op_type = "ScalarSummary"
    input_names = ("tags", "values")
    attr_defaults = {"T": dtypes.float32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        self.require_string(ctx, 0, scalar=False)
        ctx.require_dtype(1, lambda d: d.is_numeric, "a real-valued (float or integer) tensor")
        tags, values = ctx.inputs[0].shape, ctx.inputs[1].shape
        if not tags.is_compatible_with(values):
            ctx.fail(f"tags and values must have the same shape, got {ctx.input_label(0)} "
                     f"and {ctx.input_label(1)}",
                     "pass one tag per value (a single string for a scalar value)")
        return [TensorSpec(dtypes.string, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def scalar_summary(tags: np.ndarray, values: np.ndarray) -> np.ndarray:
            tags, values = np.asarray(tags, dtype=object), np.asarray(values)
            if tags.shape != values.shape:
                self.fail(ctx, f"tags and values are not the same shape: {list(tags.shape)} "
                          f"!= {list(values.shape)}", "pass one tag per value")
            summary = summary_pb2.Summary()
            for tag, value in zip(tags.reshape(-1), values.reshape(-1)):
                summary.value.add(tag=_text(tag), simple_value=float(value))
            return _serialized(summary)
        return scalar_summary


@register
class HistogramSummary(_SummaryOp):
    """Summary{value = (tag, histo = histogram_proto(values))}; NaN/Inf values are an error
    (TensorFlow's "Nan in summary histogram for: <tag>")."""

    op_type = "HistogramSummary"
    input_names = ("tag", "values")
    attr_defaults = {"T": dtypes.float32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        self.require_string(ctx, 0, scalar=True)
        ctx.require_dtype(1, lambda d: d.is_numeric, "a real-valued (float or integer) tensor")
        return [TensorSpec(dtypes.string, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def histogram_summary(tag: Any, values: np.ndarray) -> np.ndarray:
            flat = np.asarray(values, dtype=np.float64)
            name = _text(np.asarray(tag, dtype=object).item())
            if not np.isfinite(flat).all():
                bad = int(np.size(flat) - np.isfinite(flat).sum())
                self.fail(ctx, f"Nan in summary histogram for: {name} ({bad} of "
                          f"{np.size(flat)} values are NaN or Inf)",
                          "find where they first appear with gf.Session(check_numerics=True)")
            summary = summary_pb2.Summary()
            summary.value.add(tag=name, histo=histogram_proto(flat))
            return _serialized(summary)
        return histogram_summary


@register
class ImageSummary(_SummaryOp):
    """Summary{value[i] = (tag/image/i, image = PNG of tensor[i])} for the first
    ``max_images`` images of a ``[batch, height, width, channels]`` tensor (1, 3 or 4
    channels); the tag is ``tag/image`` when ``max_images`` is 1. Float images are scaled
    as ``image_to_uint8`` says; uint8 images are written as they are."""

    op_type = "ImageSummary"
    input_names = ("tag", "tensor")
    attr_defaults = {"T": dtypes.float32, "max_images": 3,
                     "bad_color": np.array([255, 0, 0, 255], dtype=np.uint8)}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        self.require_string(ctx, 0, scalar=True)
        ctx.require_dtype(1, lambda d: d in (dtypes.uint8, dtypes.float16, dtypes.float32,
                                             dtypes.float64), "a uint8 or float tensor")
        dims = ctx.require_rank(1, 4).dims
        if dims is not None and dims[3] is not None and dims[3] not in (1, 3, 4):
            ctx.fail(f"{ctx.input_label(1)} must be [batch, height, width, channels] with 1, "
                     f"3 or 4 channels, got {dims[3]}",
                     "pass grayscale (1), RGB (3) or RGBA (4) images")
        if int(ctx.attr("max_images")) < 1:
            ctx.fail(f"max_images must be at least 1, got {ctx.attr('max_images')}")
        return [TensorSpec(dtypes.string, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        max_images = int(ctx.attr("max_images"))
        bad_color = np.asarray(ctx.attr("bad_color"), dtype=np.uint8).reshape(-1)

        def image_summary(tag: Any, tensor: np.ndarray) -> np.ndarray:
            tensor = np.asarray(tensor)
            if tensor.ndim != 4 or tensor.shape[3] not in (1, 3, 4):
                self.fail(ctx, "tensor must be 4-D [batch, height, width, channels] with 1, "
                          f"3 or 4 channels, got shape {list(tensor.shape)}")
            if tensor.dtype != np.uint8 and bad_color.size < tensor.shape[3]:
                self.fail(ctx, f"bad_color has {bad_color.size} channels, the images "
                          f"{tensor.shape[3]}", "give bad_color one value per channel")
            base = _text(np.asarray(tag, dtype=object).item())
            summary = summary_pb2.Summary()
            _, height, width, channels = tensor.shape
            for i in range(min(max_images, tensor.shape[0])):
                pixels = image_to_uint8(tensor[i], bad_color)
                value = summary.value.add(tag=f"{base}/image/{i}" if max_images > 1
                                          else f"{base}/image")
                value.image.height, value.image.width = int(height), int(width)
                value.image.colorspace = int(channels)
                value.image.encoded_image_string = encode_png(pixels)
            return _serialized(summary)
        return image_summary


@register
class TensorSummaryV2(_SummaryOp):
    """Summary{value = (tag, metadata = parsed serialized_summary_metadata, tensor =
    TensorProto of tensor)}: the generic tensor summary (``gf.summary.text`` uses it with
    the "text" plugin's metadata)."""

    op_type = "TensorSummaryV2"
    input_names = ("tag", "tensor", "serialized_summary_metadata")
    attr_defaults = {"T": dtypes.float32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        self.require_string(ctx, 0, scalar=True)
        self.require_string(ctx, 2, scalar=True)
        return [TensorSpec(dtypes.string, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        dtype = ctx.inputs[1].dtype

        def tensor_summary(tag: Any, tensor: Any, metadata: Any) -> np.ndarray:
            summary = summary_pb2.Summary()
            value = summary.value.add(tag=_text(np.asarray(tag, dtype=object).item()))
            try:
                value.metadata.ParseFromString(np.asarray(metadata, dtype=object).item())
            except DecodeError:
                self.fail(ctx, "serialized_summary_metadata is not a SummaryMetadata proto",
                          "pass SummaryMetadata(...).SerializeToString()")
            value.tensor.CopyFrom(tensor_util.make_tensor_proto(tensor, dtype=dtype))
            return _serialized(summary)
        return tensor_summary


@register
class MergeSummary(_SummaryOp):
    """One Summary holding the values of every input (string tensors of any shape, each
    element a serialized Summary); a tag seen twice is an error, as in TensorFlow."""

    op_type = "MergeSummary"
    input_names = ("*inputs",)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        if not ctx.inputs:
            ctx.fail("needs at least one input", "pass the summary tensors to merge")
        for i in range(len(ctx.inputs)):
            self.require_string(ctx, i, scalar=False)
        return [TensorSpec(dtypes.string, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        names = [spec for spec in ctx.node_def.input if not spec.startswith("^")]

        def merge_summary(*inputs: Any) -> np.ndarray:
            merged = summary_pb2.Summary()
            seen: set[str] = set()
            for source, value in zip(names, inputs):
                for data in np.asarray(value, dtype=object).reshape(-1):
                    part = summary_pb2.Summary()
                    try:
                        part.ParseFromString(data)
                    except (DecodeError, TypeError):
                        self.fail(ctx, f"input '{source}' is not a serialized Summary",
                                  "merge only the outputs of summary ops")
                    for v in part.value:
                        if v.tag in seen:
                            self.fail(ctx, f"Duplicate tag {v.tag} found in summary inputs "
                                      f"(again in '{source}')",
                                      "give each summary a distinct name")
                        seen.add(v.tag)
                        merged.value.add().CopyFrom(v)
            return _serialized(merged)
        return merge_summary


# -- builders (TF1's tf.summary) -----------------------------------------------------------
def clean_tag(name: str) -> str:
    """TF's tag cleaning: characters other than letters, digits, ``_ - . /`` become ``_``;
    leading slashes are dropped."""
    cleaned = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
    if cleaned != name:
        logger.info("summary name %s is illegal; using %s instead", name, cleaned)
    return cleaned


def _collect(graph: Graph, value: Tensor, collections: Iterable[str] | None) -> None:
    for key in ([SUMMARIES] if collections is None else collections):
        graph.add_to_collection(key, value)


def _summary_op(op_type: str, name: str, family: str | None, tensor: Any,
                build: Callable[[str, Tensor], tuple[list[Tensor], dict[str, Any]]],
                collections: Iterable[str] | None) -> Tensor:
    """TF1's ``summary_scope``: the node is ``name`` in the current scope (uniquified, under
    ``family/`` if given) and the tag is that scope (``family/`` prefixed again)."""
    tensor = op_builder.convert_to_tensor(tensor)
    graph = tensor.graph
    name, family = clean_tag(name), clean_tag(family) if family else None
    base = name if family is None else f"{family}/{name}"
    with graph.as_default(), graph.name_scope(base) as scope:
        tag = scope.rstrip("/") if family is None else f"{family}/{scope.rstrip('/')}"
        inputs, attrs = build(tag, tensor)
        out = op_builder.apply1(op_type, inputs, attrs, name=scope, graph=graph)
    _collect(graph, out, collections)
    return out


def _string(value: Any, name: str) -> Tensor:
    return op_builder.constant(value, dtype=dtypes.string, name=name)


def scalar(name: str, tensor: Any, collections: Iterable[str] | None = None,
           family: str | None = None) -> Tensor:
    """``tf.summary.scalar``: a ``ScalarSummary`` of a real-valued scalar ``tensor`` tagged
    with the node's scope name; returns the serialized ``Summary`` (a string tensor)."""
    def build(tag: str, t: Tensor) -> tuple[list[Tensor], dict[str, Any]]:
        return [_string(tag, "tags"), t], {"T": t.dtype}
    return _summary_op("ScalarSummary", name, family, tensor, build, collections)


def histogram(name: str, values: Any, collections: Iterable[str] | None = None,
              family: str | None = None) -> Tensor:
    """``tf.summary.histogram``: a ``HistogramSummary`` of all elements of ``values``."""
    def build(tag: str, t: Tensor) -> tuple[list[Tensor], dict[str, Any]]:
        return [_string(tag, "tag"), t], {"T": t.dtype}
    return _summary_op("HistogramSummary", name, family, values, build, collections)


def image(name: str, tensor: Any, max_outputs: int = 3,
          collections: Iterable[str] | None = None, family: str | None = None) -> Tensor:
    """``tf.summary.image``: PNGs of the first ``max_outputs`` images of a
    ``[batch, height, width, channels]`` uint8 or float tensor."""
    def build(tag: str, t: Tensor) -> tuple[list[Tensor], dict[str, Any]]:
        return [_string(tag, "tag"), t], {"T": t.dtype, "max_images": int(max_outputs)}
    return _summary_op("ImageSummary", name, family, tensor, build, collections)


def tensor_summary(name: str, tensor: Any, summary_description: str | None = None,
                   collections: Iterable[str] | None = None,
                   summary_metadata: summary_pb2.SummaryMetadata | None = None,
                   family: str | None = None, display_name: str | None = None) -> Tensor:
    """``tf.summary.tensor_summary``: a ``TensorSummaryV2`` holding the whole tensor with
    ``summary_metadata`` (description and display name filled in when given)."""
    metadata = summary_pb2.SummaryMetadata()
    if summary_metadata is not None:
        metadata.CopyFrom(summary_metadata)
    if summary_description is not None:
        metadata.summary_description = summary_description
    if display_name is not None:
        metadata.display_name = display_name
    serialized = metadata.SerializeToString()

    def build(tag: str, t: Tensor) -> tuple[list[Tensor], dict[str, Any]]:
        return ([_string(tag, "tag"), t, _string(serialized, "serialized_summary_metadata")],
                {"T": t.dtype})
    return _summary_op("TensorSummaryV2", name, family, tensor, build, collections)


def text(name: str, tensor: Any, collections: Iterable[str] | None = None) -> Tensor:
    """``tf.summary.text``: a string tensor (any shape; Markdown) for TensorBoard's text
    dashboard (a ``TensorSummaryV2`` with the "text" plugin's metadata)."""
    tensor = op_builder.convert_to_tensor(tensor)
    if tensor.dtype != dtypes.string:
        raise TypeError(f"gf.summary.text('{name}'): tensor '{tensor.name}' has dtype "
                        f"{tensor.dtype.name}, but text summaries need a string tensor; "
                        "format the values as strings first")
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
    return tensor_summary(name, tensor, collections=collections, summary_metadata=metadata)


def merge(inputs: Sequence[Any], collections: Iterable[str] | None = None,
          name: str | None = None) -> Tensor:
    """``tf.summary.merge``: one ``MergeSummary`` of the given summary tensors."""
    tensors = [op_builder.convert_to_tensor(t) for t in inputs]
    if not tensors:
        raise ValueError("gf.summary.merge() needs at least one summary tensor")
    graph = op_builder.graph_of(*tensors)
    with graph.as_default(), graph.name_scope(name or "Merge"):
        out = op_builder.apply1("MergeSummary", tensors, {"N": len(tensors)},
                                name=name or "MergeSummary", graph=graph)
    for key in (collections or ()):
        graph.add_to_collection(key, out)
    return out


def merge_all(key: str = SUMMARIES, scope: str | None = None,
              name: str | None = None) -> Tensor | None:
    """``tf.summary.merge_all``: merge every summary in the default graph's ``key``
    collection (optionally filtered by name ``scope``); None when there is none."""
    graph = get_default_graph()
    found = graph.get_collection(key, scope)
    if not found:
        return None
    return merge(found, name=name)
