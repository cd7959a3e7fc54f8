"""One SGD training step of the lecture's window classifier: graphflow vs hand-written numpy.

Workload (issue 6): vocabulary 100,000, embedding dim 50, window 5 (x has 250 dims), hidden
200 tanh, 5 classes, mean sparse softmax cross-entropy, plain SGD (lr 0.01) on W, b1, U, b2
and the embedding matrix; ids and labels random from a fixed seed; batch sizes 32
(overhead-bound) and 2048 (compute-bound).

* graphflow: ``GradientDescentOptimizer(0.01).minimize(loss)`` and one
  ``Session.run([train_op, loss], feed_dict)`` per step.
* hand-written: the lecture's delta formulas in numpy with preallocated buffers and a
  duplicate-safe sparse row update of the embeddings — the practical limit for a numpy
  engine.

The two alternate in one process (the machine is shared and noisy); the script prints the
median ms per step of each (best of ``--repeats`` medians), their ratio graphflow /
hand-written, and the peak memory of one step of each (tracemalloc).

``--peers`` prints the issue's peers table instead: each engine (hand-written numpy,
graphflow, and TensorFlow's ``tf.compat.v1`` Session / JAX jit / PyTorch eager when
importable — by this interpreter, or by one given with ``--peer-python
tensorflow=/path/to/python jax=... torch=...``) runs in its
own process (``--engine NAME``), the runs are interleaved ``--repeats`` times, and the table
gives the median ms per step and the ratio to the hand-written step. Peers are never a
dependency of graphflow. ``--rotate`` starts each round with the next engine (by default
every round runs them in one order).

``--one-core`` pins every engine's process to one CPU (``os.sched_setaffinity``): with
``OPENBLAS_NUM_THREADS=1`` numpy, graphflow, TensorFlow (one intra/inter-op thread) and
PyTorch (``set_num_threads(1)``) run on one core, but JAX's XLA CPU runtime keeps a thread
pool of its own on every core; pinned, all engines get the same single core.

``--threads N`` lets every engine use N threads: graphflow runs with
``SessionConfig(inter_op_threads=N)``, TensorFlow with N intra-/inter-op threads, PyTorch with
``set_num_threads(N)``. With ``--peers`` each process also gets its BLAS threads: N for the
hand-written step (so the reference uses the cores too) and for a "graphflow, threads in BLAS
only" row, 1 for graphflow itself (its worker thread is the second core). Without
``--peers`` both steps share this process's BLAS setting; run that with
``OPENBLAS_NUM_THREADS=1`` to compare graphflow on two threads with the single-threaded
reference.

``--threads 0`` runs every engine with its own defaults, as a user gets them: numpy's BLAS
as the process starts it (a thread per core), graphflow's ``SessionConfig()`` (the inter-op
worker on a machine with two or more cores, numpy's BLAS on one thread during its runs but
for plans with nothing on the worker that keep their bits on BLAS's threads, as B=32's:
``runtime/own_blas.py``),
TensorFlow's ``ConfigProto()``, PyTorch's and JAX's own thread pools; nothing sets
``OPENBLAS_NUM_THREADS``. A "graphflow, threads in BLAS only" row then is
``SessionConfig(inter_op_threads=1)`` on numpy's own BLAS threads.

``--unset-blas-env`` re-executes the script with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
removed from the environment (this machine exports them and they slow numpy's matmuls); it
only affects this benchmark's own process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import graphflow as gf
from graphflow.framework import blas

VOCAB, DIM, WINDOW, HIDDEN, CLASSES, LR = 100_000, 50, 5, 200, 5, 0.01


def initial_values(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_in = WINDOW * DIM
    return {
        "E": rng.uniform(-0.1, 0.1, (VOCAB, DIM)).astype(np.float32),
        "W": (rng.standard_normal((n_in, HIDDEN)) * np.sqrt(1.0 / n_in)).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "U": (rng.standard_normal((HIDDEN, CLASSES)) * np.sqrt(1.0 / HIDDEN)).astype(np.float32),
        "b2": np.zeros(CLASSES, np.float32),
    }


class GraphflowStep:
    """The model written as a TF1 user would, run through a Session."""

    def __init__(self, values: dict[str, np.ndarray],
                 config: gf.SessionConfig | None = None) -> None:
        self.graph = gf.Graph()
        with self.graph.as_default():
            self.ids = gf.placeholder(gf.int32, [None, WINDOW], name="ids")
            self.labels = gf.placeholder(gf.int32, [None], name="labels")
            E = gf.Variable(values["E"], name="E")
            W = gf.Variable(values["W"], name="W")
            b1 = gf.Variable(values["b1"], name="b1")
            U = gf.Variable(values["U"], name="U")
            b2 = gf.Variable(values["b2"], name="b2")
            x = gf.reshape(gf.nn.embedding_lookup(E, self.ids), [-1, WINDOW * DIM])
            h = gf.tanh(gf.matmul(x, W) + b1)
            logits = gf.matmul(h, U) + b2
            self.loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=self.labels, logits=logits))
            self.train_op = gf.train.GradientDescentOptimizer(LR).minimize(self.loss)
            self.session = gf.Session(graph=self.graph, config=config)
            self.session.run(gf.global_variables_initializer())

    def __call__(self, ids: np.ndarray, labels: np.ndarray) -> float:
        _, loss = self.session.run([self.train_op, self.loss],
                                   {self.ids: ids, self.labels: labels})
        return float(loss)


class HandWrittenStep:
    """The same step derived by hand (delta formulas), reusing buffers between steps."""

    def __init__(self, values: dict[str, np.ndarray], batch: int) -> None:
        # The warm-up graphflow's Session runs once per process (framework/blas.py: numpy's
        # OpenBLAS is ~3.6x slower until one large sgemm has run), so that the ratio
        # compares the engines; --cold-blas switches it off on both sides.
        blas.warm_up()
        self.E, self.W, self.b1 = (values[k].copy() for k in ("E", "W", "b1"))
        self.U, self.b2 = values["U"].copy(), values["b2"].copy()
        b, n_in = batch, WINDOW * DIM
        f = np.float32
        self.x = np.empty((b, n_in), f)
        self.z = np.empty((b, HIDDEN), f)
        self.s = np.empty((b, CLASSES), f)
        self.m = np.empty((b, 1), f)
        self.dU, self.dW = np.empty_like(self.U), np.empty_like(self.W)
        self.dh = np.empty((b, HIDDEN), f)
        self.dx = np.empty((b, n_in), f)
        self.rows = np.arange(b)
        self.flat = np.empty((b * WINDOW, DIM), np.intp)
        self.columns = np.arange(DIM, dtype=np.intp)

    def __call__(self, ids: np.ndarray, labels: np.ndarray) -> float:
        b = ids.shape[0]
        x, z, s, m = self.x, self.z, self.s, self.m
        np.take(self.E, ids.reshape(-1), axis=0, out=x.reshape(b * WINDOW, DIM), mode="clip")
        np.matmul(x, self.W, out=z)
        z += self.b1
        h = np.tanh(z, out=z)
        np.matmul(h, self.U, out=s)
        s += self.b2
        np.max(s, axis=1, keepdims=True, out=m)
        s -= m
        p = np.exp(s, out=s)
        np.sum(p, axis=1, keepdims=True, out=m)
        p /= m
        loss = -float(np.mean(np.log(p[self.rows, labels])))
        p[self.rows, labels] -= 1.0  # delta at the scores: (softmax - onehot) / B
        p *= 1.0 / b
        np.matmul(h.T, p, out=self.dU)
        db2 = p.sum(axis=0)
        dh = np.matmul(p, self.U.T, out=self.dh)
        h *= h
        np.subtract(1.0, h, out=h)
        dh *= h  # delta at z: dh * (1 - tanh^2)
        np.matmul(x.T, dh, out=self.dW)
        db1 = dh.sum(axis=0)
        np.matmul(dh, self.W.T, out=self.dx)
        self.dW *= LR  # updates in place, no temporaries
        self.W -= self.dW
        db1 *= LR
        self.b1 -= db1
        self.dU *= LR
        self.U -= self.dU
        db2 *= LR
        self.b2 -= db2
        self.dx *= LR
        # Duplicate-safe row update: ufunc.at on the flattened matrix (numpy's 1-D fast path,
        # ~4x quicker than np.subtract.at on rows); repeated ids all apply.
        np.multiply(ids.reshape(-1, 1), DIM, out=self.flat)
        self.flat += self.columns
        np.subtract.at(self.E.reshape(-1), self.flat.reshape(-1), self.dx.reshape(-1))
        return loss


class TensorFlowStep:
    """The same model in TensorFlow's tf.compat.v1 graph mode (a peer; optional)."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        import tensorflow as tf  # deferred: an optional peer, never a dependency

        v1 = tf.compat.v1
        v1.disable_eager_execution()
        self.graph = v1.Graph()
        with self.graph.as_default():
            self.ids = v1.placeholder(tf.int32, [None, WINDOW])
            self.labels = v1.placeholder(tf.int32, [None])
            E, W, b1, U, b2 = (v1.Variable(values[k]) for k in ("E", "W", "b1", "U", "b2"))
            x = tf.reshape(tf.nn.embedding_lookup(E, self.ids), [-1, WINDOW * DIM])
            h = tf.tanh(tf.matmul(x, W) + b1)
            logits = tf.matmul(h, U) + b2
            self.loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=self.labels, logits=logits))
            self.train_op = v1.train.GradientDescentOptimizer(LR).minimize(self.loss)
            config = v1.ConfigProto(intra_op_parallelism_threads=THREADS,
                                    inter_op_parallelism_threads=THREADS)  # 0: TF's own
            self.session = v1.Session(graph=self.graph, config=config)
            self.session.run(v1.global_variables_initializer())

    def __call__(self, ids: np.ndarray, labels: np.ndarray) -> float:
        _, loss = self.session.run([self.train_op, self.loss],
                                   {self.ids: ids, self.labels: labels})
        return float(loss)


