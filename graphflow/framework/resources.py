"""Run-time resources: the state a Session owns and kernels receive through their context.

A ``RunResources`` holds what is not a pure function of a plan's inputs: one storage cell per
variable (TF1's resource of a ``VariableV2`` node) and the random streams of random ops. The
Session creates it, kernels get it as ``KernelContext.resources`` when a plan is bound, and
constant folding receives it too (so nothing below the runtime needs a live Session).
"""

from __future__ import annotations

import numpy as np


class VariableCell:
    """The storage of one variable in one session (``value`` is None until initialized)."""

    __slots__ = ("name", "value")

    def __init__(self, name: str) -> None:
        self.name = name
        self.value: np.ndarray | None = None


class RunResources:
    """Variable cells by variable name, and random streams (TF1 seeding semantics)."""

    #: Default size guard: no single output above this many bytes (SessionConfig overrides).
    DEFAULT_MAX_TENSOR_BYTES = 16 * 1000**3

    def __init__(self, seed: int | None = None,
                 max_tensor_bytes: int | None = DEFAULT_MAX_TENSOR_BYTES) -> None:
        #: The size guard kernels apply (``KernelContext.check_size``); None: no limit.
        self.max_tensor_bytes = max_tensor_bytes
        self._cells: dict[str, VariableCell] = {}
        #: The stream of random ops with neither an op seed nor a graph seed.
        self.rng = np.random.default_rng(seed)
        self._op_rngs: dict[str, np.random.Generator] = {}

    def cell(self, name: str) -> VariableCell:
        """The storage cell of variable ``name`` (created empty on first use)."""
        cell = self._cells.get(name)
        if cell is None:
            cell = self._cells[name] = VariableCell(name)
        return cell

    def value_of(self, name: str) -> np.ndarray | None:
        """The current value of variable ``name``, or None (unknown or uninitialized)."""
        cell = self._cells.get(name)
        return None if cell is None else cell.value

    def op_rng(self, op_name: str, seed: int, seed2: int) -> np.random.Generator:
        """The deterministic stream of the seeded random op ``op_name``: one per op per
        session, so a re-compiled plan continues the sequence instead of restarting it."""
        rng = self._op_rngs.get(op_name)
        if rng is None:
            rng = self._op_rngs[op_name] = np.random.default_rng([seed, seed2])
        return rng

    def clear(self) -> None:
        self._cells.clear()
        self._op_rngs.clear()
