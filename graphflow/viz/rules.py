"""The local gradient rules in words, for pictures that teach backprop.

* ``rule_doc(op_type)``: the math of the op's registered gradient rule, from its docstring
  (``op_registry.get(op_type).grad.__doc__``), whitespace normalised; "" when there is none.
* ``lecture_rule(op_type)``: the sentence a lecture would say at that node ("an addition node
  distributes the upstream gradient unchanged", "a max node routes ... to the input that won");
  the docstring's explanation after its formula when it has one, else the formula.
* ``short_rule(op_type)``: a few characters for an edge label ("distribute", "route to max",
  "\u00d7 exp(x)"); a fixed table for the common ops, else the docstring's formula, shortened.
"""

from __future__ import annotations

import re

from graphflow.framework import op_registry as registry

#: Edge-label texts of the rules the lecture names, and of the usual activations.
_SHORT = {
    "Add": "distribute", "AddV2": "distribute", "AddN": "distribute", "BiasAdd": "distribute",
    "Sub": "g, -g", "Neg": "-g", "Identity": "pass through", "Snapshot": "pass through",
    "Maximum": "route to max", "Minimum": "route to min", "Max": "route to max",
    "Min": "route to min", "Mul": "swap inputs", "RealDiv": "g/y, -g x/y^2",
    "MatMul": "g b^T, a^T g", "BatchMatMulV2": "g b^T, a^T g",
    "Exp": "\u00d7 exp(x)", "Log": "\u00f7 x", "Log1p": "\u00f7 (1 + x)",
    "Tanh": "\u00d7 (1 - y\u00b2)", "Sigmoid": "\u00d7 y (1 - y)", "Relu": "\u00d7 (x > 0)",
    "Square": "\u00d7 2x", "Sqrt": "\u00f7 2y",
    "Reshape": "reshape back", "Squeeze": "reshape back", "ExpandDims": "reshape back",
    "Sum": "broadcast back", "Mean": "broadcast back / n", "Transpose": "transpose back",
    "GatherV2": "scatter rows", "Gather": "scatter rows", "ConcatV2": "split back",
    "Softmax": "y (g - sum(g y))", "Cast": "cast back",
}
_SPACE = re.compile(r"\s+")


def rule_doc(op_type: str) -> str:
    """The gradient rule's docstring of ``op_type`` on one line ("" if it has none)."""
    record = registry.lookup(op_type)
    if record is None or not record.differentiable:
        return ""
    doc = type(record).grad.__doc__ or ""
    return _SPACE.sub(" ", doc.split("\n\n")[0]).strip()


def lecture_rule(op_type: str) -> str:
    """The rule in a lecture's words: the docstring's explanation after ``formula:``."""
    doc = rule_doc(op_type)
    formula, sep, words = doc.partition(": ")
    if sep and words and "=" in formula:
        return words.rstrip(".")
    return doc.rstrip(".")


def short_rule(op_type: str, limit: int = 24) -> str:
    """A short edge label for ``op_type``'s gradient rule ("" when unknown)."""
    if op_type in _SHORT:
        return _SHORT[op_type]
    doc = rule_doc(op_type)
    formula = doc.partition(": ")[0] if "=" in doc.partition(": ")[0] else doc
    rhs = formula.partition(" = ")[2] or formula
    rhs = rhs.split("  ")[0].strip().rstrip(".")
    return rhs if len(rhs) <= limit else rhs[:limit - 3].rstrip() + "..."
