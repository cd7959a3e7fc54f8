"""summary.proto / event.proto keep TensorFlow's field numbers, types and enum values, so the
bytes graphflow writes are TensorFlow's Summary and Event messages (and TensorBoard reads them).

The numbers below are TensorFlow's (tensorflow/core/framework/summary.proto,
tensorflow/core/util/event.proto); where TensorBoard is installed, the whole descriptor is also
compared against TensorBoard's own copy of TensorFlow's protos."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2

from graphflow.proto import event_pb2, summary_pb2
from tests.helpers import field_numbers

TF_FIELDS = {
    summary_pb2.HistogramProto: {"min": 1, "max": 2, "num": 3, "sum": 4, "sum_squares": 5,
                                 "bucket_limit": 6, "bucket": 7},
    summary_pb2.SummaryDescription: {"type_hint": 1},
    summary_pb2.SummaryMetadata: {"plugin_data": 1, "display_name": 2,
                                  "summary_description": 3, "data_class": 4},
    summary_pb2.SummaryMetadata.PluginData: {"plugin_name": 1, "content": 2},
    summary_pb2.Summary: {"value": 1},
    summary_pb2.Summary.Image: {"height": 1, "width": 2, "colorspace": 3,
                                "encoded_image_string": 4},
    summary_pb2.Summary.Audio: {"sample_rate": 1, "num_channels": 2, "length_frames": 3,
                                "encoded_audio_string": 4, "content_type": 5},
    summary_pb2.Summary.Value: {"node_name": 7, "tag": 1, "metadata": 9, "simple_value": 2,
                                "obsolete_old_style_histogram": 3, "image": 4, "histo": 5,
                                "audio": 6, "tensor": 8},
    event_pb2.Event: {"wall_time": 1, "step": 2, "file_version": 3, "graph_def": 4,
                      "summary": 5, "log_message": 6, "session_log": 7,
                      "tagged_run_metadata": 8, "meta_graph_def": 9, "source_metadata": 10},
    event_pb2.SourceMetadata: {"writer": 1},
    event_pb2.LogMessage: {"level": 1, "message": 2},
    event_pb2.SessionLog: {"status": 1, "checkpoint_path": 2, "msg": 3},
    event_pb2.TaggedRunMetadata: {"tag": 1, "run_metadata": 2},
}


@pytest.mark.parametrize("message", list(TF_FIELDS), ids=lambda m: m.DESCRIPTOR.full_name)
def test_field_numbers_match_tensorflow(message):
    assert field_numbers(message) == TF_FIELDS[message]


def test_oneofs_and_enums_match_tensorflow():
    value = summary_pb2.Summary.Value.DESCRIPTOR.oneofs_by_name["value"]
    assert {f.name for f in value.fields} == {"simple_value", "obsolete_old_style_histogram",
                                             "image", "histo", "audio", "tensor"}
    what = event_pb2.Event.DESCRIPTOR.oneofs_by_name["what"]
    assert {f.name for f in what.fields} == {"file_version", "graph_def", "summary",
                                            "log_message", "session_log",
                                            "tagged_run_metadata", "meta_graph_def"}
    assert dict(summary_pb2.DataClass.items()) == {
        "DATA_CLASS_UNKNOWN": 0, "DATA_CLASS_SCALAR": 1, "DATA_CLASS_TENSOR": 2,
        "DATA_CLASS_BLOB_SEQUENCE": 3}
    assert dict(event_pb2.SessionLog.SessionStatus.items()) == {
        "STATUS_UNSPECIFIED": 0, "START": 1, "STOP": 2, "CHECKPOINT": 3}
    assert dict(event_pb2.LogMessage.Level.items()) == {
        "UNKNOWN": 0, "DEBUGGING": 10, "INFO": 20, "WARN": 30, "ERROR": 40, "FATAL": 50}
    sv = summary_pb2.Summary.Value.DESCRIPTOR.fields_by_name["simple_value"]
    assert sv.type == sv.TYPE_FLOAT  # float32 on the wire, as TensorFlow
    assert summary_pb2.Summary.Value.DESCRIPTOR.fields_by_name["tensor"].message_type \
        .full_name == "graphflow.TensorProto"


def test_wire_bytes_are_tensorflow_layout():
    """A hand-assembled Event (bytes as TensorFlow writes a scalar) parses field by field."""
    # Event { wall_time: 1.5 step: 7 summary { value { tag: "loss" simple_value: 0.25 } } }
    value = b"\x0a\x04loss" + b"\x15" + bytes.fromhex("0000803e")  # float 0.25
    summary = b"\x0a" + bytes([len(value)]) + value
    data = (b"\x09" + bytes.fromhex("000000000000f83f") + b"\x10\x07"
            + b"\x2a" + bytes([len(summary)]) + summary)
    event = event_pb2.Event.FromString(data)
    assert event.wall_time == 1.5 and event.step == 7
    assert event.summary.value[0].tag == "loss"
    assert event.summary.value[0].simple_value == 0.25


def _file_proto(module) -> descriptor_pb2.FileDescriptorProto:
    fdp = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(fdp)
    return fdp


def _fields(fdp: descriptor_pb2.FileDescriptorProto) -> dict[str, tuple]:
    """message path -> sorted (name, number, label, type, type name without package)."""
    out: dict[str, tuple] = {}

    def walk(msg, prefix=""):
        path = prefix + msg.name
        out[path] = tuple(sorted((f.name, f.number, f.label, f.type,
                                  f.type_name.rpartition(".")[2]) for f in msg.field))
        for nested in msg.nested_type:
            if not nested.options.map_entry:
                walk(nested, path + ".")

    for msg in fdp.message_type:
        walk(msg)
    return out


def test_descriptors_match_tensorboards_copy_of_tensorflows_protos():
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2 as tb_event
    from tensorboard.compat.proto import histogram_pb2 as tb_histogram
    from tensorboard.compat.proto import summary_pb2 as tb_summary

    ours = {**_fields(_file_proto(summary_pb2)), **_fields(_file_proto(event_pb2))}
    theirs = {**_fields(_file_proto(tb_summary)), **_fields(_file_proto(tb_histogram)),
              **_fields(_file_proto(tb_event))}
    for name, fields in ours.items():
        assert theirs[name] == fields, name
    # The messages graphflow leaves out are TensorFlow's distributed-runtime heartbeats.
    assert set(theirs) - set(ours) == {"WatchdogConfig", "RequestedExitCode",
                                       "WorkerHeartbeatRequest", "WorkerHeartbeatResponse"}
