"""``framework.blas``: the BLAS thread count graphflow reads from numpy's OpenBLAS."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from graphflow.framework import blas

_PROBE = "from graphflow.framework import blas; print(blas.thread_count(), blas.single_threaded())"


def _probe(threads: str) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": threads}
    return subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                          text=True, check=True).stdout.split()


@pytest.mark.skipif(not blas._mapped_openblas_libraries(),
                    reason="numpy's BLAS here is not a mapped OpenBLAS library")
def test_thread_count_follows_openblas_num_threads() -> None:
    assert _probe("1") == ["1", "True"]
    assert _probe("2") == ["2", "False"]


def test_unknown_blas_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blas, "_mapped_openblas_libraries", lambda: [])
    blas._thread_count_getter.cache_clear()
    blas.thread_count.cache_clear()
    try:
        assert blas.thread_count() is None
        assert blas.single_threaded() is False
    finally:
        blas._thread_count_getter.cache_clear()
        blas.thread_count.cache_clear()


def test_maps_lines_are_parsed(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    maps = tmp_path / "maps"
    maps.write_text(
        "7f00-7f01 r-xp 00000000 08:01 1 /usr/lib/libopenblasp-r0.3.21.so\n"
        "7f01-7f02 r--p 00000000 08:01 1 /usr/lib/libopenblasp-r0.3.21.so\n"
        "7f02-7f03 rw-p 00000000 00:00 0 \n"
        "7f03-7f04 r-xp 00000000 08:01 2 /usr/lib/libm.so.6\n", encoding="utf-8")
    monkeypatch.setattr(blas, "_MAPS", str(maps))
    assert blas._mapped_openblas_libraries() == ["/usr/lib/libopenblasp-r0.3.21.so"]
    monkeypatch.setattr(blas, "_MAPS", str(tmp_path / "absent"))
    assert blas._mapped_openblas_libraries() == []
