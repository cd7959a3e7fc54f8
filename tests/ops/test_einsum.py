"""gf.einsum: values vs np.einsum for the common subscripts, static shapes vs the real
outputs, float64 gradients vs central differences, and the refused forms."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("bi,bi->b", [(3, 4), (3, 4)]),
    ("abc,cd->abd", [(2, 3, 4), (4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output: 'ik'
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 2, 5)]),  # attention scores
]


@pytest.mark.parametrize("eq,shapes", CASES)
def test_einsum(eq: str, shapes: list[tuple[int, ...]]) -> None:
    values = [rand(s, i + 1) for i, s in enumerate(shapes)]
    xs = [gf.placeholder(gf.float64, list(s)) for s in shapes]
    y = gf.einsum(eq, *xs)
    feeds = dict(zip(xs, values))
    out = run(y, feeds)
    np.testing.assert_allclose(out, np.einsum(eq, *values), rtol=1e-12, atol=1e-14)
    assert y.shape.as_list() == list(np.shape(out))
    w = gf.constant(rand(np.shape(out), 9))
    assert_gradients(gf.reduce_sum(y * w), xs, feeds)


def test_einsum_unknown_batch_dim() -> None:
    a = gf.placeholder(gf.float64, [None, 3, 4])
    b = gf.placeholder(gf.float64, [None, 4, 2])
    y = gf.einsum("bij,bjk->bik", a, b)
    av, bv = rand((5, 3, 4), 1), rand((5, 4, 2), 2)
    np.testing.assert_allclose(run(y, {a: av, b: bv}), av @ bv, rtol=1e-12)
    assert y.shape.as_list()[1:] == [3, 2]


@pytest.mark.parametrize("eq,message", [("ii->", "appears twice"),
                                        ("...ij,jk->ik", "ellipses"),
                                        ("ij,jk->iz", "appears in no operand"),
                                        ("ijk,jk->i", "rank 2 but subscripts 'ijk'")])
def test_einsum_refusals(eq: str, message: str) -> None:
    a, b = gf.constant(rand((3, 3))), gf.constant(rand((3, 3)))
    with pytest.raises(ValueError, match=message):
        gf.einsum(eq, a, b) if "," in eq else gf.einsum(eq, a)
