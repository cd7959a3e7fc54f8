"""The values view's numbers: forward values of every tensor, and the gradient of one scalar
with respect to each forward tensor — what the lecture's walkthrough picture writes on the
edges of ``(x+y)*max(y,z)``.

Stages of ``compute_values``:
  1. import the GraphDef into a fresh Graph (the user's graph is never modified);
  2. resolve the feeds; take variable values from the given session (fed to the copy), or
     run the variables' initializers in a private session;
  3. find the nodes that can run with these feeds (no unfed placeholder, no variable update,
     no uninitialized variable upstream);
  4. if ``grad_of`` is given, add the gradient subgraph of that tensor with respect to every
     runnable floating-point forward tensor it depends on (one ``gf.gradients`` call), and
     for a tensor read by several ops, each consumer's share of its gradient (the lecture's
     "gradients sum at outward branches": y feeds + and max, receiving 2 + 3 = 5), by
     applying the consumers' registered gradient rules to their upstream gradients;
  5. fetch everything runnable in a single ``Session.run`` (one consistent evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow.compiler import frames, gradient_scopes
from graphflow.compiler.gradients import gradients as _gradients
from graphflow.compiler.importer import import_graph_def
from graphflow.framework import op_registry as registry
from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import as_dense
from graphflow.framework.tensor import Operation, Tensor
from graphflow.framework.tensor_names import as_graph_def, split_tensor_name
from graphflow.ops.variables import Variable
from graphflow.runtime.session import Session
from graphflow.viz import styles


@dataclass(frozen=True)
class GraphValues:
    """Evaluated tensors of a graph, ready to be drawn by ``gf.viz.to_dot``/``render``.

    Attributes:
        graph: the copy that was evaluated: the original graph plus, when ``target`` is set,
            the gradient subgraph this view added (under a ``gradients*/`` scope).
        forward: tensor name -> value, for every tensor that could run with the feeds.
        gradients: forward tensor name -> d(sum target)/d(tensor), same shape as the tensor.
        target: the differentiated tensor's name, or None for forward values only.
        edge_gradients: (consumer node, input index) -> the share of the input tensor's
            gradient that flows back along that edge, for every forward edge on a path to
            ``target``; the shares of a tensor's edges sum to its gradient.
        gradient_nodes: names of the gradient-subgraph nodes this view added to ``graph``.
        helper_nodes: nodes added only to compute ``edge_gradients`` (never drawn).
    """

    graph: Graph
    forward: Mapping[str, np.ndarray]
    gradients: Mapping[str, np.ndarray]
    target: str | None = None
    edge_gradients: Mapping[tuple[str, int], np.ndarray] = field(default_factory=dict)
    gradient_nodes: frozenset[str] = frozenset()
    helper_nodes: frozenset[str] = frozenset()

    def value(self, tensor: str) -> np.ndarray | None:
        """The forward value of ``tensor`` (``"op:0"``, or ``"op"`` for output 0)."""
        return self.forward.get(_tensor_name(tensor))

    def gradient(self, tensor: str) -> np.ndarray | None:
        """d(sum target)/d(``tensor``), or None if it was not computed."""
        return self.gradients.get(_tensor_name(tensor))


def compute_values(graph_or_graph_def: Any, feed_dict: Mapping[Any, Any] | None = None,
                   grad_of: Any = None, session: Any = None) -> GraphValues:
    """Evaluate ``graph_or_graph_def`` with ``feed_dict`` ({placeholder or name: value}) and,
    if ``grad_of`` (a Tensor or tensor name) is given, the gradient of that tensor (summed
    when not a scalar) with respect to every forward tensor it depends on. ``session``
    supplies variable values; without it variables get their initializers' values."""
    work = Graph()
    with work.as_default():
        try:
            import_graph_def(as_graph_def(graph_or_graph_def), name="")
        except Exception as err:  # noqa: BLE001 - re-raised with context
            raise _with_context(err, "values view: cannot build a runnable copy of the graph: "
                                f"{err} (draw it without feeds/grad_of to see its structure)"
                                ) from err
    feeds = {_resolve(work, key, "feed_dict key"): np.asarray(value)
             for key, value in (feed_dict or {}).items()}
    sess = Session(graph=work)
    try:
        feeds.update(_variable_feeds(work, session))
        initialized = _initialize(sess, work, feeds)
        target = None if grad_of is None else _resolve(work, grad_of, "grad_of")
        added: frozenset[str] = frozenset()
        helpers: frozenset[str] = frozenset()
        grad_fetches: dict[str, Any] = {}
        edge_fetches: dict[tuple[str, int], Any] = {}
        if target is not None:
            runnable = _runnable(work, feeds, initialized)
            _require_runnable(work, target, runnable, feeds)
            added, grad_fetches = _add_gradients(work, target, runnable)
            helpers, edge_fetches = _edge_shares(work, target, grad_fetches)
        runnable = _runnable(work, feeds, initialized)
        fetch = {t.name: t for op in work.get_operations()
                 if op.name in runnable and op.name not in helpers for t in op.outputs}
        results = sess.run({"forward": fetch, "gradients": grad_fetches,
                            "edges": edge_fetches}, feeds)
    finally:
        sess.close()
    grads = {name: as_dense(v) for name, v in results["gradients"].items()}
    edges = {key: as_dense(v) for key, v in results["edges"].items()}
    return GraphValues(work, results["forward"], grads, None if target is None else target.name,
                       edges, added, helpers)


