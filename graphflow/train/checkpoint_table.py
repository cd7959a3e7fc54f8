"""The table format of a V2 checkpoint's ``.index`` file: LevelDB's SSTable, as TensorFlow's
``tensorflow/core/lib/io/{table_builder,block_builder,format}.cc`` write it.

Stages of ``write_table(pairs)`` (keys sorted, bytewise):

1. data blocks (<= ``BLOCK_SIZE`` bytes each): entries ``varint32 shared, varint32
   non_shared, varint32 value_length, key[shared:], value`` with prefix compression against
   the previous key and a restart point (a full key) every ``RESTART_INTERVAL`` entries; the
   block ends with the restart offsets (fixed32 each) and their count (fixed32);
2. each block is followed by its trailer: 1 byte compression type (0: none) + the masked
   CRC32C (fixed32) of the block and that byte;
3. an empty meta-index block, then the index block (restart interval 1): per data block,
   the block's last key -> its handle (varint64 offset, varint64 size);
4. the 48-byte footer: the meta-index and index handles padded to 40 bytes, then the magic
   number 0xdb4775248b80fb57 (fixed64, little-endian).

``read_table(data)`` reverses it, checking every block's CRC and the magic number."""

from __future__ import annotations

import struct
from collections.abc import Iterable

from graphflow.framework.errors import DataLossError, UnimplementedError
from graphflow.summary.crc32c import crc32c, mask

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_SIZE = 262144  # TF's table::Options().block_size for tensor bundles
RESTART_INTERVAL = 16


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise DataLossError("checkpoint index: truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DataLossError("checkpoint index: malformed varint")


class _BlockBuilder:
    def __init__(self, restart_interval: int) -> None:
        self.interval = restart_interval
        self.buf = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last = b""

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.counter < self.interval:
            limit = min(len(key), len(self.last))
            while shared < limit and key[shared] == self.last[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.counter = 0
        self.buf += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        self.buf += key[shared:] + value
        self.last = key
        self.counter += 1

    def size_estimate(self) -> int:
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self) -> bytes:
        tail = b"".join(struct.pack("<I", r) for r in self.restarts)
        return bytes(self.buf) + tail + struct.pack("<I", len(self.restarts))

    @property
    def empty(self) -> bool:
        return not self.buf


def _handle(offset: int, size: int) -> bytes:
    return _varint(offset) + _varint(size)


def write_table(pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The bytes of a table holding ``pairs`` (keys must be strictly increasing)."""
    out = bytearray()
    index = _BlockBuilder(1)

    def emit(contents: bytes) -> tuple[int, int]:
        offset = len(out)
        out.extend(contents)
        out.append(0)  # kNoCompression
        out.extend(struct.pack("<I", mask(crc32c(contents + b"\x00"))))
        return offset, len(contents)

    block = _BlockBuilder(RESTART_INTERVAL)
    previous: bytes | None = None
    for key, value in pairs:
        if previous is not None and key <= previous:
            raise ValueError(f"table keys must be strictly increasing: {previous!r}, {key!r}")
        block.add(key, value)
        previous = key
        if block.size_estimate() >= BLOCK_SIZE:
            index.add(block.last, _handle(*emit(block.finish())))
            block = _BlockBuilder(RESTART_INTERVAL)
    if not block.empty:
        index.add(block.last, _handle(*emit(block.finish())))
    meta = emit(_BlockBuilder(RESTART_INTERVAL).finish())
    idx = emit(index.finish())
    handles = _handle(*meta) + _handle(*idx)
    out.extend(handles + b"\x00" * (40 - len(handles)))
    out.extend(struct.pack("<II", MAGIC & 0xFFFFFFFF, MAGIC >> 32))
    return bytes(out)


def _block(data: bytes, offset: int, size: int, what: str) -> bytes:
    if offset + size + 5 > len(data):
        raise DataLossError(f"{what}: block at {offset} (+{size}) runs past the end of the file")
    contents = data[offset:offset + size]
    kind = data[offset + size]
    (stored,) = struct.unpack_from("<I", data, offset + size + 1)
    if stored != mask(crc32c(contents + bytes([kind]))):
        raise DataLossError(f"{what}: block at offset {offset} fails its CRC32C check "
                            "(the file is corrupt)")
    if kind != 0:
        raise UnimplementedError(f"{what}: block compression type {kind} (snappy) is not "
                                 "supported; TensorFlow writes checkpoints uncompressed")
    return contents


def _entries(block: bytes, what: str) -> list[tuple[bytes, bytes]]:
    if len(block) < 4:
        raise DataLossError(f"{what}: block too short")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * num_restarts
    if end < 0:
        raise DataLossError(f"{what}: bad restart count {num_restarts}")
    out: list[tuple[bytes, bytes]] = []
    pos, key = 0, b""
    while pos < end:
        shared, pos = _read_varint(block, pos)
        non_shared, pos = _read_varint(block, pos)
        value_len, pos = _read_varint(block, pos)
        if shared > len(key) or pos + non_shared + value_len > end:
            raise DataLossError(f"{what}: corrupt block entry at {pos}")
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        out.append((key, block[pos:pos + value_len]))
        pos += value_len
    return out


def read_table(data: bytes, what: str = "checkpoint index") -> list[tuple[bytes, bytes]]:
    """Every (key, value) of a table, in key order."""
    if len(data) < FOOTER_SIZE:
        raise DataLossError(f"{what}: {len(data)} bytes is too short for a table")
    lo, hi = struct.unpack_from("<II", data, len(data) - 8)
    if (hi << 32 | lo) != MAGIC:
        raise DataLossError(f"{what}: not a table (bad magic number); is it a V2 "
                            "checkpoint's .index file?")
    footer = data[len(data) - FOOTER_SIZE:]
    pos = 0
    _meta_offset, pos = _read_varint(footer, pos)
    _meta_size, pos = _read_varint(footer, pos)
    index_offset, pos = _read_varint(footer, pos)
    index_size, pos = _read_varint(footer, pos)
    out: list[tuple[bytes, bytes]] = []
    for _, handle in _entries(_block(data, index_offset, index_size, what), what):
        offset, p = _read_varint(handle, 0)
        size, _ = _read_varint(handle, p)
        out.extend(_entries(_block(data, offset, size, what), what))
    return out
