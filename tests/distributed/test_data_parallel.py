"""Data-parallel training on a local Ray cluster: two workers on half batches train exactly
like one process on the full batch; failures name the worker's rank and the step. (Each
DataParallelTrainer starts two worker processes, so failure checks share the trainers of the
equivalence tests.)"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from graphflow.distributed import DataParallelTrainer, WorkerFailedError

from . import replicas
from .conftest import needs_ray

pytestmark = needs_ray


def train_and_compare(dp: DataParallelTrainer, name: str) -> list[dict[str, np.ndarray]]:
    """8 steps of 16 rows on ``dp`` against ``minimize`` on the same full batches in one
    process: the same loss curve and final variables, and bit-identical replicas after
    every step. Returns the batches."""
    data = replicas.batches(8, 16, seed=3)
    losses, values = replicas.single_process(name, data)
    curve = []
    for feed in data:
        curve.append(dp.step(feed))
        assert dp.in_sync(), f"replicas differ after step {dp.steps}"
    final = dp.variables(rank=1)
    assert dp.steps == len(data)
    np.testing.assert_allclose(curve, losses, rtol=1e-5, atol=1e-6)
    assert curve[-1] < curve[0]
    assert set(final) == set(values)
    for key, value in values.items():
        np.testing.assert_allclose(final[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    assert int(final["global_step"]) == len(data)
    return data


def test_sgd_on_two_workers_is_single_process_sgd_and_a_killed_worker_is_reported(
        ray_local: Any) -> None:
    with DataParallelTrainer(replicas.WindowReplica("sgd"), 2) as dp:
        data = train_and_compare(dp, "sgd")
        # Bytes of one step: each worker sends its dense gradients and its shard's rows
        # (B/2 * WIDTH rows of DIM floats, plus indices); each receives all B * WIDTH rows.
        r = replicas
        dense = 4 * (r.WIDTH * r.DIM * r.HIDDEN + r.HIDDEN + r.HIDDEN * r.CLASSES + r.CLASSES)
        rows = 16 * r.WIDTH
        assert dp.last_step_bytes_up in {2 * dense + rows * (4 * r.DIM + k) for k in (4, 8)}
        assert dp.last_step_bytes_down in {2 * (dense + rows * (4 * r.DIM + k))
                                           for k in (4, 8)}
        ray_local.kill(dp.workers[1])
        with pytest.raises(WorkerFailedError, match="worker rank 1 of 2 died at step 8") as e:
            dp.step(data[0])
        assert (e.value.rank, e.value.step, e.value.died) == (1, 8, True)


def test_adam_on_two_workers_is_single_process_adam_and_worker_errors_name_the_rank(
        ray_local: Any) -> None:
    with DataParallelTrainer(replicas.WindowReplica("adam"), 2) as dp:
        data = train_and_compare(dp, "adam")
        # An error inside a worker (here: a feed of the wrong dtype) names its rank, the
        # step and the cause; the workers are still alive and equal afterwards.
        bad = dict(data[0], **{"labels:0": data[0]["labels:0"].astype(np.float32)})
        with pytest.raises(WorkerFailedError,
                           match=r"rank 0 of 2 failed at step 8 \(while computing "
                           r"gradients\).*labels") as e:
            dp.step(bad)
        assert not e.value.died
        assert dp.in_sync()
        with pytest.raises(ValueError, match=r"batched feeds \['rate'\] are scalars"):
            dp.step({**data[0], "rate": np.float32(0.5)})


def test_a_replica_that_cannot_build_is_reported(ray_local: Any) -> None:
    with pytest.raises(WorkerFailedError, match="rank 1 of 2 .*refuses to build"):
        DataParallelTrainer(replicas.WindowReplica("sgd", fail_on_rank=1), 2)


def test_more_workers_than_cpus_is_refused_before_starting(ray_local: Any) -> None:
    with pytest.raises(ValueError, match="has 2 CPUs but 3 workers need 3"):
        DataParallelTrainer(replicas.WindowReplica("sgd"), 3)
