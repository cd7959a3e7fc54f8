"""Checks every NodeDef passes when it enters a Graph (built, imported or loaded).

Two stages, both raising ``GraphBuildError`` naming the node, its op and the fix:

1. ``check_graph_def_structure`` (the importer, before any node is added): node names
   follow TensorFlow's rule and are unique, input strings follow the tensor-name grammar
   (``op``, ``op:k``, ``^op`` with ASCII digits), control inputs come after data inputs, and
   every input names a node of the GraphDef (or a key of ``input_map``).
2. ``check_node`` (``Graph``, for every node, against its op record): the number of data
   inputs (including number attrs such as ``N`` of ``AddN``/``ConcatV2``/``Pack``), the kind
   of every attr TensorFlow's conventions fix (``T`` is a type, ``transpose_a`` a bool,
   ``shape`` a shape, ...), DataType values graphflow knows, and shape attrs with dims >= -1.

TensorFlow refuses all of these; graphflow refuses them too, at build time, rather than
failing later with an internal exception or computing something else.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from typing import TYPE_CHECKING

from graphflow.framework import dtypes, tensor_util
from graphflow.framework.errors import GraphBuildError, node_error
from graphflow.framework.tensor_names import parse_input
from graphflow.proto import graph_pb2, node_def_pb2, tensor_shape_pb2, types_pb2

if TYPE_CHECKING:
    from graphflow.framework.op_registry import Op

#: TensorFlow's node-name rule (``tensorflow/core/graph/graph.cc``, ``IsValidNodeName``).
VALID_NODE_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")
#: A NodeDef input string: ``^name`` (control), ``name`` or ``name:k`` (ASCII digits).
_INPUT_SYNTAX = re.compile(r"^\^?[A-Za-z0-9.][A-Za-z0-9_.\-/>]*(:[0-9]+)?$")

_TYPE, _BOOL, _INT, _FLOAT, _STRING, _SHAPE, _TENSOR, _LIST = (
    "type", "b", "i", "f", "s", "shape", "tensor", "list")
_KIND_WORDS = {_TYPE: "a DataType", _BOOL: "a bool", _INT: "an int", _FLOAT: "a float",
               _STRING: "a string", _SHAPE: "a shape", _TENSOR: "a tensor", _LIST: "a list"}

#: The kind of the attrs whose meaning TensorFlow's op definitions fix by name.
ATTR_KINDS: dict[str, str] = {
    **dict.fromkeys(("T", "dtype", "DstT", "SrcT", "Tidx", "Tindices", "Tparams", "out_type",
                     "Tshape", "Tpaddings", "Tmultiples", "Taxis", "output_type", "index_type",
                     "Tperm", "TI", "Tlabels", "Tnumsegments", "Tdim", "Index", "out_idx"),
                    _TYPE),
    **dict.fromkeys(("transpose_a", "transpose_b", "adj_x", "adj_y", "keep_dims",
                     "use_locking", "use_nesterov", "validate_shape", "Truncate", "exclusive",
                     "reverse", "incompatible_shape_error", "validate_indices"), _BOOL),
    **dict.fromkeys(("N", "seed", "seed2", "begin_mask", "end_mask", "ellipsis_mask",
                     "new_axis_mask", "shrink_axis_mask", "batch_dims"), _INT),
    "alpha": _FLOAT,
    **dict.fromkeys(("data_format", "message", "container", "shared_name"), _STRING),
    "shape": _SHAPE,
    "value": _TENSOR,
    "squeeze_dims": _LIST,
}
# Attrs not in ATTR_KINDS whose kind depends on the op (``axis`` is an int attr of Pack,
# an input of ConcatV2) are checked against the kind of the record's default, if any.
# An empty list attr has no kind set at all in the proto, so an unset value passes as a list.
_LIST_OK_EMPTY = frozenset((_LIST,))


def _fail(node: node_def_pb2.NodeDef, message: str, fix: str) -> GraphBuildError:
    return GraphBuildError(node_error(node.name or "<unnamed>", node.op or "<no op>",
                                      message, fix))


def check_node_name(name: str, op_type: str) -> None:
    """GraphBuildError unless ``name`` is a valid TensorFlow node name."""
    if not VALID_NODE_NAME.match(name):
        shown = repr(name) if name else "'' (empty)"
        raise GraphBuildError(node_error(
            name or "<unnamed>", op_type, f"{shown} is not a valid node name",
            "start with a letter, digit or '.', then use letters, digits, '_', '.', '-', '/' "
            "or '>' (TensorFlow's rule; no ':', spaces or a leading '/')"))


def check_graph_def_structure(graph_def: graph_pb2.GraphDef,
                              external: Container[str] = ()) -> None:
    """Stage 1 (see the module docstring). ``external``: node names that ``input_map``
    supplies, so inputs naming them need not exist in the GraphDef."""
    names: set[str] = set()
    for node in graph_def.node:
        if not node.op:
            raise _fail(node, "has no op type", "set NodeDef.op (the file may be corrupt)")
        check_node_name(node.name, node.op)
        if node.name in names:
            raise _fail(node, f"the node name '{node.name}' is used twice in the GraphDef",
                        "node names must be unique; rename one of the nodes")
        names.add(node.name)
    for node in graph_def.node:
        check_inputs_syntax(node, node.input)
        for text in node.input:
            src = parse_input(text)[0]
            if src not in names and src not in external:
                raise _fail(node, f"input '{text}' names no node of the graph",
                            f"add the node '{src}' or correct the input (the GraphDef may be "
                            "truncated)")


def check_inputs_syntax(node: node_def_pb2.NodeDef, inputs: Iterable[str]) -> None:
    """Input strings follow the grammar, and control inputs come after data inputs."""
    seen_control = False
    for text in inputs:
        if not _INPUT_SYNTAX.match(text):
            raise _fail(node, f"input {text!r} is not a tensor name",
                        "write inputs as 'op', 'op:k' (k in ASCII digits) or '^op'")
        if text.startswith("^"):
            seen_control = True
        elif seen_control:
            raise _fail(node, f"data input '{text}' comes after a control input",
                        "list control inputs ('^op') after all data inputs, as TensorFlow "
                        "requires")


def check_node(node: node_def_pb2.NodeDef, record: Op, num_inputs: int,
               trusted_tensors: bool = False) -> None:
    """Stage 2 (see the module docstring) for a node with ``num_inputs`` data inputs.
    ``trusted_tensors``: tensor attrs were just encoded by graphflow from arrays (the
    builder's path), so their byte counts need no second look."""
    _check_arity(node, record, num_inputs)
    expected = _expected_kinds(record)
    for key, attr in node.attr.items():
        if key.startswith("_"):
            continue  # graphflow/TF metadata (_output_shapes, _class, ...)
        kind = attr.WhichOneof("value")
        want = expected.get(key)
        if want is not None and kind != want and not (kind is None and want in _LIST_OK_EMPTY):
            got = _KIND_WORDS.get(kind or "", "empty")
            raise _fail(node, f"attr '{key}' must be {_KIND_WORDS[want]}, got {got}",
                        f"store '{key}' as {_KIND_WORDS[want]} (see TensorFlow's op "
                        f"definition of {node.op})")
        if kind == _TYPE:
            if attr.type not in _SUPPORTED_TYPES:
                _check_dtype(node, key, attr.type)
        elif kind == _SHAPE:
            _check_shape(node, key, attr.shape)
        elif kind == _TENSOR and not trusted_tensors:
            try:
                tensor_util.check_tensor_proto(attr.tensor)
            except (TypeError, ValueError) as err:
                raise _fail(node, f"attr '{key}' holds an invalid tensor: {err}",
                            "re-export the constant (the file may be corrupt)") from None
        elif kind == _LIST:
            for t in attr.list.type:
                _check_dtype(node, key, t)
            for s in attr.list.shape:
                _check_shape(node, key, s)


def _supported_enum(enum: int) -> bool:
    try:
        dtypes.as_dtype(enum)
    except TypeError:
        return False
    return True


#: DataType enum values graphflow supports (base types and their _REF variants): the fast
#: path of the type check; anything else goes through ``_check_dtype`` for its message.
_SUPPORTED_TYPES = frozenset(e for e in types_pb2.DataType.values() if _supported_enum(e))
#: Per record (identity: a replaced record gets its own entry), the attr kinds to check.
_EXPECTED: dict[Op, dict[str, str]] = {}


def _expected_kinds(record: Op) -> dict[str, str]:
    """The attr kinds to check for nodes of ``record``'s op type (TF's conventions by name,
    then the kinds of the record's defaults; a list default makes the attr a list), built
    once per op type."""
    kinds = _EXPECTED.get(record)
    if kinds is None:
        kinds = dict(ATTR_KINDS)
        for key, value in record.attr_defaults.items():
            if isinstance(value, list):  # a list attr of this op (Assert's T: types)
                kinds[key] = _LIST
            elif key not in ATTR_KINDS:
                kind = _kind_of_default(value)
                if kind is not None:
                    kinds[key] = kind
        _EXPECTED[record] = kinds
    return kinds


def _check_arity(node: node_def_pb2.NodeDef, record: Op, n: int) -> None:
    names = record.input_names
    variadic = bool(names) and any(name.startswith("*") for name in names)
    if not variadic:
        if n != len(names):
            listed = ", ".join(names) or "none"
            raise _fail(node, f"has {n} data input(s), but {node.op} takes {len(names)} "
                        f"({listed})", f"give the node exactly {len(names)} data input(s)")
        return
    fixed = len(names) - 1
    count = n - fixed
    if count < 1:
        raise _fail(node, f"has {n} data input(s), but {node.op} takes at least {fixed + 1} "
                    f"({', '.join(names)})", "add the missing inputs")
    if "N" in node.attr:
        declared = node.attr["N"]
        if declared.WhichOneof("value") == _INT and declared.i != count:
            role = next(name for name in names if name.startswith("*")).lstrip("*")
            raise _fail(node, f"attr N = {declared.i} but the node lists {count} '{role}' "
                        "input(s)", f"set N to {count} or list {declared.i} inputs")


def _kind_of_default(value: object) -> str | None:
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, str):
        return _STRING
    if isinstance(value, dtypes.DType):
        return _TYPE
    if isinstance(value, list):
        return _LIST
    return None


def _check_dtype(node: node_def_pb2.NodeDef, key: str, enum: int) -> None:
    try:
        dtypes.as_dtype(enum)
    except TypeError as err:
        raise _fail(node, f"attr '{key}': {err}", "use a DataType graphflow supports") from None


def _check_shape(node: node_def_pb2.NodeDef, key: str,
                 shape: tensor_shape_pb2.TensorShapeProto) -> None:
    if shape.unknown_rank and len(shape.dim):
        raise _fail(node, f"attr '{key}' has unknown_rank set and {len(shape.dim)} dims",
                    "clear unknown_rank or the dims")
    for d in shape.dim:
        if d.size < -1:
            raise _fail(node, f"attr '{key}' has dimension {d.size}",
                        "dimensions are sizes >= 0, or -1 for unknown")
