"""What graphflow knows about numpy's BLAS at run time: how many threads it runs a product on.

numpy links OpenBLAS (the ``scipy-openblas`` build of its wheels, or a system one) but does
not say how many threads it uses; OpenBLAS does (``openblas_get_num_threads``). The loaded
library is found among the process's mapped files (Linux's ``/proc/self/maps``) and asked
once, when a kernel first needs the answer; the answer is then fixed for the process, so
every plan of a session decides the same way (changing OpenBLAS's threads later, e.g. with
threadpoolctl, is not seen). Where the BLAS cannot be asked (another BLAS, another OS),
the count is unknown (None) and callers take their default path.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

import numpy  # noqa: F401  (importing numpy loads its BLAS, which is then looked for)

#: OpenBLAS's thread-count query under the names its builds export (numpy's wheels prefix
#: and suffix the symbols of their 64-bit-integer build).
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
            "openblas_get_num_threads")
_MAPS = "/proc/self/maps"


def _mapped_openblas_libraries() -> list[str]:
    """Paths of the mapped shared libraries whose file name mentions OpenBLAS."""
    try:
        with open(_MAPS, encoding="utf-8", errors="replace") as maps:
            lines = maps.read().splitlines()
    except OSError:
        return []
    paths: list[str] = []
    for line in lines:
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        name = path.rsplit("/", 1)[-1].lower()
        if "openblas" in name and ".so" in name and path not in paths:
            paths.append(path)
    return paths


@functools.cache
def _thread_count_getter() -> Callable[[], int] | None:
    for path in _mapped_openblas_libraries():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in _GETTERS:
            getter = getattr(library, symbol, None)
            if getter is not None:
                getter.restype = ctypes.c_int
                getter.argtypes = []
                return getter  # type: ignore[no-any-return]
    return None


@functools.cache
def thread_count() -> int | None:
    """The number of threads numpy's OpenBLAS runs a product on (read once per process), or
    None when the BLAS is not an OpenBLAS graphflow can ask."""
    getter = _thread_count_getter()
    return None if getter is None else int(getter())


def single_threaded() -> bool:
    """True when numpy's BLAS is an OpenBLAS running products on one thread."""
    return thread_count() == 1
