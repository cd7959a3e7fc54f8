"""The data-parallel algorithm without Ray: replicas in one process, the gradient average,
and the optional dependency's import rules."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from graphflow.distributed import (
    RayUnavailableError,
    ReplicaWorker,
    average_gradients,
    require_ray,
)
from graphflow.distributed.reduce import nbytes, shard_weights
from graphflow.framework.indexed_slices import IndexedSlicesValue

from . import replicas


def test_dense_average_is_the_shard_size_weighted_mean() -> None:
    a, b = np.array([1.0, 2.0], np.float32), np.array([4.0, 8.0], np.float32)
    out = average_gradients([{"w": a}, {"w": b}], shard_weights([1, 3]))
    np.testing.assert_allclose(out["w"], 0.25 * a + 0.75 * b)
    assert out["w"].dtype == np.float32


def test_indexed_slices_average_scatters_to_the_averaged_dense_gradient() -> None:
    shape = np.array([5, 2])
    g0 = IndexedSlicesValue(np.array([[1.0, 1.0], [2.0, 0.0]]), np.array([0, 3]), shape)
    g1 = IndexedSlicesValue(np.array([[5.0, 1.0], [1.0, 1.0], [7.0, 7.0]]),
                            np.array([3, 3, 4]), shape)
    out = average_gradients([{"E": g0}, {"E": g1}], [0.4, 0.6])
    assert isinstance(out["E"], IndexedSlicesValue)
    np.testing.assert_allclose(out["E"].to_dense(), 0.4 * g0.to_dense() + 0.6 * g1.to_dense())
    assert nbytes(out) == out["E"].values.nbytes + out["E"].indices.nbytes


def test_average_rejects_mismatched_shards() -> None:
    with pytest.raises(ValueError, match="same variables"):
        average_gradients([{"a": np.zeros(1)}, {"b": np.zeros(1)}], [0.5, 0.5])
    rows = IndexedSlicesValue(np.zeros((1, 1)), np.zeros(1, np.int64), np.array([2, 1]))
    with pytest.raises(TypeError, match="some shards sent rows"):
        average_gradients([{"a": rows}, {"a": np.zeros((2, 1))}], [0.5, 0.5])
    with pytest.raises(ValueError, match="at least one example"):
        shard_weights([0, 0])


@pytest.mark.parametrize("name", ["sgd", "adam", "lazy_adam"])
@pytest.mark.parametrize("split", [[0, 8, 16], [0, 5, 16]])
def test_two_in_process_replicas_train_like_one_process_on_the_full_batch(
        name: str, split: list[int]) -> None:
    """Rank 0's values broadcast, shards computed, averaged by shard size, applied on both:
    the same losses and variables as ``minimize`` on the whole batch (equal and unequal
    shards), and the two replicas bit-identical after every step."""
    data = replicas.batches(6, 16)
    losses, values = replicas.single_process(name, data)
    workers = [ReplicaWorker(replicas.WindowReplica(name), r) for r in range(2)]
    workers[1].load_variables(workers[0].variables())
    start = workers[0].variables()
    got = []
    for feed in data:
        parts = [w.compute({k: v[a:b] for k, v in feed.items()})
                 for w, a, b in zip(workers, split[:-1], split[1:])]
        weights = shard_weights([p[1] for p in parts])
        avg = average_gradients([p[2] for p in parts], weights)
        for w in workers:
            w.apply(avg)
        got.append(sum(wt * p[0] for wt, p in zip(weights, parts)))
        assert workers[0].digest() == workers[1].digest()
    np.testing.assert_allclose(got, losses, rtol=1e-5, atol=1e-6)
    final = workers[0].variables()
    assert set(final) == set(values)
    for key, value in values.items():
        np.testing.assert_allclose(final[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    # the reference did train: every variable moved, and the first batch's loss is lower
    # with the trained variables than it was at step 1 (the losses of two different random
    # batches, compared before, need not fall within six steps)
    moved = {k: float(np.abs(values[k] - start[k]).max()) for k in values}
    assert all(m > 0 for m in moved.values()), moved
    assert workers[0].compute(data[0])[0] < losses[0]


def test_replicas_built_differently_cannot_share_variables() -> None:
    a = ReplicaWorker(replicas.WindowReplica("adam"), 0)
    b = ReplicaWorker(replicas.WindowReplica("sgd"), 1)
    with pytest.raises(ValueError, match="variables differ between replicas"):
        b.load_variables(a.variables())


def test_apply_needs_every_gradient() -> None:
    w = ReplicaWorker(replicas.WindowReplica("sgd"), 0)
    _, _, grads = w.compute(replicas.batches(1, 4)[0])
    del grads["W"]
    with pytest.raises(ValueError, match=r"no averaged gradient for variable\(s\) \['W'\]"):
        w.apply(grads)


def test_importing_graphflow_never_imports_ray() -> None:
    code = ("import sys, graphflow, graphflow.distributed, graphflow.cli; "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(RayUnavailableError, match=r"pip install 'graphflow\[distributed\]'"):
        require_ray()
