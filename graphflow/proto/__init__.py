"""Generated protobuf modules (do not edit; run scripts/gen_protos.py).

The schema lives in protos/graphflow/*.proto and is wire-compatible with
TensorFlow's GraphDef family of messages.
"""

from graphflow.proto import (  # noqa: F401
    attr_value_pb2,
    graph_pb2,
    node_def_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
    versions_pb2,
)