class JaxStep:
    """The same model as one jitted JAX function with row gradients (a peer; optional)."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        import jax  # deferred: an optional peer, never a dependency
        import jax.numpy as jnp  # deferred: as above

        self.params = {k: jnp.asarray(v) for k, v in values.items()}

        def loss_fn(dense: dict, rows: Any, labels: Any) -> Any:
            x = rows.reshape(rows.shape[0] // WINDOW, WINDOW * DIM)
            h = jnp.tanh(x @ dense["W"] + dense["b1"])
            logits = h @ dense["U"] + dense["b2"]
            logp = jax.nn.log_softmax(logits)
            return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

        def step(params: dict, ids: Any, labels: Any) -> tuple[dict, Any]:
            flat = ids.reshape(-1)
            rows = params["E"][flat]
            dense = {k: params[k] for k in ("W", "b1", "U", "b2")}
            loss, (g_dense, g_rows) = jax.value_and_grad(loss_fn, argnums=(0, 1))(
                dense, rows, labels)
            new = {k: dense[k] - LR * g_dense[k] for k in dense}
            new["E"] = params["E"].at[flat].add(-LR * g_rows)
            return new, loss

        self._step = jax.jit(step, donate_argnums=(0,))

    def __call__(self, ids: np.ndarray, labels: np.ndarray) -> float:
        self.params, loss = self._step(self.params, ids, labels)
        return float(loss)


class TorchStep:
    """The same model in PyTorch eager mode: a sparse embedding (row gradients) and SGD, one
    intra-op thread as the other engines (a peer; optional)."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        import torch  # deferred: an optional peer, never a dependency

        if THREADS:  # 0: PyTorch's own default
            torch.set_num_threads(THREADS)
        self.torch = torch
        self.embedding = torch.nn.Embedding.from_pretrained(
            torch.from_numpy(values["E"].copy()), freeze=False, sparse=True)
        self.dense = [torch.nn.Parameter(torch.from_numpy(values[k].copy()))
                      for k in ("W", "b1", "U", "b2")]
        self.optimizer = torch.optim.SGD([self.embedding.weight, *self.dense], lr=LR)

    def __call__(self, ids: np.ndarray, labels: np.ndarray) -> float:
        torch = self.torch
        W, b1, U, b2 = self.dense
        x = self.embedding(torch.from_numpy(ids.astype(np.int64))).reshape(-1, WINDOW * DIM)
        logits = torch.tanh(x @ W + b1) @ U + b2
        loss = torch.nn.functional.cross_entropy(logits,
                                                 torch.from_numpy(labels.astype(np.int64)))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return float(loss)


