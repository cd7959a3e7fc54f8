"""Tests for graphflow.framework: dtypes, shapes, TensorProto/attr codecs, Graph, Tensor."""
