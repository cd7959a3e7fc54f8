"""``import_graph_def``: add the nodes of a GraphDef to the default graph (TF1 semantics).

Stages: check versions and the function library; order the nodes topologically (a
GraphDef may list them in any order); prefix names with ``name/``; rewrite inputs through
``input_map``; add each node through the same path the builder uses (attr defaults, shape
rule, handles); return the requested elements.
"""

from __future__ import annotations

from typing import Any

from graphflow.compiler import graph_index
from graphflow.framework import node_validation, tensor_names
from graphflow.framework.errors import GraphBuildError, UnimplementedError, node_error
from graphflow.framework.graph import PRODUCER_VERSION, get_default_graph, paused_gc
from graphflow.framework.tensor import Operation, Tensor
from graphflow.proto import graph_pb2


def import_graph_def(graph_def: Any, input_map: dict[str, Any] | None = None,
                     return_elements: list[str] | None = None, name: str | None = "import",
                     op_dict: Any = None, producer_op_list: Any = None
                     ) -> list[Tensor | Operation] | None:
    """Import ``graph_def`` into the default graph under the scope ``name`` (``""``: keep the
    names). ``input_map`` maps tensor names in ``graph_def`` to Tensors that replace them."""
    graph_def = tensor_names.as_graph_def(graph_def)
    if name is None:  # TF: None means the default scope "import"; "" keeps the names
        name = "import"
    graph = get_default_graph()
    _check_versions(graph_def)
    if graph_def.HasField("library") and graph_def.library.ByteSize():
        raise UnimplementedError("the GraphDef has a function library; graphflow does not run "
                                 "TensorFlow functions (inline them or export a TF1 graph)")
    mapped: dict[tuple[str, int], Tensor] = {}
    for key, value in (input_map or {}).items():
        node, index = tensor_names.split_tensor_name(key)
        if not isinstance(value, Tensor):
            raise TypeError(f"input_map['{key}'] must be a gf.Tensor, got {type(value).__name__}")
        mapped[(node, index)] = value
    by_name = {n.name: n for n in graph_def.node}
    external = {n for n, _ in mapped if n not in by_name}  # supplied only by input_map
    node_validation.check_graph_def_structure(graph_def, external)
    # GraphDef order where it is already topological, so import + export is the identity.
    back_edges = _loop_back_edges(graph_def, by_name)
    order = _file_order_if_topological(graph_def, external, back_edges)
    if order is None:  # inputs listed after their consumers (or a cycle): sort with networkx
        order = graph_index.topological_order(
            _without_inputs_from(graph_def, external, back_edges), state_last=False)
    if name:
        with graph.name_scope(name) as scope:
            prefix = scope
    else:
        prefix = ""
    created: dict[str, Operation] = {}
    used_keys: set[tuple[str, int]] = set()
    with paused_gc():
        _import_nodes(graph, order, by_name, prefix, mapped, created, used_keys, back_edges)
    unused = set(mapped) - used_keys
    if unused:
        names = ", ".join(f"{n}:{i}" for n, i in sorted(unused))
        raise ValueError(f"input_map has keys not found in the graph_def: {names}")
    if return_elements is None:
        return None
    out: list[Tensor | Operation] = []
    for element in return_elements:
        node, sep, port_text = element.rpartition(":")
        if sep and port_text.isdigit():
            if node not in created:
                raise ValueError(f"return_elements: no node '{node}' in the imported graph")
            outputs = created[node].outputs
            if int(port_text) >= len(outputs):
                raise ValueError(f"return_elements: '{element}' does not exist; node '{node}' "
                                 f"({created[node].type}) has {len(outputs)} output(s)")
            out.append(outputs[int(port_text)])
        else:
            if element not in created:
                raise ValueError(f"return_elements: no node '{element}' in the imported graph")
            out.append(created[element])
    return out



