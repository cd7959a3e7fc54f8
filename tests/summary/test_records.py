"""TFRecord framing: byte layout, round trip, and DataLossError on damage."""

from __future__ import annotations

import struct

import pytest

from graphflow.framework.errors import DataLossError
from graphflow.summary.crc32c import masked_crc32c
from graphflow.summary.records import RecordWriter, encode_record, read_records


def test_record_layout():
    data = b"hello, event"
    record = encode_record(data)
    assert len(record) == 8 + 4 + len(data) + 4
    assert struct.unpack("<Q", record[:8])[0] == len(data)
    assert struct.unpack("<I", record[8:12])[0] == masked_crc32c(record[:8])
    assert record[12:-4] == data
    assert struct.unpack("<I", record[-4:])[0] == masked_crc32c(data)


def test_round_trip(tmp_path):
    path = tmp_path / "r.tfrecord"
    blobs = [b"", b"a", bytes(range(256)) * 10, b"last"]
    writer = RecordWriter(path)
    for b in blobs:
        writer.write(b)
    writer.close()
    assert writer.closed
    assert list(read_records(path)) == blobs
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"x")


def _file(tmp_path, blobs):
    path = tmp_path / "r.tfrecord"
    path.write_bytes(b"".join(encode_record(b) for b in blobs))
    return path


def test_corrupt_data_is_reported_with_offset(tmp_path):
    path = _file(tmp_path, [b"first", b"second"])
    raw = bytearray(path.read_bytes())
    second = 8 + 4 + 5 + 4
    raw[second + 12] ^= 0x01  # flip a bit in the second record's data
    path.write_bytes(bytes(raw))
    records = read_records(path)
    assert next(records) == b"first"
    with pytest.raises(DataLossError, match=f"corrupt record data at byte {second}"):
        next(records)


def test_corrupt_length_is_reported(tmp_path):
    path = _file(tmp_path, [b"first"])
    raw = bytearray(path.read_bytes())
    raw[0] ^= 0x04
    path.write_bytes(bytes(raw))
    with pytest.raises(DataLossError, match="corrupt record length at byte 0"):
        list(read_records(path))


@pytest.mark.parametrize("cut", [3, 14, 20])
def test_truncated_file_is_reported(tmp_path, cut):
    path = _file(tmp_path, [b"first record"])
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(DataLossError, match="truncated|corrupt"):
        list(read_records(path))
