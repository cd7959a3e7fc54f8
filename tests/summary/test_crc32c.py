"""CRC32C and TFRecord's masked CRC: RFC 3720's test vectors, the pure-Python table against
google-crc32c (when installed) and against TensorBoard's own implementation (when
installed), on random data of many lengths."""

from __future__ import annotations

import numpy as np
import pytest

from graphflow.summary import crc32c as crc

# RFC 3720 (iSCSI), appendix B.4, plus the common "123456789" check value.
VECTORS = [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
]


@pytest.mark.parametrize("fn", [crc.crc32c_python, crc.crc32c], ids=["python", "dispatch"])
@pytest.mark.parametrize("data,expected", VECTORS, ids=[f"v{i}" for i in range(len(VECTORS))])
def test_known_vectors(fn, data, expected):
    assert fn(data) == expected


def test_python_crc_continues_across_chunks():
    data = bytes(range(256)) * 3
    assert crc.crc32c_python(data[100:], crc.crc32c_python(data[:100])) == \
        crc.crc32c_python(data)


def test_mask_is_tfrecords_rotation_plus_delta():
    value = 0x12345678
    rotated = ((value >> 15) | (value << 17)) & 0xFFFFFFFF
    assert crc.mask(value) == (rotated + 0xA282EAD8) % 2**32
    assert crc.masked_crc32c(b"123456789") == crc.mask(0xE3069283)


def _random_blobs():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, n, dtype=np.uint8).tobytes()
            for n in (1, 2, 3, 7, 8, 15, 64, 255, 1000, 4097)]


def test_python_table_matches_google_crc32c():
    google_crc32c = pytest.importorskip("google_crc32c")
    for blob in _random_blobs():
        assert crc.crc32c_python(blob) == google_crc32c.value(blob)


def test_masked_crc_matches_tensorboard():
    pytest.importorskip("tensorboard")
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    for blob in _random_blobs():
        assert crc.masked_crc32c(blob) == masked_crc32c(blob)
        assert crc.mask(crc.crc32c_python(blob)) == masked_crc32c(blob)


def test_implementation_is_reported():
    assert crc.IMPLEMENTATION in ("google-crc32c", "python")


def test_records_are_identical_with_the_pure_python_crc(monkeypatch):
    from graphflow.summary import records

    data = bytes(range(200)) * 7
    fast = records.encode_record(data)
    monkeypatch.setattr(crc, "_FAST", None)
    assert records.encode_record(data) == fast
