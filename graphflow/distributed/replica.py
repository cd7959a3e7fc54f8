"""One data-parallel replica's graph: its gradients as fetches, and an update fed from outside.

A replica is any graphflow training graph described by a ``Replica`` (loss, optimizer, the
variables to train). ``GradientExchange`` adds to that graph, under ``data_parallel/``:

  1. the gradient pass (``optimizer.compute_gradients``): one fetch per trained variable, a
     dense array or the rows of an ``IndexedSlices`` (embedding lookups);
  2. one placeholder per gradient (for ``IndexedSlices``: one for the rows, one for their
     indices, so any number of rows can be fed);
  3. ``optimizer.apply_gradients`` over those placeholders (the optimizer's own update ops:
     SGD, momentum, Adam, lazy Adam), with the replica's global step.

So a worker computes gradients on its shard with (1), and applies an averaged gradient that
it did not compute with (3): every worker feeding the same average gets the same update.
Numpy only; Ray is not needed here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import IndexedSlices, IndexedSlicesValue
from graphflow.framework.tensor import Operation, Tensor
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, op_builder, variables
from graphflow.runtime.session import Session
from graphflow.train.optimizer import Optimizer

#: A computed gradient: a dense array, or the rows of an IndexedSlices.
GradValue = np.ndarray | IndexedSlicesValue


@dataclass
class Replica:
    """What a replica's build function returns (called with a fresh default graph, which it
    may use or not: the replica's graph is the loss's).

    ``loss`` must be a *mean* over the batch rows (so that the shard-size weighted average
    of the shards' gradients is the full batch's gradient). ``optimizer``: a fresh optimizer
    object (the exchange calls its ``apply_gradients``, which creates its slots).
    ``session``: a Session the builder already initialized (its variable values are kept,
    e.g. pretrained embeddings); otherwise one is made and every variable initialized.
    """

    loss: Tensor
    optimizer: Optimizer
    var_list: list[Any] | None = None
    global_step: Any = None
    session: Session | None = None


class GradientExchange:
    """The gradient fetches and the fed update of one replica graph (module docstring)."""

    def __init__(self, replica: Replica) -> None:
        graph = replica.loss.graph
        self.graph: Graph = graph
        self.loss = replica.loss
        with graph.as_default():
            before = {v.op.name for v in variables.global_variables(graph)}
            pairs = [(g, v) for g, v in
                     replica.optimizer.compute_gradients(replica.loss, replica.var_list)
                     if g is not None]
            if not pairs:
                raise ValueError(f"the loss '{replica.loss.name}' has no gradient for any "
                                 "trainable variable: nothing to train in parallel")
            self.names: list[str] = [v.op.name for _, v in pairs]
            self.fetches: list[Tensor | IndexedSlices] = [g for g, _ in pairs]
            self._feeds: dict[str, tuple[Tensor, ...]] = {}
            fed: list[tuple[Any, Any]] = []
            with graph.name_scope("data_parallel"):
                for i, (g, v) in enumerate(pairs):
                    fed.append((self._placeholder_for(i, g, v), v))
            self.apply_op: Operation = replica.optimizer.apply_gradients(
                fed, global_step=replica.global_step)
            self.session = replica.session or Session(graph=graph)
            new = [v for v in variables.global_variables(graph) if v.op.name not in before]
            init = variables.global_variables(graph) if replica.session is None else new
            self.session.run(variables.variables_initializer(init, name="data_parallel_init"))
        self.variables: dict[str, Any] = {v.op.name: v
                                          for v in variables.global_variables(graph)}

    def _placeholder_for(self, i: int, grad: Tensor | IndexedSlices, var: Any) -> Any:
        name = self.names[i].replace("/", "_")
        if isinstance(grad, IndexedSlices):
            rows = var.shape.as_list()[1:]
            values = array_ops.placeholder(grad.values.dtype, [None, *rows],
                                           name=f"{name}_rows")
            indices = array_ops.placeholder(grad.indices.dtype, [None], name=f"{name}_indices")
            dense_shape = op_builder.constant(np.array(var.shape.as_list(), np.int64),
                                              name=f"{name}_dense_shape")
            self._feeds[self.names[i]] = (values, indices)
            return IndexedSlices(values, indices, dense_shape, TensorShape(var.shape.as_list()))
        ph = array_ops.placeholder(var.dtype, var.shape.as_list(), name=name)
        self._feeds[self.names[i]] = (ph,)
        return ph

    # -- running ---------------------------------------------------------------------------
    def compute(self, feed: dict[Any, Any]) -> tuple[float, dict[str, GradValue]]:
        """The loss and every gradient on one shard (variables unchanged)."""
        loss, *grads = self.session.run([self.loss, *self.fetches], feed)
        out: dict[str, GradValue] = {}
        for name, g in zip(self.names, grads):
            out[name] = (IndexedSlicesValue(np.asarray(g.values), np.asarray(g.indices),
                                            np.asarray(g.dense_shape))
                         if isinstance(g, IndexedSlicesValue) else np.asarray(g))
        return float(loss), out

    def apply(self, grads: dict[str, GradValue]) -> None:
        """Run the optimizer's update with ``grads`` fed for the computed gradients."""
        missing = sorted(set(self.names) - set(grads))
        if missing:
            raise ValueError(f"no averaged gradient for variable(s) {missing}")
        feed: dict[Any, Any] = {}
        for name, value in grads.items():
            phs = self._feeds[name]
            if isinstance(value, IndexedSlicesValue):
                if len(phs) != 2:
                    raise TypeError(f"variable '{name}' has a dense gradient, got rows")
                feed[phs[0]], feed[phs[1]] = value.values, value.indices
            else:
                if len(phs) != 1:
                    raise TypeError(f"variable '{name}' has an IndexedSlices gradient, got a "
                                    f"dense array of shape {np.shape(value)}")
                feed[phs[0]] = value
        self.session.run(self.apply_op, feed)

    # -- state -----------------------------------------------------------------------------
    def values(self) -> dict[str, np.ndarray]:
        """Every global variable's current value (model, optimizer slots, global step)."""
        return {name: np.asarray(self.session.run(v)) for name, v in self.variables.items()}

    def load(self, values: dict[str, np.ndarray]) -> None:
        """Set every global variable; the names must be exactly this graph's variables."""
        mine, theirs = set(self.variables), set(values)
        if mine != theirs:
            raise ValueError("the variables differ between replicas: only here "
                             f"{sorted(mine - theirs)[:5]}, only in the values "
                             f"{sorted(theirs - mine)[:5]} (build every replica alike)")
        for name, v in self.variables.items():
            value = np.asarray(values[name])
            # Write into the existing storage when it fits (as the update ops do): a
            # freshly allocated copy of a Ray object made the row scatter into it several
            # times slower (docs/distributed.md).
            current = self.session.resources.value_of(v.op.get_attr("shared_name") or name)
            if current is not None and current.shape == value.shape and \
                    current.dtype == value.dtype and current.flags.writeable:
                np.copyto(current, value)
            else:
                v.load(value, self.session)

    def signature(self) -> dict[str, tuple[tuple[int, ...], str]]:
        """Variable name -> (shape, dtype): equal on every replica of one run."""
        return {name: (tuple(v.shape.as_list()), v.dtype.name)
                for name, v in self.variables.items()}

    def digest(self) -> str:
        """A hash of every variable's bytes: equal exactly when the values are identical."""
        h = hashlib.sha256()
        for name, value in sorted(self.values().items()):
            h.update(name.encode())
            h.update(np.ascontiguousarray(value).tobytes())
        return h.hexdigest()
