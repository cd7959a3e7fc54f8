"""Options of a rendering, grouped so no function takes a dozen keyword arguments.

``RenderOptions`` says *what* to draw (clusters, shapes, collapsing, gradient nodes, value
formatting); ``Annotations`` carries extra per-node / per-edge marks computed elsewhere (for
example a gradient-magnitude heat map or the origin of a NaN), applied on top of the styles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_RANKDIRS = ("TB", "LR", "BT", "RL")

#: Above this many drawn nodes, ``RenderOptions.fast_layout`` switches on by default.
FAST_LAYOUT_LIMIT = 400
#: Above this many drawn nodes, name-scope clusters are off by default.
CLUSTER_LIMIT = 1000


@dataclass(frozen=True)
class RenderOptions:
    """What a picture shows. Every field has a default, so ``RenderOptions()`` is the plain view.

    Attributes:
        clusters: draw name scopes as nested clusters (boxes). ``None`` (auto): yes, unless
            more than ``CLUSTER_LIMIT`` nodes are drawn (Graphviz's cluster layout gets slow;
            collapse scopes to see the structure of such a graph).
        collapse_depth: collapse every name scope at this depth (1 = top-level scopes) into a
            single node; edges between collapsed scopes are aggregated. ``None``: no collapsing.
        show_gradient_nodes: draw nodes under ``gradients/`` (or ``gradients_N/``) scopes.
            ``None`` (auto) shows them, except in a values view with a ``grad_of``, where the
            gradient values are written on the forward edges instead (the lecture picture).
        show_shapes: label data edges with the static shape (and dtype when not float32).
        max_elements: values view: tensors with at most this many elements print their values;
            larger ones print a summary (shape, mean, norm).
        precision: significant digits of printed values.
        rankdir: graph direction (``TB``, ``LR``, ...); ``None``: ``LR`` for a values view,
            ``TB`` otherwise.
        legend: values view: add a small legend node explaining the label colours.
        fast_layout: trade layout polish for speed (edge labels placed after layout, bounded
            Graphviz iterations). ``None`` (auto): when more than ``FAST_LAYOUT_LIMIT`` nodes
            are drawn.
        show_plumbing: draw each variable's read/Assign/initializer nodes and the ``init`` op
            (default: a variable is one node, ``viz.simplify.fold_variables``).
        fold_constants: write constants into their readers' labels instead of drawing them
            as nodes (``viz.simplify.fold_constants``).
    """

    clusters: bool | None = None
    collapse_depth: int | None = None
    show_gradient_nodes: bool | None = None
    show_shapes: bool = True
    max_elements: int = 6
    precision: int = 4
    rankdir: str | None = None
    legend: bool = True
    fast_layout: bool | None = None
    show_plumbing: bool = False
    fold_constants: bool = True

    def __post_init__(self) -> None:
        if self.collapse_depth is not None and self.collapse_depth < 1:
            raise ValueError(f"RenderOptions.collapse_depth must be >= 1 (1 collapses the "
                             f"top-level name scopes) or None, got {self.collapse_depth}")
        if self.rankdir is not None and self.rankdir not in _RANKDIRS:
            raise ValueError(f"RenderOptions.rankdir must be one of {', '.join(_RANKDIRS)}, "
                             f"got {self.rankdir!r}")
        if self.max_elements < 0 or self.precision < 1:
            raise ValueError("RenderOptions.max_elements must be >= 0 and precision >= 1")

    def replace(self, **changes: Any) -> RenderOptions:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Annotations:
    """Extra marks drawn on top of the styles; keys are graph names, values DOT attributes.

    Attributes:
        node_attrs: node name -> DOT attributes overriding its style, e.g.
            ``{"loss/Log": {"color": "red", "penwidth": "3"}}``.
        edge_attrs: tensor name (``"op:0"``) -> DOT attributes for every edge carrying that
            tensor, e.g. ``{"hidden/Tanh:0": {"color": "#d7301f", "penwidth": "2.5"}}``.
        node_notes: node name -> an extra line printed in the node's label (e.g. ``"NaN here"``).
        edge_notes: tensor name -> an extra line printed in the label of its edges.
        legend: ``(colour, text)`` rows drawn in a legend box explaining these marks (e.g.
            the heat map's scale); a colour may be ``"#rrggbb"`` or ``"#rrggbb dashed"``.

    When a name scope is collapsed, the collapsed node takes the attributes and notes of its
    members (first member by name wins for attributes), and an aggregated edge those of the
    tensors it carries.
    """

    node_attrs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    edge_attrs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    node_notes: Mapping[str, str] = field(default_factory=dict)
    edge_notes: Mapping[str, str] = field(default_factory=dict)
    legend: tuple[tuple[str, str], ...] = ()  # (colour, text) rows of a legend box
