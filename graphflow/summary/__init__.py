"""``gf.summary``: TF1's ``tf.summary`` — summary ops, ``FileWriter`` and event files that
TensorBoard reads.

Build summary ops into the graph, run them with the training step, write what they return::

    loss_summary = gf.summary.scalar("loss", loss)
    gf.summary.histogram("hidden/W", W)
    merged = gf.summary.merge_all()
    with gf.summary.FileWriter("runs/tb", graph=sess.graph) as writer:
        for step in range(steps):
            _, summary = sess.run([train_op, merged], feed)
            writer.add_summary(summary, step)

then ``tensorboard --logdir runs/tb``. Hand-made values use the protos:
``gf.Summary(value=[gf.Summary.Value(tag="dev/f1", simple_value=f1)])``.

The ops (``ScalarSummary``, ``HistogramSummary``, ``ImageSummary``, ``TensorSummaryV2``,
``MergeSummary``) are TensorFlow's, in ``graphflow.ops.summary_ops``; the event files are
TFRecord-framed ``Event`` protos with masked CRC32C checksums (``records``, ``crc32c``).
"""

from graphflow.ops.summary_ops import (
    SUMMARIES,
    histogram,
    histogram_proto,
    image,
    merge,
    merge_all,
    scalar,
    tensor_summary,
    text,
)
from graphflow.proto.event_pb2 import Event, SessionLog, TaggedRunMetadata
from graphflow.proto.summary_pb2 import (
    HistogramProto,
    Summary,
    SummaryDescription,
    SummaryMetadata,
)
from graphflow.summary.reader import summary_iterator
from graphflow.summary.reports import gradient_flow_summary, histogram_summary, scalar_summary
from graphflow.summary.writer import FileWriter

# The generated message classes carry no docstrings; say what each is for (help(), pdoc).
Summary.__doc__ = """TF's ``Summary`` protocol buffer: what summary ops return (serialized) and
``FileWriter.add_summary`` writes. ``Summary(value=[Summary.Value(tag="loss",
simple_value=0.5)])`` builds one by hand; a ``Summary.Value`` holds one of ``simple_value``,
``histo`` (a ``HistogramProto``), ``image`` (``Summary.Image``), ``tensor`` (a TensorProto, e.g.
text) or ``audio``, under its ``tag``, with optional ``metadata`` (a ``SummaryMetadata``)."""
HistogramProto.__doc__ = """TF's histogram of a tensor's values: ``min``, ``max``, ``num``,
``sum``, ``sum_squares`` and parallel ``bucket_limit``/``bucket`` lists (``histogram_proto``
makes one with TensorFlow's buckets)."""
SummaryMetadata.__doc__ = """Which TensorBoard plugin reads a summary value (``plugin_data``:
``plugin_name`` and ``content``), with ``display_name``, ``summary_description`` and
``data_class``."""
SummaryDescription.__doc__ = """A ``type_hint`` for tensor summaries (TF's SummaryDescription)."""
Event.__doc__ = """One record of an event file: ``wall_time``, ``step`` and one of ``file_version``,
``graph_def`` (serialized GraphDef), ``summary``, ``session_log``, ``tagged_run_metadata``,
``meta_graph_def`` or the deprecated ``log_message``."""
SessionLog.__doc__ = """A START / STOP / CHECKPOINT marker in an event file (``status``,
``checkpoint_path``, ``msg``); ``FileWriter.add_session_log`` writes one."""
TaggedRunMetadata.__doc__ = """Per-step run metadata (a serialized RunMetadata) under a ``tag``;
declared for reading TensorFlow's files (graphflow writes none)."""

__all__ = [
    "SUMMARIES", "Event", "FileWriter", "HistogramProto", "SessionLog", "Summary",
    "SummaryDescription", "SummaryMetadata", "TaggedRunMetadata", "gradient_flow_summary",
    "histogram", "histogram_proto", "histogram_summary", "image", "merge", "merge_all",
    "scalar", "scalar_summary", "summary_iterator", "tensor_summary", "text",
]
