"""``gf.einsum``: Einstein summation composed of existing ops (Sum, Transpose, Reshape,
MatMul / BatchMatMulV2, Mul), as TF1's ``tf.einsum`` did before the fused Einsum op — so
the graph exports to TensorFlow and the gradient comes from the parts.

Supported: any number of operands, contracted pairwise left to right; per operand each
subscript at most once; explicit (``ij,jk->ik``) or implicit (``ij,jk``: the subscripts
that appear once, sorted) outputs. Matmul, batched matmul, transposes, sums, inner and outer
products all reduce to this. Repeated subscripts inside one operand (traces, diagonals)
and ellipses are refused with a ValueError saying so."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from graphflow.framework.tensor import Tensor
from graphflow.ops import (
    array_ops,
    batch_matmul_ops,
    gather_ops,
    layout_ops,
    math_ops,
    op_builder,
    reduction_ops,
)

Dim = int | Tensor


def _parse(equation: str, n: int) -> tuple[list[str], str]:
    eq = equation.replace(" ", "")
    if "." in eq:
        raise ValueError(f"einsum '{equation}': ellipses ('...') are not supported; write "
                         "every subscript out")
    lhs, arrow, out = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != n:
        raise ValueError(f"einsum '{equation}' names {len(inputs)} operand(s) but {n} were "
                         "given")
    for s in inputs + [out]:
        if not all(c.isalpha() for c in s):
            raise ValueError(f"einsum '{equation}': subscripts must be letters, got '{s}'")
        repeated = [c for c, k in Counter(s).items() if k > 1]
        if repeated:
            raise ValueError(f"einsum '{equation}': subscript '{repeated[0]}' appears twice in "
                             f"'{s}'; traces and diagonals (a subscript repeated within one "
                             "operand or the output) are not supported")
    if not arrow:
        counts = Counter("".join(inputs))
        out = "".join(sorted(c for c, k in counts.items() if k == 1))
    missing = set(out) - set("".join(inputs))
    if missing:
        raise ValueError(f"einsum '{equation}': output subscript '{sorted(missing)[0]}' "
                         "appears in no operand")
    return inputs, out


def _dim(t: Tensor, axis: int) -> Dim:
    d = t.shape[axis]
    return int(d) if d is not None else gather_ops.gather(array_ops.shape(t), axis)


def _prod(dims: list[Dim]) -> Dim:
    if all(isinstance(d, int) for d in dims):
        return math.prod(dims)  # type: ignore[arg-type]
    out: Dim = 1
    for d in dims:
        out = d if isinstance(out, int) and out == 1 else math_ops.multiply(out, d)
    return out


def _shape(dims: list[Dim]) -> Any:
    if all(isinstance(d, int) for d in dims):
        return dims
    return layout_ops.stack([d if isinstance(d, Tensor) else op_builder.constant(d)
                             for d in dims])


def _transpose(t: Tensor, idx: str, order: str) -> Tensor:
    if idx == order:
        return t
    return layout_ops.transpose(t, [idx.index(c) for c in order])


def _sum_out(t: Tensor, idx: str, keep: set[str]) -> tuple[Tensor, str]:
    drop = [k for k, c in enumerate(idx) if c not in keep]
    if not drop:
        return t, idx
    return reduction_ops.reduce_sum(t, drop), "".join(c for c in idx if c in keep)


def _contract(a: Tensor, ai: str, b: Tensor, bi: str, keep: set[str]) -> tuple[Tensor, str]:
    """a (subscripts ai) times b (bi), summing the shared subscripts not in ``keep``."""
    a, ai = _sum_out(a, ai, keep | set(bi))
    b, bi = _sum_out(b, bi, keep | set(ai))
    batch = [c for c in ai if c in bi and c in keep]
    summed = [c for c in ai if c in bi and c not in keep]
    a_free = [c for c in ai if c not in bi]
    b_free = [c for c in bi if c not in ai]
    a = _transpose(a, ai, "".join(batch + a_free + summed))
    b = _transpose(b, bi, "".join(batch + summed + b_free))
    nb = len(batch)
    bd = [_dim(a, k) for k in range(nb)]
    ad = [_dim(a, nb + k) for k in range(len(a_free))]
    kd = [_dim(a, nb + len(a_free) + k) for k in range(len(summed))]
    fd = [_dim(b, nb + len(summed) + k) for k in range(len(b_free))]
    if not summed and not batch:  # an outer product: broadcasting Mul
        ax = array_ops.reshape(a, _shape(ad + [1] * len(fd)))
        return math_ops.multiply(ax, b), "".join(a_free + b_free)
    m, k, n = _prod(ad), _prod(kd), _prod(fd)
    if batch:
        a3 = array_ops.reshape(a, _shape([_prod(bd), m, k]))
        b3 = array_ops.reshape(b, _shape([_prod(bd), k, n]))
        prod = batch_matmul_ops.batch_matmul(a3, b3)
    else:
        prod = batch_matmul_ops.matmul(array_ops.reshape(a, _shape([m, k])),
                                       array_ops.reshape(b, _shape([k, n])))
    out = array_ops.reshape(prod, _shape(bd + ad + fd))
    out.set_shape([d if isinstance(d, int) else None for d in bd + ad + fd])
    return out, "".join(batch + a_free + b_free)


def einsum(equation: str, *inputs: Any, name: str | None = None, **kwargs: Any) -> Tensor:
    """``tf.einsum(equation, *inputs)``: e.g. ``'ij,jk->ik'`` (matmul), ``'bij,bjk->bik'``
    (batched), ``'ij->ji'`` (transpose), ``'ij->'`` (sum), ``'i,i->'`` (dot), ``'i,j->ij'``
    (outer). See the module docstring for what is supported."""
    if kwargs:
        raise TypeError(f"einsum got unexpected keyword arguments {sorted(kwargs)}")
    if not inputs:
        raise ValueError("einsum needs at least one operand")
    specs, out = _parse(equation, len(inputs))
    g = op_builder.graph_of(*inputs)
    with g.as_default(), g.name_scope(name or "einsum") as scope:
        tensors = op_builder.convert_n(list(inputs))
        for t, s in zip(tensors, specs):
            if t.shape.rank is None:
                raise ValueError(f"einsum '{equation}': operand '{t.name}' has unknown rank; "
                                 "give it a shape")
            if t.shape.rank != len(s):
                raise ValueError(f"einsum '{equation}': operand '{t.name}' has rank "
                                 f"{t.shape.rank} but subscripts '{s}'")
        result, ri = tensors[0], specs[0]
        for k in range(1, len(tensors)):
            later = set(out).union(*[set(s) for s in specs[k + 1:]])
            result, ri = _contract(result, ri, tensors[k], specs[k], later)
        result, ri = _sum_out(result, ri, set(out))
        result = _transpose(result, ri, out)
        return array_ops.identity(result, name=scope)
