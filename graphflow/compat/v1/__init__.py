"""``import graphflow.compat.v1 as tf``: TensorFlow 1.x's names where graphflow has the
capability, so TF1 programs run unchanged.

The namespace is built at import from graphflow's public API — every public name of
``graphflow`` (so names added later appear here too) and the namespaces ``nn``, ``layers``,
``losses``, ``initializers``, ``io``, ``test``, ``summary``, ``debugging``, ``math`` — plus
what only TF1 programs need: the deprecated aliases (``tf.mul``, ``tf.arg_max``,
``initialize_all_variables``, ..., each warning once per call), ``tf.contrib.layers``,
``tf.train`` with ``Coordinator`` and the checkpoint-state functions, ``tf.app``/``tf.flags``,
``tf.gfile``, ``tf.logging``, ``tf.errors``, ``tf.data`` (graphflow.datasets),
``ConfigProto`` and friends, ``tf.device``. A TF1 name graphflow does not provide (queues,
distributed sessions, GPUs, estimators, other contrib modules) is an ``AttributeError``
saying what is unsupported and what to use instead (``graphflow.compat.v1.unsupported``).
"""

# ruff: noqa: F401  (the imports are this namespace's names)
from __future__ import annotations

import sys
import types
from typing import Any

import graphflow as _gf
from graphflow import (
    app,
    debugging,
    errors,
    flags,
    gfile,
    initializers,
    io,
    layers,
    losses,
    math,
    nn,
    summary,
    test,
)
from graphflow import tf_logging as logging
from graphflow.compat.v1 import contrib, train
from graphflow.compat.v1.unsupported import TOP_LEVEL, message
from graphflow.config_protos import (
    ConfigProto,
    GPUOptions,
    GraphOptions,
    OptimizerOptions,
    RunMetadata,
    RunOptions,
)
from graphflow.framework.dtypes import float32, float64, int32, int64
from graphflow.framework.graph import device
from graphflow.ops import linalg_ops, variables
from graphflow.ops.deprecated_ops import (
    LOCAL_VARIABLES,
    arg_max,
    arg_min,
    div,
    initialize_all_variables,
    initialize_local_variables,
    mul,
    neg,
    sub,
)
from graphflow.ops.rounding_ops import round

#: graphflow's own packages that are implementation, not TF1 API.
_INTERNAL = {"compiler", "framework", "ops", "proto", "runtime", "compat", "commands", "cli",
             "models", "distributed", "data"}

for _name in dir(_gf):
    if not _name.startswith("_") and _name not in _INTERNAL:
        globals().setdefault(_name, getattr(_gf, _name))

# tf.data: graphflow.datasets (graphflow.data is the NER corpus package)
from graphflow import datasets as data  # noqa: E402

VERSION = "1.15.5"  # the TF1 API level this namespace mirrors (graphflow is _gf.__version__)
GIT_VERSION = f"graphflow-{_gf.__version__}"
COMPILER_VERSION = "numpy"


def to_int32(x: Any, name: str = "ToInt32") -> Any:
    """``tf.to_int32``: ``tf.cast(x, tf.int32)``."""
    return linalg_ops.cast(x, int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Any:
    return linalg_ops.cast(x, int64, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Any:
    return linalg_ops.cast(x, float64, name=name)


if "local_variables_initializer" not in globals():
    def local_variables_initializer() -> Any:
        """``tf.local_variables_initializer()``: initializes the ``local_variables``
        collection (a no-op when it is empty)."""
        return variables.variables_initializer(
            list(_gf.get_default_graph().get_collection(LOCAL_VARIABLES)), name="init")


def disable_v2_behavior() -> None:
    """No-op: graphflow always behaves as TF 1.x."""


def disable_eager_execution() -> None:
    """No-op: graphflow is always in graph mode."""


def enable_v2_behavior() -> None:
    raise NotImplementedError(message("tf", "enable_v2_behavior",
                                      {"enable_v2_behavior": TOP_LEVEL["enable_eager_execution"]}))


def executing_eagerly() -> bool:
    return False


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(message("tf", name, TOP_LEVEL))


#: ``tf.compat.v1`` inside ``compat.v1`` (TF2-era code writes ``tf.compat.v1.placeholder``).
compat = types.SimpleNamespace(v1=sys.modules[__name__])
flags_module = flags
app.flags = flags  # type: ignore[attr-defined]  # tf.app.flags

__all__ = sorted(n for n in globals() if not n.startswith("_") and n not in
                 ("annotations", "sys", "types", "Any", "TOP_LEVEL", "message", "linalg_ops",
                  "variables", "LOCAL_VARIABLES", "flags_module"))

del _name