# -- inputs --------------------------------------------------------------------------------
def _tensor_name(name: str) -> str:
    node, index = split_tensor_name(name)
    return f"{node}:{index}"


def _resolve(work: Graph, key: Any, what: str) -> Tensor:
    """The tensor of the copy with the name of ``key`` (a Tensor, Variable, name or op)."""
    if isinstance(key, Variable):
        key = key.name  # its VariableV2 output
    if isinstance(key, Operation):
        key = key.outputs[0] if key.outputs else key.name
    name = key.name if isinstance(key, Tensor) else key
    if not isinstance(name, str):
        raise TypeError(f"values view: {what} must be a Tensor or a tensor name, got "
                        f"{type(key).__name__}")
    try:
        return work.get_tensor_by_name(_tensor_name(name))
    except (KeyError, ValueError) as err:
        raise ValueError(f"values view: {what} '{name}': {str(err).strip(chr(34))}") from None


def _variable_feeds(work: Graph, session: Any) -> dict[Tensor, np.ndarray]:
    """Values of the user's variables, fed to the copy's VariableV2 outputs."""
    if session is None:
        return {}
    out = {}
    for op in work.get_operations():
        if styles.classify(op.type) == styles.VARIABLE and op.outputs:
            value = session.variable_value(op.name)
            if value is not None:
                out[op.outputs[0]] = value
    return out


def _initialize(sess: Any, work: Graph, feeds: Mapping[Tensor, Any]) -> set[str]:
    """Run the initializer (``<var>/Assign``) of each variable not fed; names now set."""
    fed = {t.op.name for t in feeds}
    variables = {op.name for op in work.get_operations()
                 if styles.classify(op.type) == styles.VARIABLE and op.name not in fed}
    inits = [op for op in work.get_operations()
             if op.name.rpartition("/")[0] in variables and op.name.endswith("/Assign")
             and op.inputs and op.inputs[0].op.name == op.name.rpartition("/")[0]]
    runnable = _runnable(work, feeds, set(), allow=inits)
    inits = [op for op in inits if op.name in runnable]
    if inits:
        sess.run(inits, dict(feeds))
    return {op.inputs[0].op.name for op in inits}


def _runnable(work: Graph, feeds: Mapping[Tensor, Any], initialized: set[str],
              allow: Sequence[Operation] = ()) -> set[str]:
    """Names of the ops that can run: every input fed or runnable, no unfed placeholder,
    no uninitialized variable and no variable update (except the ``allow``ed ones)."""
    fed = {t.name for t in feeds}
    allowed = {op.name for op in allow}
    ok: set[str] = set()
    for op in work.get_operations():  # the import added them in topological order
        kind = styles.classify(op.type)
        if any(t.name in fed for t in op.outputs):
            ok.add(op.name)
            continue
        if kind == styles.PLACEHOLDER and op.type == "Placeholder":
            continue
        if kind == styles.VARIABLE and op.name not in initialized:
            continue
        if kind == styles.UPDATE and op.name not in allowed:
            continue
        refs = {op.inputs[i].op.name for i in _ref_inputs(op) if i < len(op.inputs)}
        # (a while loop's Merge also reads its NextIteration, made after it: not a dependency)
        deps = [t.op.name for t in op.inputs if t.name not in fed and t.op.name not in refs
                and t.op.index < op.index]
        deps += [c.name for c in op.control_inputs]
        if all(d in ok for d in deps):
            ok.add(op.name)
    fmap = frames.frame_map(work)
    if fmap.has_control_flow:  # values inside a loop change per iteration: only its Exits
        ok = {name for name in ok if fmap.frame_of(work.get_operation_by_name(name)) is None}
    return ok


