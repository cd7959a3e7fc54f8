"""``tf.train`` of ``compat.v1``: every public name of ``graphflow.train`` (optimizers, decay
schedules, ``Saver``, global step — including names added later, read at import), plus
``Coordinator`` and the checkpoint-state functions. Queue runners, input producers and
distributed training are AttributeErrors saying so and what to use instead."""

from __future__ import annotations

from typing import Any

from graphflow import train as _train
from graphflow.compat.v1.unsupported import TRAIN, message

# ruff: noqa: F401  (imported names are tf.train names)
from graphflow.train.checkpoint_state import (
    checkpoint_exists,
    get_checkpoint_state,
    latest_checkpoint,
    update_checkpoint_state,
)
from graphflow.train.coordinator import Coordinator  # noqa: F401  (tf.train.Coordinator)

for _name in dir(_train):
    if not _name.startswith("_") and not isinstance(getattr(_train, _name), type(_train)):
        globals().setdefault(_name, getattr(_train, _name))

__all__ = sorted([n for n in globals() if not n.startswith("_") and n not in
                  ("Any", "TRAIN", "message", "annotations")])


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(message("tf.train", name, TRAIN))
