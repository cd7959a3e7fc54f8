"""CRC32C of checkpoint tensors (megabytes, where the pure-Python CRC of ``summary.crc32c``
runs at ~1.5 MB/s): google-crc32c when installed, else for large inputs a numpy version that
runs the byte-at-a-time table algorithm on ``k`` chunks in lockstep (one vectorized step per
byte position) and folds the chunk CRCs together with the linear "advance over ``L`` zero
bytes" operator (a 32x32 bit matrix, built by running the 32 basis registers through ``L``
zero bytes). Small inputs use ``summary.crc32c`` directly. ``crc32c_chunked`` equals
``crc32c_python`` on every input (``tests/train/test_checkpoint_v2.py``)."""

from __future__ import annotations

import numpy as np

from graphflow.summary import crc32c as _crc

_MIN_CHUNKED = 1 << 16


def _byte_table() -> np.ndarray:
    """T[b]: the register after one zero-init step on byte b (the reflected 0x82F63B78 table)."""
    table = np.zeros(256, dtype=np.uint32)
    for b in range(256):
        crc = b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table[b] = crc
    return table


_T = _byte_table()


def crc32c_chunked(data: bytes, chunks: int | None = None) -> int:
    """CRC32C of ``data`` with numpy (any length; ``chunks`` defaults to ~sqrt(len))."""
    n = len(data)
    k = chunks or max(1, int(np.sqrt(n)))
    length = n // k
    if length == 0:
        return _crc.crc32c_python(data)
    body = np.frombuffer(data, dtype=np.uint8, count=k * length).reshape(k, length)
    regs = np.zeros(k, dtype=np.uint32)
    regs[0] = 0xFFFFFFFF  # the standard initial register, on the first chunk only
    basis = (np.uint32(1) << np.arange(32, dtype=np.uint32)).astype(np.uint32)
    for j in range(length):
        regs = _T[(regs ^ body[:, j]) & 0xFF] ^ (regs >> 8)
        basis = _T[basis & 0xFF] ^ (basis >> 8)  # advance the basis over one zero byte
    shifts = np.arange(32, dtype=np.uint32)
    crc = int(regs[0])
    for r in regs[1:]:
        bits = (np.uint32(crc) >> shifts) & 1
        crc = int(np.bitwise_xor.reduce(basis[bits.astype(bool)])) if bits.any() else 0
        crc ^= int(r)
    # the tail (< k bytes) continues from the folded register
    return _crc.crc32c_python(data[k * length:], crc ^ 0xFFFFFFFF)


def crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli) of ``data``, fast for large inputs without google-crc32c."""
    if _crc.IMPLEMENTATION != "python" or len(data) < _MIN_CHUNKED:
        return _crc.crc32c(data)
    return crc32c_chunked(data)


mask = _crc.mask