ENGINES: dict[str, Callable[[dict[str, np.ndarray], int], Callable[..., float]]] = {
    "hand-written numpy": lambda values, batch: HandWrittenStep(values, batch),
    "graphflow": lambda values, batch: GraphflowStep(
        values, gf.SessionConfig(inter_op_threads=THREADS)),
    "graphflow, threads in BLAS only": lambda values, batch: GraphflowStep(
        values, gf.SessionConfig(inter_op_threads=1)),
    "TensorFlow tf.compat.v1 Session": lambda values, batch: TensorFlowStep(values),
    "JAX jit, row gradients": lambda values, batch: JaxStep(values),
    "PyTorch eager, sparse embedding": lambda values, batch: TorchStep(values),
}
_PEER_MODULES = {"TensorFlow tf.compat.v1 Session": "tensorflow",
                 "JAX jit, row gradients": "jax",
                 "PyTorch eager, sparse embedding": "torch"}


def run_engine(name: str, batch: int, steps: int) -> dict[str, float]:
    """One engine in this process: its median ms per step and its first loss."""
    rng = np.random.default_rng(42)
    batches = [(rng.integers(0, VOCAB, (batch, WINDOW), dtype=np.int32),
                rng.integers(0, CLASSES, batch, dtype=np.int32)) for _ in range(8)]
    step = ENGINES[name](initial_values(), batch)
    first = step(*batches[0])
    for b in batches[1:4]:  # warm up (compiles, caches)
        step(*b)
    return {"ms": median_ms(step, batches, steps), "first_loss": first}


