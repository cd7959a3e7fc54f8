"""One local Ray cluster (2 CPUs, loopback only) for every test of this package that asks
for it; tests skip when Ray is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graphflow.distributed import connect, ray_available

from . import replicas

needs_ray = pytest.mark.skipif(not ray_available(),
                               reason="ray is not installed (pip install 'graphflow[distributed]')")


@pytest.fixture(scope="package")
def ray_local() -> Iterator[Any]:
    """Started once for the package (each start costs ~5-10 s here) and shut down after."""
    if not ray_available():
        pytest.skip("ray is not installed (pip install 'graphflow[distributed]')")
    started = connect(num_cpus=2)
    import ray
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(replicas)  # workers do not import the tests package
    yield ray
    if started:
        ray.shutdown()
