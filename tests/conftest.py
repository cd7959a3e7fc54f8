"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import graphflow as gf


@pytest.fixture
def graph() -> Iterator[gf.Graph]:
    """A fresh Graph, installed as the default graph for the test's duration."""
    g = gf.Graph()
    with g.as_default():
        yield g


@pytest.fixture
def g(graph: gf.Graph) -> gf.Graph:
    """The ``graph`` fixture under the short name the framework tests use."""
    return graph
