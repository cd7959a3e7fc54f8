"""``tf.contrib``: ``tf.contrib.layers`` (initializers, regularizers, flatten,
fully_connected) and ``tf.contrib.rnn`` (the RNN cells, static_rnn). Any other
``tf.contrib.X`` is an AttributeError saying it is not supported and what to use instead."""

from __future__ import annotations

from graphflow.compat.v1.contrib import layers, rnn
from graphflow.compat.v1.unsupported import TOP_LEVEL, message

__all__ = ["layers", "rnn"]


def __getattr__(name: str) -> object:
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(message("tf.contrib", name, {name: TOP_LEVEL["contrib"]}))
