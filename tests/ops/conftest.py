"""Fixtures of the op-family tests (the shared ``graph`` fixture is in ``tests/conftest.py``)."""

from __future__ import annotations

import pytest

import graphflow as gf

from .helpers import W0


@pytest.fixture
def w(graph: gf.Graph) -> gf.Variable:
    """A float64 [4, 3] variable ``W`` holding ``W0`` in the test's default graph."""
    return gf.Variable(W0, name="W")
