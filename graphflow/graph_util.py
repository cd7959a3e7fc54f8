"""``gf.graph_util``: TF1's graph utilities (freezing variables, extracting sub-graphs)."""

from graphflow.io.freeze import convert_variables_to_constants, extract_sub_graph  # noqa: F401