def peer_interpreters(extra: list[str]) -> dict[str, str]:
    """The Python to run each engine with: this one, or a given one for a peer."""
    given = dict(item.split("=", 1) for item in extra)
    found = {}
    for name in ENGINES:
        module = _PEER_MODULES.get(name)
        python = given.get(module, sys.executable) if module else sys.executable
        if module:
            probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
            if probe.returncode != 0:
                continue
        found[name] = python
    if THREADS == 1:  # the same engine as "graphflow" then
        found.pop("graphflow, threads in BLAS only")
    return found


def peers_table(batch_sizes: list[int], repeats: int, steps: int, extra: list[str],
                rotate: bool = False) -> None:
    engines = peer_interpreters(extra)
    results: dict[tuple[str, int], list[float]] = {}
    losses: dict[tuple[str, int], float] = {}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    # With --threads N every engine may use N threads: numpy's BLAS gets N for the
    # hand-written step (and for graphflow's "threads in BLAS only" row), graphflow runs N
    # inter-op threads over a single-threaded BLAS, TensorFlow and PyTorch get N threads.
    blas_threads = {name: "1" if name == "graphflow" and THREADS > 1 else str(THREADS)
                    for name in ENGINES}
    for round_ in range(repeats):
        order = list(engines.items())
        if rotate:  # each engine first in turn: no engine always runs after the same one
            shift = round_ % len(order)
            order = order[shift:] + order[:shift]
        for batch in batch_sizes:
            n = steps if batch <= 256 else max(steps // 10, 20)
            for name, python in order:
                clock = ["--cpu-time"] if CLOCK is time.process_time else []
                clock += ["--one-core"] if ONE_CORE else []
                clock += [] if blas.WARM_UP else ["--cold-blas"]
                clock += ["--threads", str(THREADS)]
                out = subprocess.run([python, os.path.abspath(__file__), "--engine", name,
                                      "--batch-sizes", str(batch), "--steps", str(n),
                                      *clock], capture_output=True, text=True,
                                     env={**env, "OPENBLAS_NUM_THREADS": blas_threads[name]}
                                     if THREADS > 1 else env, check=True)  # 0, 1: as set
                record = json.loads(out.stdout.strip().splitlines()[-1])
                results.setdefault((name, batch), []).append(record["ms"])
                losses[(name, batch)] = record["first_loss"]
    print(f"median ms per step of {repeats} interleaved runs, each engine in its own process "
          "(ratio to the hand-written step; first loss)")
    print("| engine | " + " | ".join(f"B={b}" for b in batch_sizes) + " |")
    print("| --- |" + " --- |" * len(batch_sizes))
    for name in engines:
        cells = []
        for b in batch_sizes:
            ms = statistics.median(results[(name, b)])
            ref = statistics.median(results[("hand-written numpy", b)])
            cells.append(f"{ms:.3f} ({ms / ref:.2f}; {losses[(name, b)]:.5f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    # The runs of one round are neighbours in time: their ratios show how much the
    # machine's noise moves the medians above.
    print("ratio to the hand-written run of the same round: median (min-max)")
    for name in engines:
        if name == "hand-written numpy":
            continue
        cells = []
        for b in batch_sizes:
            pairs = [ms / ref for ms, ref in zip(results[(name, b)],
                                                results[("hand-written numpy", b)])]
            cells.append(f"B={b}: {statistics.median(pairs):.2f} "
                         f"({min(pairs):.2f}-{max(pairs):.2f})")
        print(f"  {name}: " + ", ".join(cells))


#: The clock of ``median_ms``: wall time, or (``--cpu-time``) this process's CPU time — on a
#: loaded machine the wall clock also counts the time other processes hold the cores, while
#: a single-threaded step's CPU time does not (run with OPENBLAS_NUM_THREADS=1 then).
CLOCK: Callable[[], float] = time.perf_counter
#: ``--one-core``: every engine's process pinned to one CPU.
ONE_CORE = False
#: ``--threads N``: threads each engine may use (graphflow: ``inter_op_threads``).
THREADS = 1


def median_ms(step: Callable[[np.ndarray, np.ndarray], float], batches: list, n: int) -> float:
    times = []
    clock = CLOCK
    for i in range(n):
        ids, labels = batches[i % len(batches)]
        t0 = clock()
        step(ids, labels)
        times.append(clock() - t0)
    return statistics.median(times) * 1e3


def peak_kib(step: Callable[[np.ndarray, np.ndarray], float], batch: tuple) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    step(*batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


ABLATIONS = [
    ("without memory planning", gf.SessionConfig(plan_memory=False)),
    ("without specialization (or memory)", gf.SessionConfig(specialize=False)),
]


def run(batch: int, repeats: int, steps: int, ablations: bool = False) -> None:
    rng = np.random.default_rng(42)
    batches = [(rng.integers(0, VOCAB, (batch, WINDOW), dtype=np.int32),
                rng.integers(0, CLASSES, batch, dtype=np.int32)) for _ in range(8)]
    values = initial_values()
    graphflow = GraphflowStep(values, gf.SessionConfig(inter_op_threads=THREADS))
    hand = HandWrittenStep(values, batch)
    a, b = graphflow(*batches[0]), hand(*batches[0])  # warm up (compiles the plan)
    assert abs(a - b) < 1e-4, f"the two steps disagree on the first loss: {a} vs {b}"
    best_g, best_h = float("inf"), float("inf")
    for _ in range(repeats):
        best_g = min(best_g, median_ms(graphflow, batches, steps))
        best_h = min(best_h, median_ms(hand, batches, steps))
    print(f"B={batch:5d}: graphflow {best_g:8.3f} ms  hand-written {best_h:8.3f} ms  "
          f"ratio {best_g / best_h:5.2f}")
    print(f"         peak memory of one step: graphflow {peak_kib(graphflow, batches[1]):9.0f} "
          f"KiB  hand-written {peak_kib(hand, batches[1]):9.0f} KiB")
    if ablations:
        for label, config in ABLATIONS:
            variant = GraphflowStep(values, config)
            variant(*batches[0])
            best_v, best_hv = float("inf"), float("inf")
            for _ in range(repeats):
                best_v = min(best_v, median_ms(variant, batches, steps))
                best_hv = min(best_hv, median_ms(hand, batches, steps))
            print(f"         {label:<34} {best_v:8.3f} ms  ratio {best_v / best_hv:5.2f}  "
                  f"peak {peak_kib(variant, batches[1]):7.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 2048])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--ablations", action="store_true",
                        help="also time graphflow with plan optimizations switched off")
    parser.add_argument("--cold-blas", action="store_true",
                        help="no BLAS warm-up in graphflow or the hand-written step "
                        "(graphflow.framework.blas.WARM_UP = False)")
    parser.add_argument("--unset-blas-env", action="store_true",
                        help="re-run without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE")
    parser.add_argument("--peers", action="store_true",
                        help="print the peers table (each engine in its own process)")
    parser.add_argument("--peer-python", nargs="*", default=[], metavar="MODULE=PYTHON",
                        help="interpreter for a peer, e.g. tensorflow=/tmp/tfvenv/bin/python")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time steps by process CPU time (a loaded machine; use "
                        "OPENBLAS_NUM_THREADS=1 so every engine runs on one thread)")
    parser.add_argument("--one-core", action="store_true",
                        help="pin this process (and each peer's) to one CPU, so that engines "
                        "with thread pools of their own (XLA) get the single core the others "
                        "use with OPENBLAS_NUM_THREADS=1 (Linux)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads each engine may use (0: each engine's own defaults, "
                        "numpy's BLAS as it starts): graphflow's "
                        "SessionConfig(inter_op_threads=N), TensorFlow's intra/inter-op "
                        "threads, torch.set_num_threads; with --peers also numpy's BLAS "
                        "threads of the hand-written step (graphflow's own BLAS stays at "
                        "1, and a 'threads in BLAS only' row gives graphflow N BLAS threads "
                        "instead). Without --peers the process's BLAS setting is shared: "
                        "run with OPENBLAS_NUM_THREADS=1")
    parser.add_argument("--rotate", action="store_true",
                        help="with --peers: rotate the engines' order from one round to the "
                        "next (the default order is fixed: hand-written, graphflow, ...)")
    parser.add_argument("--engine", choices=list(ENGINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CLOCK, ONE_CORE, THREADS
    THREADS = args.threads
    if THREADS < 0:
        parser.error("--threads must be >= 0 (0: every engine's own defaults)")
    if args.cpu_time:
        CLOCK = time.process_time
    if args.one_core:
        if not hasattr(os, "sched_setaffinity"):
            parser.error("--one-core needs os.sched_setaffinity (Linux); leave it out here")
        ONE_CORE = True
        # before any engine is imported: threads started later inherit the affinity
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if args.cold_blas:
        blas.WARM_UP = False
    if args.engine:
        print(json.dumps(run_engine(args.engine, args.batch_sizes[0], args.steps)))
        return
    if args.peers:
        peers_table(args.batch_sizes, args.repeats, args.steps, args.peer_python, args.rotate)
        return
    if args.unset_blas_env and any(k in os.environ for k in ("OPENBLAS_CORETYPE",
                                                              "OPENBLAS_L2_SIZE")):
        env = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    blas_env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"window NER SGD step; BLAS env: {blas_env}")
    for batch in args.batch_sizes:
        run(batch, args.repeats, args.steps if batch <= 256 else max(args.steps // 10, 20),
            args.ablations)


if __name__ == "__main__":
    main()
