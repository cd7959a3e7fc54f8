"""TFRecord framing, the container of TensorBoard event files (and of TF's .tfrecord files).

Each record is::

    uint64 length            (little-endian)
    uint32 masked_crc32c(length bytes)
    byte   data[length]
    uint32 masked_crc32c(data)

``RecordWriter`` appends records to a file; ``read_records`` yields them back, checking
both checksums (a corrupt or truncated record raises ``DataLossError`` naming the file and
the byte offset).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from graphflow.framework.errors import DataLossError
from graphflow.summary.crc32c import masked_crc32c

_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


def encode_record(data: bytes) -> bytes:
    """One framed record holding ``data``."""
    header = _LENGTH.pack(len(data))
    return (header + _CRC.pack(masked_crc32c(header)) + data
            + _CRC.pack(masked_crc32c(data)))


class RecordWriter:
    """Appends TFRecords to ``path`` (created or truncated); buffered until ``flush``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = open(self.path, "wb")  # noqa: SIM115 - closed in close()

    @property
    def closed(self) -> bool:
        return self._file is None

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise ValueError(f"the record file '{self.path}' is closed")
        self._file.write(encode_record(data))

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_records(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """The data of every record in a TFRecord file, in order; DataLossError on a bad
    checksum or a truncated record."""
    p = Path(path)
    with open(p, "rb") as f:
        offset = 0
        while True:
            header = f.read(_LENGTH.size)
            if not header:
                return
            if len(header) < _LENGTH.size:
                raise DataLossError(f"'{p}': truncated record header at byte {offset} (the "
                                    "file was cut while being written)")
            crc = f.read(_CRC.size)
            if len(crc) < _CRC.size or _CRC.unpack(crc)[0] != masked_crc32c(header):
                raise DataLossError(f"'{p}': corrupt record length at byte {offset} (its "
                                    "checksum does not match); the file is damaged or not a "
                                    "TFRecord/event file")
            (length,) = _LENGTH.unpack(header)
            data = f.read(length)
            crc = f.read(_CRC.size)
            if len(data) < length or len(crc) < _CRC.size:
                raise DataLossError(f"'{p}': truncated record at byte {offset}: {length} "
                                    f"bytes announced, {len(data)} present")
            if _CRC.unpack(crc)[0] != masked_crc32c(data):
                raise DataLossError(f"'{p}': corrupt record data at byte {offset} (its "
                                    "checksum does not match)")
            yield data
            offset += _LENGTH.size + 2 * _CRC.size + length