def _ref_inputs(op: Operation) -> tuple[int, ...]:
    record = registry.lookup(op.type)
    return record.ref_inputs if record is not None else ()


def _require_runnable(work: Graph, target: Tensor, runnable: set[str],
                      feeds: Mapping[Tensor, Any]) -> None:
    if target.op.name in runnable:
        return
    fed = {t.name for t in feeds}
    missing = sorted(op.name for op in _ancestors(target)
                     if op.type == "Placeholder" and op.outputs[0].name not in fed)
    hint = (f": feed the placeholder(s) {', '.join(repr(m) for m in missing)}" if missing
            else " with these feeds (it depends on a variable update or an uninitialized "
                 "variable)")
    raise ValueError(f"values view: grad_of '{target.name}' cannot be computed{hint}")


def _ancestors(target: Tensor) -> list[Operation]:
    seen: dict[str, Operation] = {}
    stack = [target.op]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen[op.name] = op
        stack.extend(t.op for t in op.inputs)
    return list(seen.values())


# -- gradients -----------------------------------------------------------------------------
def _add_gradients(work: Graph, target: Tensor, runnable: set[str]
                   ) -> tuple[frozenset[str], dict[str, Any]]:
    """Add d(target)/d(t) for each runnable float forward tensor t that target depends on;
    returns the added node names and {forward tensor name: gradient to fetch}."""
    if not target.dtype.is_floating:
        raise TypeError(f"values view: grad_of '{target.name}' has dtype {target.dtype.name}; "
                        "only floating-point tensors can be differentiated")
    ancestors = {op.name for op in _ancestors(target)}
    xs = [t for op in work.get_operations() if op.name in ancestors and op.name in runnable
          and not gradient_scopes.is_gradient_node(op.name)
          for t in op.outputs if t.dtype.is_floating]
    before = {op.name for op in work.get_operations()}
    with work.as_default():
        try:
            grads = _gradients(target, xs)
        except LookupError as err:
            raise LookupError(f"values view: cannot differentiate '{target.name}': {err}") \
                from None
    added = frozenset(op.name for op in work.get_operations()) - before
    return added, {x.name: g for x, g in zip(xs, grads) if g is not None}


def _edge_shares(work: Graph, target: Tensor, grads: Mapping[str, Any]
                 ) -> tuple[frozenset[str], dict[tuple[str, int], Any]]:
    """The gradient flowing back along each forward edge on a path to ``target``: the
    tensor's own gradient where it has one consumer there, else the consumer's gradient rule
    applied to the consumer's upstream gradients (built in a helper scope)."""
    path = [op for op in _ancestors(target) if not gradient_scopes.is_gradient_node(op.name)]
    path_names = {op.name for op in path}
    readers: dict[str, int] = {}
    for op in path:
        for t in op.inputs:
            readers[t.name] = readers.get(t.name, 0) + 1
    out: dict[tuple[str, int], Any] = {}
    before = {op.name for op in work.get_operations()}
    ordered = [op for op in work.get_operations() if op.name in path_names]
    for op in ordered:
        ups = [grads.get(t.name) for t in op.outputs]
        if all(g is None for g in ups):
            continue
        shared = [i for i, t in enumerate(op.inputs) if t.name in grads and readers[t.name] > 1]
        for i, t in enumerate(op.inputs):
            if t.name in grads and i not in shared:
                out[(op.name, i)] = grads[t.name]
        record = registry.lookup(op.type)
        if not shared or record is None or not record.differentiable:
            continue
        with work.as_default(), work.name_scope("gradients"), \
                work.name_scope(f"{op.name}_edges"):
            try:
                shares = record.grad(op, *ups)
            except NotImplementedError:
                continue
        for i in shared:
            if i < len(shares) and shares[i] is not None:
                out[(op.name, i)] = shares[i]
    helpers = frozenset(op.name for op in work.get_operations()) - before
    return helpers, out


def _with_context(err: Exception, message: str) -> Exception:
    """``err``'s type with ``message`` (a ValueError if that type cannot take one)."""
    try:
        out = type(err)(message)
    except TypeError:
        out = ValueError(message)
    out.__cause__ = err
    return out
