"""Numeric gradient checking: analytic Jacobians from ``gf.gradients`` against central
finite differences ``(f(x+h) - f(x-h)) / 2h`` — the lecture's rule 4.

Stages of ``check_gradients``:
  1. build, once, the symbolic gradient of ``sum(y * w)`` for each x, with ``w`` a
     placeholder; feeding ``w = e_j`` gives row j of the Jacobian (``compute_gradient``);
  2. evaluate f(x +/- h) for each element of each x by feeding perturbed values (any tensor
     can be fed, so x may be a placeholder, a variable's read or an intermediate);
  3. compare and report the worst element: which x, its index, analytic and numeric values.
Run in float64 for meaningful comparisons (float32 round-off swamps h^2 terms).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.compiler.gradients import gradients
from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import as_dense
from graphflow.framework.tensor import Tensor
from graphflow.ops import array_ops
from graphflow.ops.variables import Variable, global_variables_initializer
from graphflow.runtime.session import Session, get_default_session

#: The gradient nodes ``check_gradients`` built, per graph: {(id(y), ids of xs): (w, grads)}.
#: Built once per (y, xs) and reused by later checks; dropped with the graph.
_GRADIENT_NODES: weakref.WeakKeyDictionary[Graph, dict[tuple[int, tuple[int, ...]],
                                                    tuple[Tensor, list[Any]]]] = \
    weakref.WeakKeyDictionary()


@dataclass
class WorstElement:
    """Where analytic and numeric gradients disagree most."""

    x_name: str
    index: tuple[int, ...]
    y_index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def error(self) -> float:
        return abs(self.analytic - self.numeric)


@dataclass
class GradientCheckResult:
    """Per-x Jacobians and the worst disagreement overall."""

    analytic: list[np.ndarray]  # one (x.size, y.size) Jacobian per x, TF's layout
    numeric: list[np.ndarray]
    worst: WorstElement | None

    @property
    def max_error(self) -> float:
        return 0.0 if self.worst is None else self.worst.error

    def __str__(self) -> str:
        if self.worst is None:
            return "gradient check: nothing to compare"
        w = self.worst
        return (f"gradient check: max |analytic - numeric| = {w.error:.3g} at {w.x_name}"
                f"{list(w.index)} (d y{list(w.y_index)}): analytic {w.analytic:.6g}, "
                f"numeric {w.numeric:.6g}")


def _as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _as_tensor(x: Any) -> Tensor:
    if isinstance(x, Variable):
        return x.value()  # perturb its read
    return x


def check_gradients(y: Tensor, xs: Any, feed_dict: dict[Any, Any] | None = None,
                    x_values: Any = None, delta: float = 1e-6, session: Any = None
                    ) -> GradientCheckResult:
    """Compare analytic and central-difference Jacobians of ``y`` w.r.t. each x.

    ``x_values`` gives the point (default: x's fed value, else its current value)."""
    xs_t = [_as_tensor(x) for x in _as_list(xs)]
    feeds = dict(feed_dict or {})
    graph = y.graph
    sess = session or get_default_session()
    if sess is None:  # a private session: start the variables from their initializers
        sess = Session(graph=graph)
        with graph.as_default():
            sess.run(global_variables_initializer())
    cache = _GRADIENT_NODES.setdefault(graph, {})
    key = (id(y), tuple(id(x) for x in xs_t))
    if key not in cache:
        with graph.as_default():
            w = array_ops.placeholder(y.dtype, y.shape, name="gradient_check_w")
            cache[key] = (w, gradients([y], xs_t, grad_ys=[w], name="gradient_check"))
    w, grads = cache[key]
    points = _as_list(x_values) if x_values is not None else [None] * len(xs_t)
    base = []
    for x, p in zip(xs_t, points):
        if p is None:
            p = feeds.get(x, feeds.get(x.name) if x.name in feeds else None)
        if p is None:
            p = sess.run(x, feeds)
        base.append(np.array(p, dtype=x.dtype.np_dtype))
    for x, v in zip(xs_t, base):
        feeds[x] = v
    y0 = np.asarray(sess.run(y, feeds))
    ny = y0.size
    analytic, numeric = [], []
    for k, (x, g) in enumerate(zip(xs_t, grads)):
        nx_ = base[k].size
        jac_a = np.zeros((nx_, ny))
        if g is not None:
            for j in range(ny):
                onehot = np.zeros(ny, dtype=y.dtype.np_dtype)
                onehot[j] = 1
                gv = sess.run(g, {**feeds, w: onehot.reshape(y0.shape)})
                jac_a[:, j] = as_dense(gv, np.float64).reshape(-1)
        jac_n = np.zeros((nx_, ny))
        flat = base[k].reshape(-1)
        for i in range(nx_):
            plus, minus = flat.copy(), flat.copy()
            plus[i] += delta
            minus[i] -= delta
            f_plus = sess.run(y, {**feeds, x: plus.reshape(base[k].shape)})
            f_minus = sess.run(y, {**feeds, x: minus.reshape(base[k].shape)})
            jac_n[i, :] = (np.asarray(f_plus, np.float64) - np.asarray(f_minus, np.float64)
                           ).reshape(-1) / (2 * delta)
        analytic.append(jac_a)
        numeric.append(jac_n)
    worst = None
    for k, (ja, jn) in enumerate(zip(analytic, numeric)):
        if ja.size == 0:
            continue
        row, col = np.unravel_index(np.argmax(np.abs(ja - jn)), ja.shape)
        cand = WorstElement(xs_t[k].name,
                            tuple(int(v) for v in np.unravel_index(row, base[k].shape)),
                            tuple(int(v) for v in np.unravel_index(col, y0.shape)),
                            float(ja[row, col]), float(jn[row, col]))
        if worst is None or cand.error > worst.error:
            worst = cand
    return GradientCheckResult(analytic, numeric, worst)


def compute_gradient(x: Any, x_shape: Any, y: Tensor, y_shape: Any, x_init_value: Any = None,
                     delta: float = 1e-3, init_targets: Any = None,
                     extra_feed_dict: dict[Any, Any] | None = None) -> Any:
    """TF1 ``tf.test.compute_gradient``: (theoretical, numerical) Jacobians of shape
    (x.size, y.size); lists of them when ``x`` is a list."""
    sess = get_default_session()
    if init_targets is not None and sess is not None:
        sess.run(init_targets)
    result = check_gradients(y, x, extra_feed_dict, x_init_value, delta, sess)
    pairs = list(zip(result.analytic, result.numeric))
    return pairs if isinstance(x, (list, tuple)) else pairs[0]


def compute_gradient_error(x: Any, x_shape: Any, y: Tensor, y_shape: Any,
                           x_init_value: Any = None, delta: float = 1e-3,
                           init_targets: Any = None,
                           extra_feed_dict: dict[Any, Any] | None = None) -> float:
    """TF1 ``tf.test.compute_gradient_error``: max |theoretical - numerical| over all x."""
    sess = get_default_session()
    if init_targets is not None and sess is not None:
        sess.run(init_targets)
    return check_gradients(y, x, extra_feed_dict, x_init_value, delta, sess).max_error
