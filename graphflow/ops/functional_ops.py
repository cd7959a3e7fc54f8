"""TF1's higher-order functions ``tf.map_fn``, ``tf.scan``, ``tf.foldl`` and ``tf.foldr``,
built as TensorFlow 1 builds them (``python/ops/map_fn.py``, ``functional_ops.py``): the
elements (axis 0 of each tensor of ``elems``, a tensor or a nested structure of tensors with
the same first dimension n) are unstacked into TensorArrays, a ``while_loop`` (``map/while``,
``scan/while``, ``foldl/while``, ``foldr/while``; at most n iterations) reads element i and
calls ``fn``, and map/scan write each result into an output TensorArray that is stacked at
the end (so results are ``[n] + fn's result shape``). Gradients flow through the loop and the
TensorArrays; variables that ``fn`` creates with ``gf.get_variable`` live outside the loop
(as TF1's ``init_scope`` places them), once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.framework import dtypes, nest
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, control_flow, op_builder
from graphflow.ops.tensor_array import TensorArray

__all__ = ["map_fn", "scan", "foldl", "foldr"]


def _check_fn(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"{what}: fn must be callable, got {type(fn).__name__}: {fn!r}")


def _elements(what: str, elems_flat: list[Any]) -> tuple[list[Tensor], Any, int | None]:
    """The elems as tensors of rank >= 1 with one first dimension n (static if known, else
    ``shape(elems[0])[0]``); also returns the static n."""
    if not elems_flat:
        raise ValueError(f"{what}: elems must contain at least one tensor")
    tensors = [op_builder.convert_to_tensor(e, name="elem") for e in elems_flat]
    n_static: int | None = None
    for t in tensors:
        if t.shape.rank is not None and t.shape.rank < 1:
            raise ValueError(f"{what}: elems must be 1+ dimensional Tensors, not scalars "
                             f"('{t.name}' has shape {t.shape}); the elements are the slices "
                             "along axis 0")
        d = t.shape[0] if t.shape.rank is not None else None
        if d is not None:
            if n_static is not None and d != n_static:
                raise ValueError(f"{what}: all elems must have the same first dimension: "
                                 f"'{t.name}' has {d}, an earlier one {n_static}")
            n_static = d
    first = tensors[0]
    n = n_static if first.shape.rank is not None and first.shape[0] is not None else \
        array_ops.shape(first)[0]
    return tensors, n, n_static


def _unstacked(tensors: list[Tensor], n: Any) -> list[TensorArray]:
    return [TensorArray(dtype=t.dtype, size=n, dynamic_size=False, infer_shape=True,
                        element_shape=t.shape[1:] if t.shape.rank is not None else None
                        ).unstack(t) for t in tensors]


def _set_leading(results: list[Tensor], n_static: int | None) -> None:
    for r in results:
        if r.shape.rank is not None:
            r.set_shape(TensorShape([n_static]).concatenate(r.shape[1:]))


def _check_results(what: str, structure: Any, result: Any, want: list[Any] | None,
                   role: str) -> list[Tensor]:
    try:
        nest.assert_same_structure(structure, result, f"{role} and fn's result")
    except ValueError as err:
        raise ValueError(f"{what}: fn's output structure doesn't match {role}: {err}") \
            from None
    flat = [op_builder.convert_to_tensor(r) for r in nest.flatten(result)]
    if want is not None:
        for r, dt in zip(flat, want):
            if r.dtype != dt:
                raise TypeError(f"{what}: fn returned '{r.name}' of dtype {r.dtype.name} where "
                                f"{role} says {dt.name}; pass the right dtype= or cast in fn")
    return flat


def map_fn(fn: Callable[[Any], Any], elems: Any, dtype: Any = None,
           parallel_iterations: int | None = None, back_prop: bool = True,
           swap_memory: bool = False, infer_shape: bool = True,
           name: str | None = None) -> Any:
    """``tf.map_fn``: ``stack([fn(e) for e in unstack(elems)])`` as a while loop.

    ``elems`` is a tensor or a nested structure of tensors with a common first dimension
    (``fn`` gets the same structure of slices); ``dtype`` (a dtype or structure of dtypes)
    declares fn's result when it differs from elems' structure/dtypes."""
    _check_fn(fn, "map_fn")
    input_is_sequence = nest.is_sequence(elems)
    elems_flat = nest.flatten(elems) if input_is_sequence else [elems]

    def input_pack(x: list[Any]) -> Any:
        return nest.pack_sequence_as(elems, x) if input_is_sequence else x[0]
    graph = op_builder.graph_of(*elems_flat)
    with graph.as_default(), graph.name_scope(name or "map"):
        tensors, n, n_static = _elements("map_fn", elems_flat)
        if dtype is None:
            out_structure: Any = elems
            dtype_flat = [t.dtype for t in tensors]
        else:
            out_structure = dtype
            dtype_flat = [dtypes.as_dtype(d) for d in
                          (nest.flatten(dtype) if nest.is_sequence(dtype) else [dtype])]
        output_is_sequence = nest.is_sequence(out_structure)
        elems_ta = _unstacked(tensors, n)
        i = op_builder.constant(0, dtype=dtypes.int32)
        accs_ta = [TensorArray(dtype=dt, size=n, dynamic_size=False, infer_shape=infer_shape)
                   for dt in dtype_flat]

        def compute(i: Tensor, tas: list[TensorArray]) -> Any:
            packed_values = input_pack([ta.read(i) for ta in elems_ta])
            result = fn(packed_values)
            flat = _check_results("map_fn", out_structure, result, dtype_flat,
                                  "dtype" if dtype is not None else "elems")
            return i + 1, [ta.write(i, v) for ta, v in zip(tas, flat)]

        _, r_a = control_flow.while_loop(
            lambda i, _: i < n, compute, (i, accs_ta),
            parallel_iterations=parallel_iterations or 10, back_prop=back_prop,
            swap_memory=swap_memory, maximum_iterations=n)
        results_flat = [r.stack() for r in r_a]
        _set_leading(results_flat, n_static)
    if output_is_sequence:
        return nest.pack_sequence_as(out_structure, results_flat)
    return results_flat[0]


def scan(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
         parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
         infer_shape: bool = True, reverse: bool = False, name: str | None = None) -> Any:
    """``tf.scan``: the running accumulation ``a_i = fn(a_{i-1}, elems[i])`` for every i,
    stacked (``[n] + a's shape``); ``a_{-1} = initializer``, or without one ``a_0 =
    elems[0]`` (``reverse``: from the last element to the first)."""
    _check_fn(fn, "scan")
    input_is_sequence = nest.is_sequence(elems)
    elems_flat = nest.flatten(elems) if input_is_sequence else [elems]

    def input_pack(x: list[Any]) -> Any:
        return nest.pack_sequence_as(elems, x) if input_is_sequence else x[0]
    out_structure = elems if initializer is None else initializer
    output_is_sequence = nest.is_sequence(out_structure)

    def output_pack(x: list[Any]) -> Any:
        return nest.pack_sequence_as(out_structure, x) if output_is_sequence else x[0]
    graph = op_builder.graph_of(*elems_flat)
    with graph.as_default(), graph.name_scope(name or "scan"):
        tensors, n, n_static = _elements("scan", elems_flat)
        elems_ta = _unstacked(tensors, n)
        if initializer is None:
            a_flat = [ta.read(n - 1 if reverse else 0) for ta in elems_ta]
            i = op_builder.constant(1, dtype=dtypes.int32)
        else:
            init_flat = nest.flatten(initializer) if output_is_sequence else [initializer]
            a_flat = [op_builder.convert_to_tensor(a) for a in init_flat]
            i = op_builder.constant(0, dtype=dtypes.int32)
        accs_ta = [TensorArray(dtype=a.dtype, size=n, dynamic_size=False,
                               element_shape=a.shape if infer_shape else None,
                               infer_shape=infer_shape) for a in a_flat]
        if initializer is None:
            accs_ta = [ta.write(n - 1 if reverse else 0, a) for ta, a in zip(accs_ta, a_flat)]
        want = [a.dtype for a in a_flat]

        def compute(i: Tensor, a_flat: list[Tensor], tas: list[TensorArray]) -> Any:
            packed_elems = input_pack([ta.read(i) for ta in elems_ta])
            a_out = fn(output_pack(a_flat), packed_elems)
            flat = _check_results("scan", out_structure, a_out, want,
                                  "elems" if initializer is None else "initializer")
            tas = [ta.write(i, v) for ta, v in zip(tas, flat)]
            return (i - 1 if reverse else i + 1), flat, tas

        if reverse:
            initial_i: Any = n - 1 - i

            def condition(i: Tensor, *_: Any) -> Tensor:
                return i >= 0
        else:
            initial_i = i

            def condition(i: Tensor, *_: Any) -> Tensor:
                return i < n
        _, _, r_a = control_flow.while_loop(
            condition, compute, (initial_i, a_flat, accs_ta),
            parallel_iterations=parallel_iterations, back_prop=back_prop,
            swap_memory=swap_memory, maximum_iterations=n)
        results_flat = [r.stack() for r in r_a]
        _set_leading(results_flat, n_static)
    return output_pack(results_flat)


def _fold(what: str, fn: Callable[[Any, Any], Any], elems: Any, initializer: Any,
          parallel_iterations: int, back_prop: bool, swap_memory: bool, name: str | None,
          from_end: bool) -> Any:
    _check_fn(fn, what)
    elems_flat = nest.flatten(elems)
    graph: Graph = op_builder.graph_of(*elems_flat)
    with graph.as_default(), graph.name_scope(name or what):
        tensors, n, _ = _elements(what, elems_flat)
        elems_ta = nest.pack_sequence_as(elems, _unstacked(tensors, n)) if \
            nest.is_sequence(elems) else _unstacked(tensors, n)[0]
        structure = elems if initializer is None else initializer

        def read(i: Any) -> Any:
            return nest.map_structure(lambda ta: ta.read(i), elems_ta)
        if initializer is None:
            i: Any = n - 1 if from_end else op_builder.constant(1, dtype=dtypes.int32)
            a = read(n - 1 if from_end else 0)
        else:
            i = n if from_end else op_builder.constant(0, dtype=dtypes.int32)
            a = nest.map_structure(op_builder.convert_to_tensor, initializer)
        if not isinstance(i, Tensor):
            i = op_builder.constant(i, dtype=dtypes.int32)
        want = [t.dtype for t in nest.flatten(a)]
        role = "elems" if initializer is None else "initializer"

        def compute(i: Tensor, a: Any) -> Any:
            if from_end:
                i = i - 1
            a_out = fn(a, read(i))
            flat = _check_results(what, structure, a_out, want, role)
            out = nest.pack_sequence_as(structure, flat)
            return [i if from_end else i + 1, out]

        def condition(i: Tensor, a: Any) -> Tensor:
            return i > 0 if from_end else i < n
        _, r_a = control_flow.while_loop(
            condition, compute, [i, a], parallel_iterations=parallel_iterations,
            back_prop=back_prop, swap_memory=swap_memory, maximum_iterations=n)
    return r_a


def foldl(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
          name: str | None = None) -> Any:
    """``tf.foldl``: ``fn(...fn(fn(initializer, elems[0]), elems[1])..., elems[n-1])``
    (without an initializer the fold starts from ``elems[0]``)."""
    return _fold("foldl", fn, elems, initializer, parallel_iterations, back_prop, swap_memory,
                 name, from_end=False)


def foldr(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
          name: str | None = None) -> Any:
    """``tf.foldr``: the fold from the last element to the first, ``fn(...fn(initializer,
    elems[n-1])..., elems[0])`` (without an initializer it starts from ``elems[n-1]``)."""
    return _fold("foldr", fn, elems, initializer, parallel_iterations, back_prop, swap_memory,
                 name, from_end=True)
