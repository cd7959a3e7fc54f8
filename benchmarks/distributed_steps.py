"""Steps/s of data-parallel training of the window NER step on Ray: 1 and 2 workers vs one
process, with the per-step compute time and the bytes each step moves.

Workload: the model of ``window_ner_step.py`` (vocabulary 100,000, embedding dim 50, window
5, hidden 200 tanh, 5 classes, mean sparse softmax cross-entropy, SGD lr 0.01), rebuilt here
so the Ray workers receive it by value. Global batch sizes 256 and 2048; with N workers each
computes gradients on B/N rows.

* ``single``: ``minimize`` in one Session (no Ray) — the reference, on one BLAS thread like
  each Ray worker (``GRAPHFLOW_BENCH_THREADS=2`` lets it use both cores);
* ``ray xN``: ``graphflow.distributed.DataParallelTrainer`` with N workers on a local Ray
  cluster (127.0.0.1), gradients averaged on the driver each step.

Printed per configuration: ms per step (throughput over ``--steps`` steps, best of
``--repeats``), steps/s, the ratio to ``single``, the workers' mean compute and apply time
per step (measured inside the workers), and the gradient bytes a step moves (up: every
worker's gradients; down: the average to every worker). docs/distributed.md turns these
into the scaling estimate. The machine is shared: read ratios, not absolute times.
"""

from __future__ import annotations

import os

# One BLAS thread in this process too, as Ray gives each 1-CPU worker: "single" is then one
# core, and N workers are N cores (set before numpy is imported; GRAPHFLOW_BENCH_THREADS
# overrides).
_THREADS = os.environ.get("GRAPHFLOW_BENCH_THREADS", "1")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _THREADS

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import graphflow as gf  # noqa: E402
from graphflow.distributed import DataParallelTrainer, Replica, connect, require_ray  # noqa: E402

VOCAB, DIM, WINDOW, HIDDEN, CLASSES, LR = 100_000, 50, 5, 200, 5, 0.01


def loss_graph(seed: int = 0) -> gf.Tensor:
    rng = np.random.default_rng(seed)
    n_in = WINDOW * DIM
    ids = gf.placeholder(gf.int32, [None, WINDOW], name="ids")
    labels = gf.placeholder(gf.int32, [None], name="labels")
    E = gf.Variable(rng.uniform(-0.1, 0.1, (VOCAB, DIM)).astype(np.float32), name="E")
    W = gf.Variable((rng.standard_normal((n_in, HIDDEN)) * np.sqrt(1.0 / n_in))
                    .astype(np.float32), name="W")
    b1 = gf.Variable(np.zeros(HIDDEN, np.float32), name="b1")
    U = gf.Variable((rng.standard_normal((HIDDEN, CLASSES)) * np.sqrt(1.0 / HIDDEN))
                    .astype(np.float32), name="U")
    b2 = gf.Variable(np.zeros(CLASSES, np.float32), name="b2")
    x = gf.reshape(gf.nn.embedding_lookup(E, ids), [-1, WINDOW * DIM])
    h = gf.tanh(gf.matmul(x, W) + b1)
    logits = gf.matmul(h, U) + b2
    return gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                        logits=logits))


@dataclass
class WindowReplica:
    def __call__(self, rank: int) -> Replica:
        return Replica(loss=loss_graph(), optimizer=gf.train.GradientDescentOptimizer(LR))


def batches(batch: int, n: int = 8) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(42)
    return [{"ids:0": rng.integers(0, VOCAB, (batch, WINDOW), dtype=np.int32),
             "labels:0": rng.integers(0, CLASSES, batch, dtype=np.int32)} for _ in range(n)]


def ms_per_step(step: Callable[[dict[str, np.ndarray]], object],
                data: list[dict[str, np.ndarray]], steps: int, repeats: int,
                finish: Callable[[], object] = lambda: None) -> float:
    """Training throughput: wall time of ``steps`` steps (plus ``finish``, which waits for
    the last updates) divided by ``steps``; best of ``repeats``."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(steps):
            step(data[i % len(data)])
        finish()
        best = min(best, (time.perf_counter() - t0) / steps)
    return best * 1e3


def single(batch: int, steps: int, repeats: int) -> float:
    graph = gf.Graph()
    with graph.as_default():
        loss = loss_graph()
        train = gf.train.GradientDescentOptimizer(LR).minimize(loss)
        sess = gf.Session(graph=graph)
        sess.run(gf.global_variables_initializer())
    data = batches(batch)
    sess.run([train, loss], data[0])
    return ms_per_step(lambda f: sess.run([train, loss], f), data, steps, repeats)


def parallel(batch: int, workers: int, steps: int, repeats: int
             ) -> tuple[float, float, float, int, int]:
    """(ms/step, compute ms/step, apply ms/step, bytes up, bytes down) per step."""
    data = batches(batch)
    with DataParallelTrainer(WindowReplica(), workers) as dp:
        dp.step(data[0])
        dp.variables()
        before = dp.timings()
        n0 = dp.steps
        tiny = {"ids:0": data[0]["ids:0"][:1]}
        ms = ms_per_step(dp.step, data, steps, repeats,
                         finish=lambda: dp.run("ids:0", tiny))  # waits for the applies
        after = dp.timings()
        taken = dp.steps - n0
        compute = statistics.mean(a["compute"] - b["compute"] for a, b in zip(after, before))
        apply = statistics.mean(a["apply"] - b["apply"] for a, b in zip(after, before))
        up, down = dp.last_step_bytes_up, dp.last_step_bytes_down
    return ms, compute / taken * 1e3, apply / taken * 1e3, up, down


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 2048])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    connect(num_cpus=max(args.workers))
    ray = require_ray()
    print(f"window NER SGD step, data-parallel on Ray {ray.__version__} "
          f"({ray.cluster_resources().get('CPU', 0):g} CPUs; {_THREADS} BLAS thread(s) in "
          f"'single'; load average {os.getloadavg()[0]:.1f})")
    for batch in args.batch_sizes:
        ref = single(batch, args.steps, args.repeats)
        print(f"B={batch:5d} single   {ref:8.2f} ms/step {1e3 / ref:7.1f} steps/s")
        for n in args.workers:
            ms, compute, apply, up, down = parallel(batch, n, args.steps, args.repeats)
            print(f"        ray x{n:<3d} {ms:8.2f} ms/step {1e3 / ms:7.1f} steps/s  "
                  f"ratio to single {ms / ref:5.2f}  worker compute {compute:6.2f} ms + "
                  f"apply {apply:6.2f} ms  bytes up {up / 1e3:7.0f} kB down "
                  f"{down / 1e3:7.0f} kB")
    ray.shutdown()


if __name__ == "__main__":
    main()
