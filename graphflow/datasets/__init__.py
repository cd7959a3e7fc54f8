"""``tf.data`` basics for TF1 programs (``compat.v1.data``; ``graphflow.data`` is the NER corpus
package): ``Dataset.from_tensor_slices``, ``from_tensors``, ``range``, and ``batch``
(``drop_remainder``), ``shuffle`` (seeded; reshuffled each iteration), ``repeat``, ``map``,
``take``, ``prefetch``/``cache`` (no-ops); ``make_one_shot_iterator`` and
``make_initializable_iterator`` (``.initializer``); ``get_next()`` raising
``errors.OutOfRangeError`` at the end, as TF1.

The pipeline runs in Python on numpy values — ``map`` calls its function on numpy arrays, not
on graph tensors (it is run once at build time on the first element to learn the output
dtypes and shapes) — and the graph holds two stateful ops: ``MakeIterator`` (the
initializer) and ``IteratorGetNext``, whose kernel pulls the next element from a Python
iterator kept per session (keyed by the session's ``RunResources``). Values must keep the
declared dtype kind and shape; a mismatch is an ``InvalidArgumentError`` naming the node.
Like ``py_func``, the pipeline is not part of the GraphDef: it runs only in the process that
built it."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import FailedPreconditionError, OutOfRangeError
from graphflow.framework.graph import get_default_graph
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import op_builder
from graphflow.ops.op_base import one_or_tuple

Element = tuple[np.ndarray, ...]
_TOKENS = itertools.count()
_PIPELINES: dict[str, tuple[Callable[[], Iterator[Element]], bool]] = {}
_STATE: weakref.WeakKeyDictionary[RunResources, dict[str, Iterator[Element]]] = \
    weakref.WeakKeyDictionary()


# -- element structure ---------------------------------------------------------------------

def _flatten(value: Any) -> tuple[list[Any], Any]:
    """(flat leaves, structure): a leaf, a tuple/list of structures, or a dict of them."""
    if isinstance(value, dict):
        leaves, parts = [], []
        for k in sorted(value):
            sub, s = _flatten(value[k])
            leaves += sub
            parts.append((k, s, len(sub)))
        return leaves, ("dict", parts)
    if isinstance(value, (tuple, list)):
        leaves, parts = [], []
        for v in value:
            sub, s = _flatten(v)
            leaves += sub
            parts.append((None, s, len(sub)))
        return leaves, ("tuple", parts)
    if isinstance(value, Tensor):
        raise TypeError(f"tf.data in graphflow takes numpy arrays or Python values, got the "
                        f"graph tensor '{value.name}': pass its value (e.g. a numpy array)")
    return [value], None


def _rebuild(structure: Any, leaves: list[Any]) -> Any:
    if structure is None:
        return leaves[0]
    kind, parts = structure
    out, pos = [], 0
    for key, s, n in parts:
        out.append((key, _rebuild(s, leaves[pos:pos + n])))
        pos += n
    return {k: v for k, v in out} if kind == "dict" else tuple(v for _, v in out)


class Dataset:
    """A pipeline of elements (each a structure of numpy arrays) with static dtypes/shapes."""

    def __init__(self, factory: Callable[[], Iterator[Element]], structure: Any,
                 types: list[dtypes.DType], shapes: list[TensorShape]) -> None:
        self._factory, self._structure = factory, structure
        self._types, self._shapes = types, shapes

    # -- sources ---------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """One element per row of the arrays (all must have the same first dimension)."""
        leaves, structure = _flatten(tensors)
        arrays = [_as_array(v) for v in leaves]
        if any(a.ndim == 0 for a in arrays):
            raise ValueError("from_tensor_slices needs arrays of rank >= 1 (it slices dim 0)")
        n = arrays[0].shape[0]
        if any(a.shape[0] != n for a in arrays):
            raise ValueError("from_tensor_slices: the arrays' first dimensions differ: "
                             f"{[a.shape[0] for a in arrays]}")

        def rows() -> Iterator[Element]:
            return (tuple(a[i] for a in arrays) for i in range(n))
        return Dataset(rows, structure, [dtypes.as_dtype(a.dtype) for a in arrays],
                       [TensorShape(list(a.shape[1:])) for a in arrays])

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        """A dataset of exactly one element, ``tensors``."""
        leaves, structure = _flatten(tensors)
        arrays = [_as_array(v) for v in leaves]
        return Dataset(lambda: iter([tuple(arrays)]), structure,
                       [dtypes.as_dtype(a.dtype) for a in arrays],
                       [TensorShape(list(a.shape)) for a in arrays])

    @staticmethod
    def range(*args: int) -> Dataset:  # noqa: A003 - TF's name
        """``Dataset.range(stop)`` / ``(start, stop[, step])``: int64 scalars."""
        r = range(*args)
        return Dataset(lambda: ((np.int64(i),) for i in r), None, [dtypes.int64],
                       [TensorShape([])])

    # -- transformations ---------------------------------------------------------------------
    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Stack ``batch_size`` consecutive elements (the last batch may be smaller unless
        ``drop_remainder``)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        upstream = self._factory

        def batches() -> Iterator[Element]:
            it = upstream()
            while True:
                chunk = list(itertools.islice(it, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield tuple(np.stack([e[k] for e in chunk]) for k in range(len(chunk[0])))
        lead = batch_size if drop_remainder else None
        return Dataset(batches, self._structure, self._types,
                       [TensorShape([lead, *(s.dims or [])]) if s.dims is not None
                        else TensorShape(None) for s in self._shapes])

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> Dataset:
        """TF's buffer shuffle: keep ``buffer_size`` elements, emit a uniformly chosen one and
        refill its slot. Seeded: the same order per seed (per iteration when reshuffled)."""
        upstream = self._factory
        epochs = itertools.count()

        def shuffled() -> Iterator[Element]:
            epoch = next(epochs) if reshuffle_each_iteration else 0
            rng = np.random.default_rng(None if seed is None else [seed, epoch])
            it = upstream()
            buffer = list(itertools.islice(it, buffer_size))
            for item in it:
                k = int(rng.integers(len(buffer)))
                yield buffer[k]
                buffer[k] = item
            while buffer:
                yield buffer.pop(int(rng.integers(len(buffer))))
        return Dataset(shuffled, self._structure, self._types, self._shapes)

    def repeat(self, count: int | None = None) -> Dataset:
        """The dataset ``count`` times (forever when None or -1)."""
        upstream = self._factory

        def repeated() -> Iterator[Element]:
            for _ in (itertools.count() if count is None or count < 0 else range(count)):
                yield from upstream()
        return Dataset(repeated, self._structure, self._types, self._shapes)

    def take(self, count: int) -> Dataset:
        upstream = self._factory
        return Dataset(lambda: itertools.islice(upstream(), count), self._structure,
                       self._types, self._shapes)

    def map(self, map_func: Callable[..., Any], num_parallel_calls: Any = None) -> Dataset:
        """``map_func`` on each element's numpy values (a tuple element is unpacked into
        arguments, as TF); run once now on the first element for the output dtypes/shapes."""
        upstream, structure = self._factory, self._structure

        def call(e: Element) -> tuple[list[Any], Any]:
            value = _rebuild(structure, list(e))
            out = map_func(*value) if isinstance(value, tuple) else map_func(value)
            return _flatten(out)
        first = next(iter(upstream()), None)
        if first is None:
            raise ValueError("Dataset.map on an empty dataset: graphflow needs one element to "
                             "learn the output dtypes and shapes")
        leaves, out_structure = call(first)
        arrays = [_as_array(v) for v in leaves]

        def mapped() -> Iterator[Element]:
            return (tuple(_as_array(v) for v in call(e)[0]) for e in upstream())
        return Dataset(mapped, out_structure, [dtypes.as_dtype(a.dtype) for a in arrays],
                       [TensorShape(list(a.shape)) for a in arrays])

    def prefetch(self, buffer_size: Any) -> Dataset:
        """No-op (graphflow runs the pipeline in the calling thread)."""
        return self

    def cache(self, filename: str = "") -> Dataset:
        """No-op (the sources are in-memory arrays)."""
        return self

    # -- iterators -------------------------------------------------------------------------
    @property
    def output_types(self) -> Any:
        return _rebuild(self._structure, list(self._types))

    @property
    def output_shapes(self) -> Any:
        return _rebuild(self._structure, list(self._shapes))

    def make_one_shot_iterator(self) -> DatasetIterator:
        """An iterator that starts on first use (no initializer)."""
        return DatasetIterator(self, one_shot=True)

    def make_initializable_iterator(self, shared_name: str | None = None) -> DatasetIterator:
        """An iterator to (re)start by running ``iterator.initializer``."""
        return DatasetIterator(self, one_shot=False)


def _as_array(value: Any) -> np.ndarray:
    a = np.asarray(value)
    if a.dtype == np.float64 and not isinstance(value, np.ndarray) and not \
            isinstance(value, np.generic):
        a = a.astype(np.float32)  # Python floats become float32, as TF's conversion
    if a.dtype.kind in "US":
        a = a.astype(object)
    return a


class DatasetIterator:
    """``tf.data.Iterator``: ``get_next()`` (an ``IteratorGetNext`` node) and, for an
    initializable iterator, ``initializer`` (a ``MakeIterator`` node)."""

    def __init__(self, dataset: Dataset, one_shot: bool) -> None:
        self._dataset = dataset
        self._graph = get_default_graph()
        self.token = f"iterator_{next(_TOKENS)}"
        _PIPELINES[self.token] = (dataset._factory, one_shot)
        weakref.finalize(self._graph, _PIPELINES.pop, self.token, None)
        self._one_shot = one_shot
        self._initializer: Operation | None = None

    @property
    def initializer(self) -> Operation:
        if self._one_shot:
            raise ValueError("a one-shot iterator has no initializer; use "
                             "make_initializable_iterator()")
        if self._initializer is None:
            self._initializer = op_builder.apply("MakeIterator", [], {"token": self.token},
                                                 name="MakeIterator", graph=self._graph)
        return self._initializer

    @property
    def output_types(self) -> Any:
        return self._dataset.output_types

    @property
    def output_shapes(self) -> Any:
        return self._dataset.output_shapes

    def get_next(self, name: str | None = None) -> Any:
        """The next element as tensors (the same structure as the dataset's elements)."""
        op = op_builder.apply("IteratorGetNext", [], {
            "token": self.token, "output_types": list(self._dataset._types),
            "output_shapes": list(self._dataset._shapes)},
            name=name or "IteratorGetNext", graph=self._graph)
        return _rebuild(self._dataset._structure, list(op.outputs))


def make_one_shot_iterator(dataset: Dataset) -> DatasetIterator:
    """``tf.compat.v1.data.make_one_shot_iterator(dataset)``."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset: Dataset) -> DatasetIterator:
    """``tf.compat.v1.data.make_initializable_iterator(dataset)``."""
    return dataset.make_initializable_iterator()



# -- op records ------------------------------------------------------------------------------

def _registered(ctx: InferContext) -> None:
    if ctx.attr("token") not in _PIPELINES:
        ctx.fail("its tf.data pipeline is not registered in this process (a Dataset lives in "
                 "Python, not in the GraphDef)", "rebuild the input pipeline with "
                 "tf.data.Dataset in this process")


def _pipeline(ctx: KernelContext) -> tuple[Callable[[], Iterator[Element]], bool]:
    entry = _PIPELINES.get(ctx.attr("token"))
    if entry is None:
        raise ctx.invalid("its tf.data pipeline is no longer registered",
                          "rebuild the input pipeline with tf.data.Dataset")
    return entry


@register
class MakeIterator(Op):
    """(Re)starts the iterator of the ``token`` attr in this session (``initializer``)."""

    op_type = "MakeIterator"
    stateful = True
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _registered(ctx)
        return []

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        factory, _ = _pipeline(ctx)
        token, resources = ctx.attr("token"), ctx.resources

        def make() -> None:
            _STATE.setdefault(resources, {})[token] = factory()
        return make


@register
class IteratorGetNext(Op):
    """The next element of the iterator of the ``token`` attr; ``OutOfRangeError`` at the
    end; ``FailedPreconditionError`` before an initializable iterator's ``initializer``."""

    op_type = "IteratorGetNext"
    stateful = True
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _registered(ctx)
        return [TensorSpec(dt, TensorShape(s)) for dt, s in
                zip(ctx.attr("output_types"), ctx.attr("output_shapes"))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        factory, one_shot = _pipeline(ctx)
        token, resources = ctx.attr("token"), ctx.resources
        specs = list(ctx.outputs)
        name = ctx.name

        def get_next() -> Any:
            iterators = _STATE.setdefault(resources, {})
            it = iterators.get(token)
            if it is None:
                if not one_shot:
                    raise FailedPreconditionError(
                        f"IteratorGetNext node '{name}': GetNext() failed because the iterator "
                        "has not been initialized. Fix: run iterator.initializer first",
                        name, "IteratorGetNext")
                it = iterators[token] = factory()
            try:
                element = next(it)
            except StopIteration:
                raise OutOfRangeError(f"IteratorGetNext node '{name}': End of sequence",
                                      name, "IteratorGetNext") from None
            out = []
            for k, (value, spec) in enumerate(zip(element, specs)):
                a = np.asarray(value)
                if spec.dtype != dtypes.string:
                    a = a.astype(spec.dtype.np_dtype, copy=False)
                if not spec.shape.is_compatible_with(TensorShape(list(a.shape))):
                    raise ctx.invalid(f"element component {k} has shape {a.shape} but the "
                                      f"dataset declared {spec.shape}",
                                      "make map() return the same shapes for every element")
                out.append(a)
            return one_or_tuple(out)
        return get_next


__all__ = ["Dataset", "DatasetIterator", "make_initializable_iterator",
           "make_one_shot_iterator"]
