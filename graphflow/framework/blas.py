"""A one-time warm-up of numpy's BLAS, so that a process's products run at full speed.

Measured on this project's machines (AMD EPYC VMs, numpy 2.4 with OpenBLAS 0.3.31 running its
Haswell kernels, ``OPENBLAS_NUM_THREADS=1``): until the process has run one single-precision
product of roughly 64x256x512 or larger, every sgemm runs ~3.6x slower — a 2048x250 @ 250x200
product takes ~20 ms instead of ~5.7, a 32x250 @ 250x200 one 0.27 ms instead of 0.095 — and
complex64 products ~3.7x slower; afterwards they stay fast for the whole process, in every
thread. The results are bit-for-bit the same before and after (44 shape and transpose cases
checked, ``tests/framework/test_blas.py`` checks a few); double precision is unaffected, and
so is the multi-threaded OpenBLAS path. The mechanism is inside OpenBLAS and not
established here (no page faults are involved). Training steps are mostly smaller products
that never warm the library themselves, so graphflow runs one 256x512 @ 512x512 float32
product (~5-10 ms, once per process) before the first plan of a Session compiles.
``benchmarks/window_ner_step.py`` warms its hand-written reference the same way, so the
ratios it prints compare the engines, not the warm-up.
"""

from __future__ import annotations

import threading

import numpy as np

#: Off: no warm-up (``benchmarks/window_ner_step.py --cold-blas`` shows the difference).
WARM_UP = True
#: The warm-up product's shape (m, k, n): large enough to leave OpenBLAS's fast state.
WARM_UP_SHAPE = (256, 512, 512)
_done = False
_lock = threading.Lock()


def warm_up() -> bool:
    """Run the warm-up product once per process (later calls return at once). True when
    this call ran it."""
    global _done
    if _done or not WARM_UP:
        return False
    with _lock:
        if _done:
            return False
        m, k, n = WARM_UP_SHAPE
        np.matmul(np.ones((m, k), np.float32), np.ones((k, n), np.float32))
        _done = True
        return True
