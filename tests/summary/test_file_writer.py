"""FileWriter: TensorFlow's event file name and first record, one Event per call with the
step and wall time, graphs with ``_output_shapes``, metadata once per tag, flushing,
closing; read back with graphflow's reader and with TensorBoard's own."""

from __future__ import annotations

import re
import socket
import time

import numpy as np
import pytest

import graphflow as gf
from graphflow.proto import event_pb2, graph_pb2


def _events(logdir):
    files = sorted(p for p in logdir.iterdir() if "tfevents" in p.name)
    assert len(files) == 1, files
    return list(gf.summary.summary_iterator(files[0]))


def test_file_name_and_first_event(tmp_path):
    before = time.time()
    with gf.summary.FileWriter(tmp_path / "run", filename_suffix=".v2") as writer:
        pass
    (path,) = (tmp_path / "run").iterdir()
    assert writer.path == str(path)
    match = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)\.v2", path.name)
    assert match and match.group(2) == socket.gethostname()
    assert int(before) <= int(match.group(1)) <= time.time()
    (first,) = _events(tmp_path / "run")
    assert first.file_version == "brain.Event:2"
    assert before <= first.wall_time <= time.time()


def test_summaries_graph_and_session_log_in_order(tmp_path):
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        w = gf.Variable(np.ones((3, 2), np.float32), name="w")
        y = gf.matmul(x, w, name="y")
        gf.summary.scalar("loss", gf.reduce_mean(y))
        merged = gf.summary.merge_all()
        init = gf.global_variables_initializer()
    with gf.Session(graph=graph) as sess, gf.summary.FileWriter(tmp_path, graph) as writer:
        sess.run(init)
        for step in (1, 5):
            writer.add_summary(sess.run(merged, {x: np.full((2, 3), step, np.float32)}), step)
        hand = gf.Summary(value=[gf.Summary.Value(tag="dev/f1", simple_value=0.75)])
        writer.add_summary(hand, global_step=5)
        writer.add_session_log(gf.summary.SessionLog(status=gf.summary.SessionLog.STOP), 6)
    events = _events(tmp_path)
    kinds = [e.WhichOneof("what") for e in events]
    assert kinds == ["file_version", "graph_def", "summary", "summary", "summary",
                     "session_log"]
    assert [e.step for e in events] == [0, 0, 1, 5, 5, 6]
    assert [v.simple_value for e in events[2:4] for v in e.summary.value] == [3.0, 15.0]
    assert events[4].summary.value[0].tag == "dev/f1"
    assert events[5].session_log.status == event_pb2.SessionLog.STOP
    times = [e.wall_time for e in events]
    assert times == sorted(times)
    graph_def = graph_pb2.GraphDef.FromString(events[1].graph_def)
    shapes = {n.name: n.attr["_output_shapes"] for n in graph_def.node}
    assert [[d.size for d in s.dim] for s in shapes["y"].list.shape] == [[-1, 2]]
    assert [[d.size for d in s.dim] for s in shapes["w"].list.shape] == [[3, 2]]


def test_graph_def_is_written_as_given(tmp_path):
    graph_def = graph_pb2.GraphDef()
    graph_def.node.add(name="c", op="Const")
    with gf.summary.FileWriter(tmp_path, graph_def=graph_def):
        pass
    assert graph_pb2.GraphDef.FromString(_events(tmp_path)[1].graph_def) == graph_def
    with pytest.raises(ValueError, match="only graph or graph_def"):
        gf.summary.FileWriter(tmp_path / "x", graph=gf.Graph(), graph_def=graph_def)
    with pytest.raises(TypeError, match="gf.Graph or a GraphDef"):
        gf.summary.FileWriter(tmp_path / "y").add_graph(42)


def test_metadata_written_once_per_tag(tmp_path):
    with gf.Graph().as_default():
        note = gf.summary.text("note", gf.constant("hi"))
        with gf.Session() as sess:
            data = sess.run(note)
    with gf.summary.FileWriter(tmp_path) as writer:
        writer.add_summary(data, 1)
        writer.add_summary(data, 2)
    first, second = (e.summary.value[0] for e in _events(tmp_path)[1:])
    assert first.metadata.plugin_data.plugin_name == "text"
    assert not second.HasField("metadata")
    assert second.tensor.string_val == [b"hi"]


def test_flush_and_max_queue(tmp_path):
    writer = gf.summary.FileWriter(tmp_path, max_queue=2, flush_secs=1e9)
    value = gf.Summary(value=[gf.Summary.Value(tag="a", simple_value=1.0)])
    writer.add_summary(value, 1)
    assert len(_events(tmp_path)) == 1  # buffered
    writer.add_summary(value, 2)
    assert len(_events(tmp_path)) == 3  # max_queue reached: flushed
    writer.add_summary(value, 3)
    writer.flush()
    assert len(_events(tmp_path)) == 4
    writer.close()
    writer.close()  # a second close does nothing


def test_closed_writer_refuses_events_until_reopened(tmp_path):
    writer = gf.summary.FileWriter(tmp_path)
    writer.close()
    with pytest.raises(ValueError, match="closed; call reopen"):
        writer.add_summary(gf.Summary(), 1)
    first = writer.path
    writer.reopen()
    writer.add_summary(gf.Summary(value=[gf.Summary.Value(tag="a", simple_value=2.0)]), 3)
    writer.close()
    assert writer.path != first and writer.get_logdir() == str(tmp_path)
    files = sorted(p for p in tmp_path.iterdir())
    assert len(files) == 2


def test_two_writers_in_one_directory_use_two_files(tmp_path):
    with gf.summary.FileWriter(tmp_path) as a, gf.summary.FileWriter(tmp_path) as b:
        assert a.path != b.path


def test_add_summary_rejects_other_values(tmp_path):
    with gf.summary.FileWriter(tmp_path) as writer:
        with pytest.raises(TypeError, match="serialized Summary"):
            writer.add_summary(3.5)


def test_tensorflow_reads_the_event_file(tmp_path):
    tf = pytest.importorskip("tensorflow")
    with gf.summary.FileWriter(tmp_path) as writer:
        writer.add_summary(gf.Summary(value=[gf.Summary.Value(tag="a", simple_value=1.5)]), 3)
    (path,) = tmp_path.iterdir()
    events = list(tf.compat.v1.train.summary_iterator(str(path)))
    assert events[0].file_version == "brain.Event:2"
    assert (events[1].step, events[1].summary.value[0].simple_value) == (3, 1.5)
