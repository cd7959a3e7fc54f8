"""``tf.app``: ``run(main=None, argv=None)`` parses the flags (``graphflow.flags``) from
``argv`` (default ``sys.argv``), calls ``main(remaining_argv)`` (default: the ``main`` of
the ``__main__`` module, as TF1) and exits with its return value (``sys.exit``), as TF1's
``tf.app.run``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from graphflow import flags


def run(main: Callable[..., Any] | None = None, argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    rest = flags.FLAGS(args)
    if main is None:
        main = getattr(sys.modules["__main__"], "main", None)
        if main is None:
            raise ValueError("tf.app.run() found no main: define main(argv) in the script "
                             "or pass tf.app.run(main=...)")
    sys.exit(main(rest))
