"""``FileWriter`` (TF1's ``tf.summary.FileWriter``): writes summaries, graphs and session
logs as ``Event`` records into an event file TensorBoard reads.

Stages of a writer's life:
  1. open ``logdir/events.out.tfevents.<seconds>.<host>[<suffix>]`` (TensorFlow's file name;
     ``.1``, ``.2``... is inserted when another writer already made that name) and write the
     first event, ``file_version = "brain.Event:2"``, so TensorBoard recognises the file;
  2. ``add_summary`` / ``add_graph`` / ``add_session_log`` / ``add_event`` append one Event
     each (wall time now, the given global step); as TensorFlow's writer, the metadata of a
     summary value is written only with the first value of its tag;
  3. records are buffered and flushed every ``max_queue`` events or ``flush_secs`` seconds,
     on ``flush()`` and on ``close()`` (also at the end of a ``with`` block).

Writing is synchronous (no background thread), so a ``flush()`` or ``close()`` returns with
every event on disk. Graphs are written with ``_output_shapes`` attrs, so TensorBoard labels
the edges with tensor shapes.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from graphflow.framework import tensor_names
from graphflow.framework.graph import Graph
from graphflow.proto import event_pb2, graph_pb2, summary_pb2
from graphflow.summary.records import RecordWriter

logger = logging.getLogger(__name__)

FILE_VERSION = "brain.Event:2"


def event_file_name(logdir: Path, suffix: str = "", now: float | None = None) -> Path:
    """A new event file path in ``logdir``: TensorFlow's
    ``events.out.tfevents.<10-digit seconds>.<hostname><suffix>``, made unique."""
    stamp = int(time.time() if now is None else now)
    base = f"events.out.tfevents.{stamp:010d}.{socket.gethostname()}"
    path = logdir / f"{base}{suffix}"
    n = 0
    while path.exists():
        n += 1
        path = logdir / f"{base}.{n}{suffix}"
    return path


class FileWriter:
    """Writes ``Event`` protocol buffers to an event file in ``logdir`` for TensorBoard.

    ``graph`` (a ``gf.Graph``, e.g. ``sess.graph``) or the deprecated ``graph_def`` is
    written at once. ``add_summary`` takes what a summary op returns from ``Session.run``
    (serialized bytes) or a ``gf.Summary`` built by hand. Use it as a context manager, or call
    ``close()``; a closed writer refuses events until ``reopen()``."""

    def __init__(self, logdir: str | os.PathLike[str], graph: Any = None, max_queue: int = 10,
                 flush_secs: float = 120, graph_def: Any = None,
                 filename_suffix: str | None = None) -> None:
        self._logdir = Path(logdir)
        self._max_queue = max(int(max_queue), 1)
        self._flush_secs = float(flush_secs)
        self._suffix = filename_suffix or ""
        self._seen_tags: set[str] = set()
        self._writer: RecordWriter | None = None
        self._open()
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    # -- files -----------------------------------------------------------------------------
    def _open(self) -> None:
        self._logdir.mkdir(parents=True, exist_ok=True)
        self._writer = RecordWriter(event_file_name(self._logdir, self._suffix))
        self._path = self._writer.path
        self._pending = 0
        self._last_flush = time.monotonic()
        logger.debug("writing events to %s", self._writer.path)
        self.add_event(event_pb2.Event(file_version=FILE_VERSION))
        self.flush()

    def get_logdir(self) -> str:
        """The directory this writer writes into."""
        return str(self._logdir)

    @property
    def path(self) -> str:
        """The event file written (the last one, after ``close()``)."""
        return str(self._path)

    def flush(self) -> None:
        """Write every buffered event to disk."""
        if self._writer is not None:
            self._writer.flush()
        self._pending = 0
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush and close the event file (a second call does nothing)."""
        if self._writer is not None:
            self.flush()
            self._writer.close()
            self._writer = None

    def reopen(self) -> None:
        """After ``close()``: start a new event file in the same directory."""
        if self._writer is None:
            self._open()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- events ----------------------------------------------------------------------------
    def add_event(self, event: event_pb2.Event) -> None:
        """Append ``event`` (its ``wall_time`` is set to now when unset)."""
        if self._writer is None:
            raise ValueError(f"this FileWriter for '{self._logdir}' is closed; call "
                             "reopen() to write a new event file")
        if not event.wall_time:
            event.wall_time = time.time()
        self._writer.write(event.SerializeToString(deterministic=True))
        self._pending += 1
        if self._pending >= self._max_queue or \
                time.monotonic() - self._last_flush >= self._flush_secs:
            self.flush()

    def _add(self, event: event_pb2.Event, global_step: Any) -> None:
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Append a Summary: serialized bytes (what a summary op returns from ``Session.run``)
        or a ``gf.Summary`` message, at ``global_step``."""
        proto = _as_summary(summary)
        for value in proto.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_tags:
                value.ClearField("metadata")  # TensorBoard needs it once per tag
            else:
                self._seen_tags.add(value.tag)
        self._add(event_pb2.Event(summary=proto), global_step)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Append a graph for TensorBoard's graph tab: a ``gf.Graph`` is written with
        ``_output_shapes`` attrs (edges labelled with shapes); a GraphDef as it is."""
        if graph is not None and graph_def is not None:
            raise ValueError("pass only graph or graph_def (deprecated), not both")
        source = graph if graph is not None else graph_def
        if isinstance(source, Graph):
            true_def = source.as_graph_def(add_shapes=True)
        elif source is not None and not isinstance(source, graph_pb2.GraphDef) and \
                callable(getattr(source, "as_graph_def", None)):
            true_def = tensor_names.as_graph_def(source.as_graph_def(add_shapes=True))
        else:
            try:
                true_def = tensor_names.as_graph_def(source)
            except TypeError:
                raise TypeError(f"add_graph() takes a gf.Graph or a GraphDef, got "
                                f"{type(source).__name__}") from None
        self._add(event_pb2.Event(graph_def=true_def.SerializeToString(deterministic=True)),
                  global_step)

    def add_session_log(self, session_log: event_pb2.SessionLog, global_step: Any = None
                        ) -> None:
        """Append a ``SessionLog`` (START/STOP/CHECKPOINT marker)."""
        self._add(event_pb2.Event(session_log=session_log), global_step)


def _as_summary(summary: Any) -> summary_pb2.Summary:
    if isinstance(summary, summary_pb2.Summary):
        out = summary_pb2.Summary()
        out.CopyFrom(summary)
        return out
    if isinstance(summary, np.ndarray) and summary.dtype == object and summary.size == 1:
        summary = summary.item()
    if isinstance(summary, (bytes, bytearray, np.bytes_)):
        out = summary_pb2.Summary()
        out.ParseFromString(bytes(summary))
        return out
    if hasattr(summary, "SerializeToString") and type(summary).__name__ == "Summary":
        return summary_pb2.Summary.FromString(summary.SerializeToString())  # TF's Summary
    raise TypeError(f"add_summary() takes a serialized Summary (the bytes a summary op "
                    f"returns from Session.run) or a gf.Summary, got {type(summary).__name__}")
