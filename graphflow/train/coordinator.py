"""``tf.train.Coordinator``: threads share one stop flag. ``request_stop(ex)`` sets it (and
keeps the first exception), ``should_stop()`` reads it, ``stop_on_exception()`` is a context
manager turning an exception into ``request_stop(ex)``, ``join(threads)`` waits for the
threads and re-raises the first exception reported (``OutOfRangeError`` ends a data loop
normally, as in TF1). ``LooperThread`` is not provided."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from graphflow.framework.errors import OutOfRangeError


class Coordinator:
    """``tf.train.Coordinator``: a stop flag shared by threads, and the first exception."""

    def __init__(self, clean_stop_exception_types: tuple[type[BaseException], ...] | None = None
                 ) -> None:
        self._clean = (OutOfRangeError,) if clean_stop_exception_types is None \
            else tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._exc_info: Any = None
        self._registered: list[threading.Thread] = []

    def request_stop(self, ex: BaseException | None = None) -> None:
        """Ask every thread to stop; ``ex`` (an exception or ``sys.exc_info()``) is re-raised
        by ``join`` unless it is a clean-stop type (``OutOfRangeError``)."""
        with self._lock:
            if ex is not None and self._exc_info is None:
                info = ex if isinstance(ex, tuple) else (type(ex), ex, ex.__traceback__)
                if not issubclass(info[0], self._clean):
                    self._exc_info = info
            self._stop.set()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def wait_for_stop(self, timeout: float | None = None) -> bool:
        return self._stop.wait(timeout)

    def clear_stop(self) -> None:
        with self._lock:
            self._stop.clear()
            self._exc_info = None

    @contextlib.contextmanager
    def stop_on_exception(self) -> Iterator[None]:
        try:
            yield
        except Exception:  # noqa: BLE001 - recorded and re-raised by join(), as TF1
            self.request_stop(sys.exc_info()[1])

    def register_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._registered.append(thread)

    def join(self, threads: Iterable[threading.Thread] | None = None,
             stop_grace_period_secs: float = 120.0,
             ignore_live_threads: bool = False) -> None:
        """Wait for ``threads`` (and registered ones) once a stop is requested; re-raise the
        first reported exception. Threads alive after the grace period are a RuntimeError
        naming them (unless ``ignore_live_threads``)."""
        every = list(self._registered) + list(threads or [])
        while any(t.is_alive() for t in every) and not self.wait_for_stop(0.05):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in every:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in every if t.is_alive()]
        with self._lock:
            info, self._exc_info = self._exc_info, None
        if info is not None:
            raise info[1].with_traceback(info[2])
        if alive and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: {alive}")

    @property
    def joined(self) -> bool:
        return all(not t.is_alive() for t in self._registered)
