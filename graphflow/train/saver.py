"""Checkpoints of variable values: ``Saver.save`` writes one ``.npz`` file (variable op name
-> value) plus a ``checkpoint`` index naming the latest; ``restore`` loads it back into a
session. (TF1 emits SaveV2/RestoreV2 ops; graphflow saves from Python, so the graph is not
changed by creating a Saver.)"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.framework.errors import NotFoundError
from graphflow.ops import variables

INDEX_FILE = "checkpoint"


class Saver:
    """``tf.train.Saver(var_list=None, max_to_keep=5)``."""

    def __init__(self, var_list: Any = None, max_to_keep: int = 5) -> None:
        self._var_list = var_list
        self._max_to_keep = max_to_keep
        self._kept: list[str] = []

    def _variables(self, sess: Any) -> dict[str, Any]:
        if self._var_list is None:
            items = variables.global_variables(sess.graph)
        elif isinstance(self._var_list, dict):
            return dict(self._var_list)
        else:
            items = list(self._var_list)
        return {v.op.name: v for v in items}

    def save(self, sess: Any, save_path: str | os.PathLike[str], global_step: Any = None
             ) -> str:
        """Write the variables' current values; returns the checkpoint path (``.npz``)."""
        step = None
        if global_step is not None:
            step = int(global_step if isinstance(global_step, (int, np.integer))
                       else sess.run(global_step))
        base = str(save_path) + (f"-{step}" if step is not None else "")
        path = Path(base + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {name: sess.run(v) for name, v in self._variables(sess).items()}
        # np.savez keys cannot hold '/', so store names alongside positional arrays.
        arrays = {f"v{i}": values[n] for i, n in enumerate(sorted(values))}
        np.savez(path, __names__=np.array(json.dumps(sorted(values))), **arrays)
        if str(path) in self._kept:  # re-saving under the same name refreshes its age
            self._kept.remove(str(path))
        self._kept.append(str(path))
        while self._max_to_keep and len(self._kept) > self._max_to_keep:
            old = Path(self._kept.pop(0))
            if old.exists() and old != path:
                old.unlink()
        (path.parent / INDEX_FILE).write_text(json.dumps({"latest": path.name}) + "\n")
        return str(path)

    def restore(self, sess: Any, save_path: str | os.PathLike[str]) -> None:
        """Load values saved by ``save`` into ``sess``'s variables (shape-checked)."""
        path = Path(save_path)
        if not path.exists() and Path(str(save_path) + ".npz").exists():
            path = Path(str(save_path) + ".npz")
        if not path.exists():
            raise NotFoundError(f"checkpoint '{save_path}' does not exist")
        saved = load_checkpoint(path)
        for name, var in self._variables(sess).items():
            if name not in saved:
                raise NotFoundError(f"checkpoint '{path}' has no value for variable '{name}'; "
                                    f"it holds: {', '.join(sorted(saved))}")
            var.load(saved[name], session=sess)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Variable name -> value of a checkpoint written by ``Saver.save``."""
    with np.load(path, allow_pickle=False) as data:
        names = json.loads(str(data["__names__"]))
        return {n: data[f"v{i}"] for i, n in enumerate(names)}


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str]) -> str | None:
    """Path of the newest checkpoint in ``checkpoint_dir`` (None if there is none)."""
    index = Path(checkpoint_dir) / INDEX_FILE
    if not index.exists():
        return None
    latest = Path(checkpoint_dir) / json.loads(index.read_text())["latest"]
    return str(latest) if latest.exists() else None
