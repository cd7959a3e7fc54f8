"""How gradient nodes are named: ``gradients/<forward op>_grad/...`` (``gradients_N/`` for
later calls), as TensorFlow names them; the gradient pass writes these names and the
runtime, debug and viz layers read them back."""

from __future__ import annotations

import re

#: A name-scope component holding a gradient subgraph (``gf.gradients`` / ``tf.gradients``).
GRADIENT_SCOPE = re.compile(r"^gradients(_\d+)?$")


def is_gradient_node(name: str) -> bool:
    """True if ``name`` lies under a ``gradients/`` or ``gradients_N/`` name scope."""
    return any(GRADIENT_SCOPE.match(part) for part in name.split("/")[:-1])


def is_gradient_scope(scope: str) -> bool:
    """True if any component of the name scope ``scope`` is a gradient scope."""
    return any(GRADIENT_SCOPE.match(part) for part in scope.split("/"))


def forward_node_of(gradient_node: str) -> str | None:
    """For ``gradients/scope/Log_grad/mul`` the forward node ``scope/Log``; None when the
    name is not under a ``gradients/`` (or ``gradients_N/``) scope."""
    parts = gradient_node.split("/")
    for i, part in enumerate(parts[:-1]):
        if GRADIENT_SCOPE.match(part):
            rest = "/".join(parts[i + 1:])
            cut = rest.rfind("_grad/")
            return rest[:cut] if cut > 0 else None
    return None
