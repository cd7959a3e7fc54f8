"""TF1's local variables: ``GraphKeys.LOCAL_VARIABLES`` (per-session state such as metric
counters and epoch counters, not saved by default), ``local_variables`` and
``local_variables_initializer``."""

from __future__ import annotations

from graphflow.framework.graph import Graph, GraphKeys, get_default_graph
from graphflow.framework.tensor import Operation
from graphflow.ops.variables import Variable, variables_initializer


def local_variables(scope: str | None = None, graph: Graph | None = None) -> list[Variable]:
    """The variables of ``GraphKeys.LOCAL_VARIABLES`` (those whose name matches
    the regular expression ``scope`` when given, as TF1)."""
    return (graph or get_default_graph()).get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def local_variables_initializer() -> Operation:
    """``tf.local_variables_initializer()``: one op running every local variable's
    initializer (a NoOp when there are none)."""
    return variables_initializer(local_variables(), name="init")
