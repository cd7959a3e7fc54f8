"""``framework.blas``: the one-time BLAS warm-up runs once per process, before the first
plan compiles, and changes no product's result."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import graphflow as gf
from graphflow.framework import blas

# A fresh interpreter (its BLAS not yet warmed): products of the window-NER step's shapes
# before and after graphflow's warm-up, compared bit for bit; and the Session warms it.
_PROBE = """
import numpy as np
from graphflow.framework import blas
import graphflow as gf
rng = np.random.default_rng(0)
cases = []
for m, k, n in [(2048, 250, 200), (32, 250, 200), (250, 2048, 200), (2048, 200, 250),
                (200, 2048, 5), (32, 5, 200)]:
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    cases += [(a, b), (np.asfortranarray(a), b), (a, np.asfortranarray(b))]
before = [x @ y for x, y in cases]
assert not blas._done
with gf.Graph().as_default():
    ones = np.ones((3, 3), np.float32)
    c = gf.matmul(gf.constant(ones), gf.constant(ones))
    gf.Session().run(c)
assert blas._done, "the Session's first compile did not warm the BLAS"
after = [x @ y for x, y in cases]
print(sum(np.array_equal(p, q) for p, q in zip(before, after)), len(cases))
"""


def test_warm_up_changes_no_result_and_the_session_runs_it() -> None:
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads}
        out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        assert out == ["18", "18"], (threads, out)


def test_warm_up_runs_once(monkeypatch) -> None:
    monkeypatch.setattr(blas, "_done", False)
    calls = []
    real = np.matmul
    monkeypatch.setattr(blas.np, "matmul", lambda a, b: calls.append(a.shape) or real(a, b))
    assert blas.warm_up() is True
    assert blas.warm_up() is False
    assert calls == [blas.WARM_UP_SHAPE[:2]]


def test_warm_up_switch(monkeypatch) -> None:
    monkeypatch.setattr(blas, "_done", False)
    monkeypatch.setattr(blas, "WARM_UP", False)
    assert blas.warm_up() is False
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [2])
        assert gf.Session().run(x * 2.0, {x: np.ones(2, np.float32)}).tolist() == [2.0, 2.0]
    assert blas._done is False
