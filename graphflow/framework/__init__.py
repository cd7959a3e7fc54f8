"""Core data model: dtypes, static shapes, tensor protos, Graph/Operation/Tensor."""
