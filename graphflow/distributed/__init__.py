"""``graphflow.distributed``: training past one machine on Ray (optional: ``pip install
'graphflow[distributed]'``).

* ``DataParallelTrainer``: synchronous data-parallel training of any graphflow training
  graph over N Ray actors (gradients averaged every step; identical variables everywhere);
* ``ner``: ``graphflow ner train --workers N`` on top of it;
* ``sweep``: hyper-parameter grid/random search, trials as Ray tasks (``graphflow ner
  sweep``).

Importing this package never imports Ray; the first call that needs a cluster does, and says
how to install it when it is missing (``RayUnavailableError``). See docs/distributed.md.
"""

from graphflow.distributed.cluster import (
    INSTALL_HINT,
    RayUnavailableError,
    connect,
    ray_available,
    ray_cluster,
    require_ray,
)
from graphflow.distributed.data_parallel import DataParallelTrainer, WorkerFailedError
from graphflow.distributed.reduce import average_gradients
from graphflow.distributed.replica import GradientExchange, Replica
from graphflow.distributed.worker import ReplicaWorker

__all__ = [
    "INSTALL_HINT", "DataParallelTrainer", "GradientExchange", "RayUnavailableError",
    "Replica", "ReplicaWorker", "WorkerFailedError", "average_gradients", "connect",
    "ray_available", "ray_cluster", "require_ray",
]
