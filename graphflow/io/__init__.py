"""Files and graph transfer: .pb/.pbtxt read/write, import_graph_def, freezing, checkpoints."""

from graphflow.compiler.importer import import_graph_def  # noqa: F401
from graphflow.io.graph_io import load_graph, read_graph, write_graph  # noqa: F401
