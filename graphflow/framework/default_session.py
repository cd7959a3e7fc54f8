"""The default-session stack (TF1's ``with sess.as_default():``).

It lives in framework/ so that ``Tensor.eval``, ``Operation.run`` and ``Variable.load`` can
find the session a ``with`` block installed without importing the runtime: a session is
anything with a ``graph`` and a ``run(fetches, feed_dict)`` method (``gf.Session``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class _ThreadSessions(threading.local):
    """Per thread (as in TF1, the default session is a property of the current thread):
    the sessions it installed, innermost last."""

    def __init__(self) -> None:
        self.sessions: list[Any] = []


_thread_sessions = _ThreadSessions()


def _session_stack() -> list[Any]:
    return _thread_sessions.sessions


@contextlib.contextmanager
def as_default_session(session: Any) -> Iterator[Any]:
    """Install ``session`` as the calling thread's default session inside a ``with``
    block."""
    stack = _session_stack()
    stack.append(session)
    try:
        yield session
    finally:
        stack.pop()


def get_default_session() -> Any:
    """The calling thread's innermost default session, or None."""
    stack = _session_stack()
    return stack[-1] if stack else None


def default_session_for(session: Any, element: Any) -> Any:
    """``session`` if given, else the default session; ValueError (saying what to do) when
    there is none or it runs a different graph than ``element``'s."""
    s = session or get_default_session()
    if s is None:
        raise ValueError(f"cannot evaluate {element!r}: no default session is registered. Use "
                         "`with gf.Session() as sess:` or pass session=sess")
    if s.graph is not element.graph:
        raise ValueError(f"cannot evaluate {element!r}: it belongs to a different graph than "
                         "the session's")
    return s