def _import_nodes(graph: Any, order: list[str], by_name: dict[str, Any], prefix: str,
                  mapped: dict[tuple[str, int], Tensor], created: dict[str, Operation],
                  used_keys: set[tuple[str, int]], back_edges: dict[str, list[int]]) -> None:
    """Add each node (in topological order) through the builder's path, with its name
    prefixed and its inputs rewritten (``input_map`` first, then the nodes created so far).
    A while loop's Merge is created reading its Enter twice; once its NextIteration exists,
    the back edge replaces the second input (``Graph.update_input``), as TF1 builds it."""
    patches: list[tuple[str, int, str]] = []
    for node_name in order:
        src = by_name[node_name]
        inputs: list[Tensor] = []
        controls: list[Operation] = []
        input_refs: list[str] = []
        late = back_edges.get(node_name, ())
        for position, text in enumerate(src.input):
            if position in late:  # filled in below, once the NextIteration exists
                if not inputs:
                    raise GraphBuildError(node_error(
                        src.name, src.op, "a loop Merge must list its Enter input before "
                        "its NextIteration input"))
                patches.append((src.name, position, text))
                inputs.append(inputs[0])
                input_refs.append(input_refs[0])
                continue
            in_node, port, is_control = tensor_names.parse_input(text)
            if is_control:
                op = created[in_node]
                controls.append(op)
                input_refs.append("^" + op.name)
                continue
            if (in_node, port) in mapped:
                t = mapped[(in_node, port)]
                used_keys.add((in_node, port))
            else:
                producer = created.get(in_node)
                if producer is None:  # only input_map names it, for another output
                    raise GraphBuildError(node_error(
                        src.name, src.op, f"input '{text}' is neither in the GraphDef nor a "
                        "key of input_map", f"add '{text}' to input_map"))
                if port >= len(producer.outputs):
                    raise GraphBuildError(node_error(
                        src.name, src.op, f"input '{text}' reads output {port} of '{in_node}' "
                        f"({producer.type}), which has {len(producer.outputs)} output(s)",
                        f"read an output index below {len(producer.outputs)}"))
                t = producer.outputs[port]
            inputs.append(t)
            input_refs.append(t.input_ref())
        created[src.name] = graph.add_node_def(src, inputs, controls, prefix + src.name,
                                            input_refs)
    for merge_name, position, text in patches:
        in_node, port, _ = tensor_names.parse_input(text)
        graph.update_input(created[merge_name], position, created[in_node].outputs[port])


def _file_order_if_topological(graph_def: graph_pb2.GraphDef, external: set[str],
                               back_edges: dict[str, list[int]]) -> list[str] | None:
    """The nodes in file order when every input precedes its consumer (what TensorFlow and
    graphflow write; a loop's back edges aside) — checked in one pass — else None.
    ``external`` names count as seen."""
    seen: set[str] = set(external)
    order = []
    parse = tensor_names.parse_input
    for node in graph_def.node:
        late = back_edges.get(node.name, ())
        for position, text in enumerate(node.input):
            if position not in late and parse(text)[0] not in seen:
                return None
        seen.add(node.name)
        order.append(node.name)
    return order


def _loop_back_edges(graph_def: graph_pb2.GraphDef, by_name: dict[str, Any]
                     ) -> dict[str, list[int]]:
    """Merge node name -> positions of its inputs that come from a NextIteration (a while
    loop's back edge, the one cycle a TF1 GraphDef may have)."""
    edges: dict[str, list[int]] = {}
    for node in graph_def.node:
        if node.op not in ("Merge", "RefMerge"):
            continue
        for position, text in enumerate(node.input):
            src, _, is_control = tensor_names.parse_input(text)
            producer = by_name.get(src)
            if not is_control and producer is not None and \
                    producer.op in ("NextIteration", "RefNextIteration"):
                edges.setdefault(node.name, []).append(position)
    return edges


def _without_inputs_from(graph_def: graph_pb2.GraphDef, external: set[str],
                         back_edges: dict[str, list[int]] | None = None
                         ) -> graph_pb2.GraphDef:
    """``graph_def`` itself, or (when input_map supplies nodes it lacks, or while loops'
    back edges must be ignored) a copy whose inputs naming those nodes are dropped, so it
    can be ordered on its own."""
    if not external and not back_edges:
        return graph_def
    out = graph_pb2.GraphDef()
    out.CopyFrom(graph_def)
    for node in out.node:
        late = (back_edges or {}).get(node.name, ())
        kept = [t for i, t in enumerate(node.input)
                if tensor_names.parse_input(t)[0] not in external and i not in late]
        del node.input[:]
        node.input.extend(kept)
    return out


def _check_versions(graph_def: graph_pb2.GraphDef) -> None:
    v = graph_def.versions
    if v.min_consumer > PRODUCER_VERSION:
        raise ValueError(f"the GraphDef requires consumer version >= {v.min_consumer}, but "
                         f"graphflow reads GraphDef version {PRODUCER_VERSION}; re-export it "
                         "with an older producer")
    if PRODUCER_VERSION in v.bad_consumers:
        raise ValueError(f"the GraphDef disallows consumer version {PRODUCER_VERSION}")
