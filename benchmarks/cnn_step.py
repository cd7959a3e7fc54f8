"""One SGD training step of a small CNN: graphflow vs a hand-written numpy version of the same
algorithm.

Workload (issue 15): 28x28x1 inputs -> conv 3x3 SAME, 32 filters, ReLU -> max pool 2x2/2 ->
conv 3x3 SAME, 64 filters, ReLU -> max pool 2x2/2 -> dense 3136 -> 10 -> mean sparse softmax
cross-entropy; plain SGD (lr 0.01) on every weight; random images and labels from a fixed
seed; float32.

* graphflow: ``gf.nn.conv2d``/``max_pool``/``bias_add``/``relu`` and a dense layer,
  ``GradientDescentOptimizer(0.01).minimize(loss)``, one ``Session.run([train, loss])`` per
  step (Conv2D's gradient runs Conv2DBackpropInput/Filter, MaxPool's MaxPoolGrad).
* hand-written: the same algorithm in numpy — im2col with stride tricks and one matmul per
  conv, the input gradient by col2im over the 9 kernel positions, max pooling by a reshape
  with a first-maximum mask — the practical limit for a numpy engine.

The two alternate in one process (the machine is shared and noisy); the script prints the
median ms per step of each (best of ``--repeats`` medians) and the ratio graphflow /
hand-written.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import graphflow as gf

LR, CLASSES = 0.01, 10


def initial_values(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def he(*shape: int) -> np.ndarray:
        fan_in = int(np.prod(shape[:-1]))
        return (rng.normal(size=shape) * np.sqrt(2 / fan_in)).astype(np.float32)

    return {"k1": he(3, 3, 1, 32), "b1": np.zeros(32, np.float32),
            "k2": he(3, 3, 32, 64), "b2": np.zeros(64, np.float32),
            "w": he(7 * 7 * 64, CLASSES), "b": np.zeros(CLASSES, np.float32)}


def batch(size: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 1, (size, 28, 28, 1)).astype(np.float32),
            rng.integers(0, CLASSES, size).astype(np.int32))


def graphflow_step(values: dict[str, np.ndarray], x_val: np.ndarray, y_val: np.ndarray
                   ) -> Callable[[], float]:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, x_val.shape, name="x")
        labels = gf.placeholder(gf.int32, y_val.shape, name="labels")
        v = {k: gf.Variable(a, name=k) for k, a in values.items()}
        h = gf.nn.relu(gf.nn.bias_add(gf.nn.conv2d(x, v["k1"], 1, "SAME"), v["b1"]))
        h = gf.nn.max_pool(h, 2, 2, "VALID")
        h = gf.nn.relu(gf.nn.bias_add(gf.nn.conv2d(h, v["k2"], 1, "SAME"), v["b2"]))
        h = gf.nn.max_pool(h, 2, 2, "VALID")
        logits = gf.nn.bias_add(gf.matmul(gf.reshape(h, [-1, 7 * 7 * 64]), v["w"]), v["b"])
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        train = gf.train.GradientDescentOptimizer(LR).minimize(loss)
        sess = gf.Session(graph=g)
        sess.run(gf.global_variables_initializer())
    feeds = {x: x_val, labels: y_val}

    def step() -> float:
        return float(sess.run([train, loss], feeds)[1])

    return step


class NumpyCNN:
    """The same network, forward and backward, written directly in numpy."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        self.p = {k: a.copy() for k, a in values.items()}

    @staticmethod
    def conv(x: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """3x3 SAME stride-1 conv: (output, im2col matrix)."""
        n, h, w, c = x.shape
        xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        cols = sliding_window_view(xp, (3, 3), axis=(1, 2))  # [n, h, w, c, 3, 3]
        cols = np.ascontiguousarray(cols.transpose(0, 1, 2, 4, 5, 3)).reshape(n * h * w, 9 * c)
        return (cols @ k.reshape(9 * c, -1)).reshape(n, h, w, -1), cols

    @staticmethod
    def conv_input_grad(dy: np.ndarray, k: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        n, h, w, c = shape
        dcols = (dy.reshape(n * h * w, -1) @ k.reshape(9 * c, -1).T).reshape(n, h, w, 3, 3, c)
        dxp = np.zeros((n, h + 2, w + 2, c), dy.dtype)
        for i in range(3):
            for j in range(3):
                dxp[:, i:i + h, j:j + w] += dcols[:, :, :, i, j]
        return dxp[:, 1:-1, 1:-1]

    @staticmethod
    def pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """2x2/2 max pool: (output, mask of each window's first maximum)."""
        n, h, w, c = x.shape
        win = x.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(
            n, h // 2, w // 2, c, 4)
        arg = win.argmax(axis=-1)
        return np.take_along_axis(win, arg[..., None], -1)[..., 0], arg

    @staticmethod
    def pool_grad(dy: np.ndarray, arg: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        n, h, w, c = shape
        onehot = (arg[..., None] == np.arange(4)) * dy[..., None]  # [n, h/2, w/2, c, 4]
        return onehot.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(
            shape).astype(dy.dtype)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        p = self.p
        a1, cols1 = self.conv(x, p["k1"])
        a1 += p["b1"]
        r1 = np.maximum(a1, 0)
        p1, arg1 = self.pool(r1)
        a2, cols2 = self.conv(p1, p["k2"])
        a2 += p["b2"]
        r2 = np.maximum(a2, 0)
        p2, arg2 = self.pool(r2)
        flat = p2.reshape(len(x), -1)
        logits = flat @ p["w"] + p["b"]
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        probs = e / e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(e.sum(axis=1)) - z[np.arange(len(y)), y]))
        dlogits = probs
        dlogits[np.arange(len(y)), y] -= 1
        dlogits /= len(y)
        dw, db = flat.T @ dlogits, dlogits.sum(axis=0)
        dflat = dlogits @ p["w"].T
        da2 = self.pool_grad(dflat.reshape(p2.shape), arg2, r2.shape) * (a2 > 0)
        dk2 = (cols2.T @ da2.reshape(-1, 64)).reshape(p["k2"].shape)
        db2 = da2.sum(axis=(0, 1, 2))
        dp1 = self.conv_input_grad(da2, p["k2"], p1.shape)
        da1 = self.pool_grad(dp1, arg1, r1.shape) * (a1 > 0)
        dk1 = (cols1.T @ da1.reshape(-1, 32)).reshape(p["k1"].shape)
        db1 = da1.sum(axis=(0, 1, 2))
        for name, grad in (("k1", dk1), ("b1", db1), ("k2", dk2), ("b2", db2), ("w", dw),
                           ("b", db)):
            p[name] -= LR * grad
        return loss


def measure(steps: int, repeats: int, size: int) -> None:
    values = initial_values()
    x, y = batch(size)
    gf_step = graphflow_step(values, x, y)
    ref = NumpyCNN(values)
    first_gf, first_np = gf_step(), ref.step(x, y)
    assert abs(first_gf - first_np) < 1e-4 * max(1.0, abs(first_np)), (first_gf, first_np)
    best_gf, best_np = float("inf"), float("inf")
    for _ in range(repeats):
        t_gf, t_np = [], []
        for _ in range(steps):
            t0 = time.perf_counter()
            gf_step()
            t1 = time.perf_counter()
            ref.step(x, y)
            t2 = time.perf_counter()
            t_gf.append(t1 - t0)
            t_np.append(t2 - t1)
        best_gf = min(best_gf, statistics.median(t_gf))
        best_np = min(best_np, statistics.median(t_np))
    print(f"batch {size}: first-step loss graphflow {first_gf:.5f}, numpy {first_np:.5f}")
    print(f"batch {size}: graphflow {best_gf * 1e3:.1f} ms/step, hand-written numpy "
          f"{best_np * 1e3:.1f} ms/step, ratio {best_gf / best_np:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, nargs="+", default=[32])
    args = parser.parse_args()
    for size in args.batch:
        measure(args.steps, args.repeats, size)


if __name__ == "__main__":
    main()
