"""V2 checkpoints: the SSTable index (blocks, restarts, prefix compression, CRCs, footer),
the tensor bundle, the ``checkpoint`` state file, Saver's bookkeeping, old ``.npz`` files."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import DataLossError, NotFoundError
from graphflow.summary.crc32c import crc32c, crc32c_python, mask
from graphflow.train import checkpoint_bundle, checkpoint_crc, checkpoint_table


def test_table_round_trip_across_blocks_and_restarts(monkeypatch) -> None:
    monkeypatch.setattr(checkpoint_table, "BLOCK_SIZE", 300)  # force several data blocks
    pairs = [(f"layer{i // 7:02d}/var_{i:03d}".encode(), bytes([i % 256]) * (i % 13))
             for i in range(200)]
    data = checkpoint_table.write_table(pairs)
    assert checkpoint_table.read_table(data) == pairs
    lo, hi = struct.unpack("<II", data[-8:])
    assert hi << 32 | lo == 0xDB4775248B80FB57


def test_table_block_layout_is_leveldb() -> None:
    """One data block with two keys sharing a prefix: entry bytes, restart array, trailer."""
    data = checkpoint_table.write_table([(b"ab", b"1"), (b"abc", b"22")])
    block = bytes([0, 2, 1]) + b"ab1" + bytes([2, 1, 2]) + b"c22" + struct.pack("<II", 0, 1)
    assert data[:len(block)] == block
    assert data[len(block)] == 0  # no compression
    assert struct.unpack("<I", data[len(block) + 1:len(block) + 5])[0] == \
        mask(crc32c(block + b"\x00"))
    assert len(data) == len(block) + 5 + (8 + 5) + (len(b"abc") + 3 + 2 + 8 + 5) + 48


def test_table_refuses_unsorted_keys_and_corruption() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        checkpoint_table.write_table([(b"b", b""), (b"a", b"")])
    data = bytearray(checkpoint_table.write_table([(b"k", b"value")]))
    data[3] ^= 0xFF
    with pytest.raises(DataLossError, match="CRC32C"):
        checkpoint_table.read_table(bytes(data))
    with pytest.raises(DataLossError, match="magic"):
        checkpoint_table.read_table(b"\x00" * 60)


def test_bundle_round_trip_every_dtype(tmp_path) -> None:
    tensors = {"f32": np.arange(6, dtype=np.float32).reshape(2, 3),
               "f64": np.array(np.pi), "f16": np.array([1.5, -2], dtype=np.float16),
               "i32": np.array([[-1, 2]], dtype=np.int32), "i64": np.array([2 ** 40]),
               "u8": np.array([255], dtype=np.uint8), "b": np.array([True, False]),
               "scope/empty": np.zeros((0, 4), dtype=np.float32)}
    files = checkpoint_bundle.write_bundle(tmp_path / "ck", tensors)
    assert [p.split("/")[-1] for p in files] == ["ck.index", "ck.data-00000-of-00001"]
    back = checkpoint_bundle.read_bundle(tmp_path / "ck")
    assert sorted(back) == sorted(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k], v)
    raw = (tmp_path / "ck.data-00000-of-00001").read_bytes()
    assert len(raw) == sum(v.nbytes for v in tensors.values())


def test_bundle_detects_corrupt_data(tmp_path) -> None:
    checkpoint_bundle.write_bundle(tmp_path / "ck", {"w": np.ones(4, dtype=np.float32)})
    data = tmp_path / "ck.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[0] ^= 1
    data.write_bytes(bytes(raw))
    with pytest.raises(DataLossError, match="'w'.*CRC32C"):
        checkpoint_bundle.read_bundle(tmp_path / "ck")
    with pytest.raises(NotFoundError, match="does not exist"):
        checkpoint_bundle.read_bundle(tmp_path / "nope")


def _model():
    graph = gf.Graph()
    with graph.as_default():
        with gf.variable_scope("layer"):
            w = gf.get_variable("W", [2, 3], initializer=gf.random_normal_initializer(seed=1))
        step = gf.train.get_or_create_global_step()
    return graph, w, step


def test_saver_writes_tf_files_and_state(tmp_path) -> None:
    graph, w, step = _model()
    with graph.as_default(), gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        saver = gf.train.Saver(max_to_keep=2)
        paths = [saver.save(sess, str(tmp_path / "model.ckpt"), global_step=s)
                 for s in (1, 2, 3)]
        want = sess.run(w)
    assert paths[-1] == str(tmp_path / "model.ckpt-3")
    assert not (tmp_path / "model.ckpt-1.index").exists()  # max_to_keep=2
    assert (tmp_path / "model.ckpt-2.index").exists()
    text = (tmp_path / "checkpoint").read_text()
    assert text.startswith(f'model_checkpoint_path: "{tmp_path}/model.ckpt-3"\n')
    assert text.count("all_model_checkpoint_paths:") == 2
    state = gf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == paths[-1]
    assert list(state.all_model_checkpoint_paths) == paths[1:]
    assert gf.train.latest_checkpoint(str(tmp_path)) == paths[-1]
    assert gf.train.checkpoint_exists(paths[-1]) and not gf.train.checkpoint_exists(paths[0])
    values = gf.train.load_checkpoint(paths[-1])
    assert sorted(values) == ["global_step", "layer/W"]
    np.testing.assert_array_equal(values["layer/W"], want)


def test_relative_state_paths_are_joined_with_the_directory(tmp_path) -> None:
    graph, w, _ = _model()
    with graph.as_default(), gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        gf.train.Saver(save_relative_paths=True).save(sess, str(tmp_path / "m"))
    assert (tmp_path / "checkpoint").read_text().startswith('model_checkpoint_path: "m"\n')
    assert gf.train.latest_checkpoint(tmp_path) == str(tmp_path / "m")
    assert gf.train.get_checkpoint_state(tmp_path / "missing") is None
    assert gf.train.latest_checkpoint(tmp_path / "missing") is None


def test_restore_names_a_missing_key(tmp_path) -> None:
    graph, w, _ = _model()
    with graph.as_default(), gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        path = gf.train.Saver([w]).save(sess, str(tmp_path / "m"))
        other = gf.Variable(1.0, name="other")
        with pytest.raises(NotFoundError, match="Key other not found in checkpoint"):
            gf.train.Saver([other]).restore(sess, path)


def test_old_npz_checkpoints_still_load(tmp_path) -> None:
    graph, w, _ = _model()
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.savez(tmp_path / "old.npz", __names__=np.array(json.dumps(["layer/W"])), v0=value)
    (tmp_path / "checkpoint").write_text(json.dumps({"latest": "old.npz"}) + "\n")
    assert gf.train.latest_checkpoint(tmp_path) == str(tmp_path / "old.npz")
    with graph.as_default(), gf.Session() as sess:
        gf.train.Saver([w]).restore(sess, tmp_path / "old.npz")
        np.testing.assert_array_equal(sess.run(w), value)
        gf.train.Saver([w]).restore(sess, tmp_path / "old")  # the prefix finds old.npz
    assert list(gf.train.load_checkpoint(tmp_path / "old")) == ["layer/W"]


@pytest.mark.parametrize("n", [0, 1, 7, 100, 4099, 70001])
def test_chunked_crc32c_equals_the_reference(n) -> None:
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    want = crc32c_python(data)
    assert checkpoint_crc.crc32c_chunked(data) == want
    for chunks in (1, 2, 3, 64):
        assert checkpoint_crc.crc32c_chunked(data, chunks) == want
    assert checkpoint_crc.crc32c(data) == want
    assert crc32c_python(b"123456789") == 0xE3069283  # RFC 3720's check value
