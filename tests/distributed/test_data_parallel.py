"""Data-parallel training on a local Ray cluster: two workers on half batches train exactly
like one process on the full batch; failures name the worker's rank and the step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from graphflow.distributed import DataParallelTrainer, WorkerFailedError

from . import replicas
from .conftest import needs_ray

pytestmark = needs_ray


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_two_workers_give_the_single_process_loss_curve_and_variables(
        ray_local: Any, name: str) -> None:
    data = replicas.batches(8, 16, seed=3)
    losses, values = replicas.single_process(name, data)
    with DataParallelTrainer(replicas.WindowReplica(name), 2) as dp:
        curve = []
        for feed in data:
            curve.append(dp.step(feed))
            assert dp.in_sync(), f"replicas differ after step {dp.steps}"
        final = dp.variables(rank=1)
        assert dp.steps == len(data)
        # Bytes of one step: each worker sends its dense gradients and its shard's rows
        # (B/2 * WIDTH rows of DIM floats, plus indices); each receives all B * WIDTH rows.
        r = replicas
        dense = 4 * (r.WIDTH * r.DIM * r.HIDDEN + r.HIDDEN + r.HIDDEN * r.CLASSES + r.CLASSES)
        rows = 16 * r.WIDTH
        assert dp.last_step_bytes_up in {2 * dense + rows * (4 * r.DIM + k) for k in (4, 8)}
        assert dp.last_step_bytes_down in {2 * (dense + rows * (4 * r.DIM + k))
                                           for k in (4, 8)}
    np.testing.assert_allclose(curve, losses, rtol=1e-5, atol=1e-6)
    assert curve[-1] < curve[0]
    assert set(final) == set(values)
    for key, value in values.items():
        np.testing.assert_allclose(final[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    assert int(final["global_step"]) == len(data)


def test_a_killed_worker_is_reported_with_its_rank_and_step(ray_local: Any) -> None:
    data = replicas.batches(4, 8)
    with DataParallelTrainer(replicas.WindowReplica("sgd"), 2) as dp:
        dp.step(data[0])
        dp.step(data[1])
        dp.variables()  # waits for step 1's updates, so the kill hits step 2
        ray_local.kill(dp.workers[1])
        with pytest.raises(WorkerFailedError, match="worker rank 1 of 2 died at step 2") as e:
            dp.step(data[2])
        assert (e.value.rank, e.value.step, e.value.died) == (1, 2, True)


def test_an_error_inside_a_worker_names_its_rank_and_the_cause(ray_local: Any) -> None:
    with DataParallelTrainer(replicas.WindowReplica("sgd"), 2) as dp:
        bad = replicas.batches(1, 8)[0]
        bad["labels:0"] = bad["labels:0"].astype(np.float32)  # the placeholder is int32
        with pytest.raises(WorkerFailedError,
                           match=r"rank 0 of 2 failed at step 0 \(while computing gradients\)"
                           ".*labels") as e:
            dp.step(bad)
        assert not e.value.died


def test_a_replica_that_cannot_build_is_reported(ray_local: Any) -> None:
    with pytest.raises(WorkerFailedError, match="rank 1 of 2 .*refuses to build"):
        DataParallelTrainer(replicas.WindowReplica("sgd", fail_on_rank=1), 2)


def test_more_workers_than_cpus_is_refused_before_starting(ray_local: Any) -> None:
    with pytest.raises(ValueError, match="has 2 CPUs but 3 workers need 3"):
        DataParallelTrainer(replicas.WindowReplica("sgd"), 3)
