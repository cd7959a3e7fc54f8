"""Getting a Ray cluster: the optional dependency, connecting, or starting one on demand.

``ray_cluster(address)`` is what the commands use:
  * ``address=None``: reuse the Ray this process already initialized, or start a new local
    one with this machine's cores (never joining another cluster), on 127.0.0.1 only;
  * ``"auto"``: join the cluster running on this machine (``ray start --head``);
  * ``"ray://host:port"``: a remote cluster through the Ray client (``ray[client]``).
Only a cluster this call started is shut down when the ``with`` block ends.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

INSTALL_HINT = "pip install 'graphflow[distributed]'"


class RayUnavailableError(ImportError):
    """Ray is not installed (graphflow.distributed's optional dependency)."""


def ray_available() -> bool:
    """Whether Ray can be imported (without importing it)."""
    return importlib.util.find_spec("ray") is not None


def require_ray() -> ModuleType:
    """The ``ray`` module, or a clear error saying how to install it."""
    try:
        import ray  # deferred: optional dependency ray
    except ImportError as e:
        raise RayUnavailableError(
            f"graphflow.distributed needs Ray, which is not installed: {INSTALL_HINT} "
            f"(or pip install 'ray>=2.40,<3')") from e
    return ray


def connect(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Make sure Ray is initialized; returns True if this call started or joined it (so the
    caller should shut it down). See the module docstring for ``address``."""
    if address is None and "ray" not in sys.modules:
        # Ray picks the machine's network address for a new node unless clusters are
        # "disabled", in which case it uses 127.0.0.1: a local cluster needs no other.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = require_ray()
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"log_to_driver": True}
    if address is None:  # "local": a new cluster of our own, even if RAY_ADDRESS is set
        kwargs.update(address="local", num_cpus=num_cpus or os.cpu_count() or 1,
                      include_dashboard=False)
    else:
        kwargs["address"] = address
    ray.init(**kwargs)
    return True


@contextmanager
def ray_cluster(address: str | None = None, num_cpus: int | None = None
                ) -> Iterator[ModuleType]:
    """``with ray_cluster(address) as ray:`` — see the module docstring."""
    started = connect(address, num_cpus)
    ray = require_ray()
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def cluster_cpus() -> float:
    """CPUs of the connected cluster (all nodes)."""
    return float(require_ray().cluster_resources().get("CPU", 0.0))
