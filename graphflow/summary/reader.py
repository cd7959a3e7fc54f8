"""Reading event files back: ``summary_iterator`` (TF1's ``tf.train.summary_iterator``)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from google.protobuf.message import DecodeError

from graphflow.framework.errors import DataLossError
from graphflow.proto import event_pb2
from graphflow.summary.records import read_records


def summary_iterator(path: str | os.PathLike[str]) -> Iterator[event_pb2.Event]:
    """Every ``Event`` of an event file, in order (checksums checked; DataLossError names
    the file when a record is corrupt or is not an Event)."""
    for i, data in enumerate(read_records(path)):
        try:
            yield event_pb2.Event.FromString(data)
        except DecodeError:
            raise DataLossError(f"'{path}': record {i} is not an Event") from None
