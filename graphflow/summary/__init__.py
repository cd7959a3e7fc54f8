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

__all__ = [
    "SUMMARIES", "Event", "FileWriter", "HistogramProto", "SessionLog", "Summary",
    "SummaryDescription", "SummaryMetadata", "TaggedRunMetadata", "gradient_flow_summary",
    "histogram", "histogram_proto", "histogram_summary", "image", "merge", "merge_all",
    "scalar", "scalar_summary", "summary_iterator", "tensor_summary", "text",
]
