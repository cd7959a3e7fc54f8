"""numpy's BLAS threads while a Session with an inter-op worker runs.

A Session compiled for two threads (``SessionConfig(inter_op_threads=2)``, or 0 resolved to
2) runs large matrix products on its worker while the calling thread goes on, or splits one
across both (``compiler/parallel.py``): graphflow then uses the cores itself, and a BLAS
that also starts a thread per core for each product would have the two compete for them.
So a run of such a Session — compiling, binding and running its plan — has numpy's BLAS
on one thread (through ``threadpoolctl``, which finds the BLAS library numpy loaded:
OpenBLAS, MKL or BLIS), and BLAS gets its own setting back when the last such run in the
process returns, also when a step fails. All of a Session's values thus have the bits of
one BLAS thread: a BLAS may sum a product's terms in another order on another count
(OpenBLAS does, for some shapes), and results must not depend on which plan ran. The one
exception keeps that promise: a plan with nothing on the worker whose BLAS kernels were
probed to give the same bits on BLAS's own threads, and to run no slower there, skips the
hold (``runtime/own_blas.py``; ``own_threads_now``, ``on_own_and_one_thread``). A Session
with ``inter_op_threads=1`` never touches the setting.

The setting is the process's (BLAS has no per-thread one): numpy code on other threads of
the process during such a run also gets one BLAS thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import threadpoolctl

#: Off: a Session with a worker leaves numpy's BLAS threads as they are (set
#: ``OPENBLAS_NUM_THREADS=1`` yourself then, or the two kinds of threads compete); results
#: are then those of the process's BLAS setting.
LIMIT_WITH_WORKER = True

_LOCK = threading.Lock()
_controllers: list[Any] | None = None  # the BLAS libraries numpy loaded (found once)
_depth = 0  # runs inside ``single_threaded`` now, over all threads
_saved: list[int] = []  # each library's own thread count, while _depth > 0
T = TypeVar("T")


def _blas() -> list[Any]:
    """threadpoolctl's controllers of the loaded BLAS libraries (found on first use: it
    inspects the process's shared libraries, ~ms; numpy is loaded by then)."""
    global _controllers
    if _controllers is None:
        found = threadpoolctl.ThreadpoolController().select(user_api="blas")
        _controllers = list(found.lib_controllers)
    return _controllers


def controllable() -> bool:
    """Whether numpy's BLAS threads can be set at run time (a BLAS library was found)."""
    with _LOCK:
        return bool(_blas())


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0))
    return os.cpu_count() or 1


def current() -> tuple[int, ...]:
    """Each BLAS library's thread count now (a BLAS may give other bits on another count:
    a check of bit-equality holds for the count it ran with)."""
    with _LOCK:
        return tuple(c.get_num_threads() for c in _blas())


def own_threads_now() -> tuple[int, ...] | None:
    """Each BLAS library's thread count when no run holds BLAS on one thread, else None —
    a quick look without the lock (``runtime/own_blas.py`` reads it before each run; a
    run starting or ending at the same moment can only move BLAS between this count and
    one thread, and a plan may skip the hold only when its bits are the same on both)."""
    if _depth:
        return None
    return tuple([c.get_num_threads() for c in _blas()])


def on_own_and_one_thread(fn: Callable[[], T]) -> tuple[tuple[int, ...], T, T] | None:
    """(BLAS's own thread counts, ``fn()`` on them, ``fn()`` with BLAS on one thread), or
    None — nothing run — while a run holds BLAS on one thread (its results must not see
    another count). No such run starts until this returns; numpy code on other threads
    meanwhile may run on either count."""
    with _LOCK:
        if _depth:
            return None
        controllers = _blas()
        own = tuple([c.get_num_threads() for c in controllers])
        first = fn()
        try:
            _set_one_thread(controllers, own)
            second = fn()
        finally:
            _set_back(controllers, own)
        return own, first, second


class single_threaded:  # noqa: N801 - used like a function: ``with single_threaded():``
    """Context: numpy's BLAS on one thread inside, its own setting back after the last
    such context in the process exits (nested and concurrent uses are counted)."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _depth
        with _LOCK:
            if _depth == 0:
                controllers = _blas()
                _saved[:] = [c.get_num_threads() for c in controllers]
                _set_one_thread(controllers, _saved)
            _depth += 1

    def __exit__(self, *exc: object) -> None:
        global _depth
        with _LOCK:
            _depth -= 1
            if _depth == 0:
                _restore()


def _set_one_thread(controllers: list[Any], own: Sequence[int]) -> None:
    """Each library on one thread (those already on one left alone)."""
    for c, threads in zip(controllers, own):
        if threads != 1:
            c.set_num_threads(1)


def _set_back(controllers: list[Any], own: Sequence[int]) -> None:
    """Each library back on its own count ``own`` (after ``_set_one_thread``)."""
    for c, threads in zip(controllers, own):
        if threads != 1:
            c.set_num_threads(threads)


def _restore() -> None:
    _set_back(_blas(), _saved)
    _saved.clear()


def _after_fork_in_child() -> None:
    """A child forked during a run has no thread left to end it: give BLAS its setting
    back there (the child's runs count from zero)."""
    global _LOCK, _depth
    _LOCK = threading.Lock()
    if _depth:
        _depth = 0
        _restore()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
