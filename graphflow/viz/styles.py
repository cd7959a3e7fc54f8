"""How each kind of node, edge and cluster looks.

Nodes fall into kinds (``classify``): placeholders (inputs), variables (state), constants,
state updates (ops that write a variable), no-ops, ordinary ops, op types graphflow does not
know, and collapsed name scopes. Each kind has its own shape; the forward graph uses a
blue/green/yellow palette and the gradient subgraph a red one, so the reverse pass stands out
at a glance. Control edges are dashed.
"""

from __future__ import annotations

from graphflow.framework import op_registry as registry

PLACEHOLDER = "placeholder"
VARIABLE = "variable"
CONSTANT = "constant"
UPDATE = "update"
NOOP = "noop"
OP = "op"
UNKNOWN = "unknown"
SCOPE = "scope"

_PLACEHOLDER_OPS = {"Placeholder", "PlaceholderWithDefault"}
_VARIABLE_OPS = {"VariableV2", "Variable", "VarHandleOp"}
_CONSTANT_OPS = {"Const"}
_NOOP_OPS = {"NoOp"}

FORWARD_VALUE_COLOR = "#15803d"
GRADIENT_VALUE_COLOR = "#b91c1c"
MUTED_COLOR = "#6b7280"

# kind -> (shape, forward fill, forward border, extra attributes)
_KIND_STYLE: dict[str, tuple[str, str, str, dict[str, str]]] = {
    OP: ("ellipse", "#dbeafe", "#1d4ed8", {}),
    PLACEHOLDER: ("invhouse", "#fef3c7", "#b45309", {}),
    VARIABLE: ("cylinder", "#dcfce7", "#15803d", {}),
    CONSTANT: ("box", "#f3f4f6", "#6b7280", {"fontsize": "10"}),
    UPDATE: ("octagon", "#ffedd5", "#c2410c", {}),
    NOOP: ("diamond", "#f3f4f6", "#6b7280", {"fontsize": "10"}),
    UNKNOWN: ("ellipse", "#ffffff", "#6b7280", {"style": "dashed"}),
    SCOPE: ("box3d", "#e0e7ff", "#4338ca", {}),
}
_GRADIENT_FILL = {CONSTANT: "#fdf2f2", NOOP: "#fdf2f2", SCOPE: "#fecaca", UNKNOWN: "#ffffff"}
_GRADIENT_DEFAULT_FILL = "#fee2e2"
_GRADIENT_BORDER = "#b91c1c"


def classify(op_type: str) -> str:
    """The kind of a node of type ``op_type``."""
    if op_type in _PLACEHOLDER_OPS:
        return PLACEHOLDER
    if op_type in _VARIABLE_OPS:
        return VARIABLE
    if op_type in _CONSTANT_OPS:
        return CONSTANT
    if op_type in _NOOP_OPS:
        return NOOP
    record = registry.lookup(op_type)
    if record is None:
        return UNKNOWN
    return UPDATE if record.ref_inputs else OP


def node_attrs(kind: str, gradient: bool) -> dict[str, str]:
    """DOT attributes of a node of ``kind``, forward or gradient."""
    shape, fill, border, extra = _KIND_STYLE.get(kind, _KIND_STYLE[OP])
    if gradient:
        fill = _GRADIENT_FILL.get(kind, _GRADIENT_DEFAULT_FILL)
        border = _GRADIENT_BORDER
    style = extra.get("style", "filled")
    attrs = {"shape": shape, "fillcolor": fill, "color": border, **extra}
    attrs["style"] = style if style == "filled" else f"filled,{style}"
    return attrs


def edge_attrs(control: bool, gradient: bool) -> dict[str, str]:
    """DOT attributes of a data or control edge; red when it touches the gradient subgraph."""
    color = _GRADIENT_BORDER if gradient else "#374151"
    if control:
        return {"style": "dashed", "color": "#9ca3af" if not gradient else "#f87171",
                "arrowhead": "odot"}
    return {"color": color}


def cluster_attrs(gradient: bool) -> dict[str, str]:
    """DOT attributes of a name-scope cluster; gradient scopes are shaded red."""
    if gradient:
        return {"style": "rounded,filled", "color": _GRADIENT_BORDER, "fillcolor": "#fff5f5",
                "fontcolor": _GRADIENT_BORDER}
    return {"style": "rounded", "color": "#9ca3af", "fontcolor": "#374151"}


def graph_attrs(rankdir: str, fast: bool = False, clusters: bool = True) -> dict[str, str]:
    """Attributes of the whole picture; ``fast`` bounds Graphviz's optimisation passes
    (network simplex and crossing minimisation) for large graphs, and draws straight edges
    when there are no clusters to route around."""
    attrs = {"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11", "newrank": "true"}
    if fast:
        attrs.update({"nslimit": "0.2", "nslimit1": "0.2", "mclimit": "0.2",
                      "forcelabels": "true"})
        if not clusters:
            attrs["splines"] = "line"
    return attrs


def default_node_attrs() -> dict[str, str]:
    return {"fontname": "Helvetica", "fontsize": "11", "margin": "0.05,0.03"}


def default_edge_attrs() -> dict[str, str]:
    return {"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"}
