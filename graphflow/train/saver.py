"""Checkpoints of variable values in TensorFlow's V2 format: ``Saver.save`` writes
``<prefix>.index`` + ``<prefix>.data-00000-of-00001`` (``checkpoint_bundle``) and the text
``checkpoint`` file (``checkpoint_state``) naming the newest, exactly the files TF1's
``tf.train.Saver`` writes, so TensorFlow restores graphflow's checkpoints and graphflow
restores TensorFlow's. The keys are the variables' op names (``"layer1/W"``), as TF's.
``restore`` also reads graphflow's older ``.npz`` checkpoints. (TF1 adds SaveV2/RestoreV2
ops and a ``.meta`` MetaGraphDef; graphflow saves from Python, changes no graph and writes
no ``.meta``.)"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.framework.errors import NotFoundError
from graphflow.ops import variables
from graphflow.train import checkpoint_bundle
from graphflow.train.checkpoint_state import (
    INDEX_FILE,
    checkpoint_exists,
    get_checkpoint_state,
    latest_checkpoint,
    update_checkpoint_state,
)

__all__ = ["INDEX_FILE", "Saver", "checkpoint_exists", "get_checkpoint_state",
           "latest_checkpoint", "load_checkpoint", "update_checkpoint_state"]


class Saver:
    """``tf.train.Saver(var_list=None, max_to_keep=5, ...)``: TF1's arguments are accepted;
    ``sharded``, ``reshape`` and ``saver_def`` have no effect (one shard is written)."""

    def __init__(self, var_list: Any = None, reshape: bool = False, sharded: bool = False,
                 max_to_keep: int | None = 5, keep_checkpoint_every_n_hours: float = 10000.0,
                 name: str | None = None, restore_sequentially: bool = False,
                 saver_def: Any = None, builder: Any = None, defer_build: bool = False,
                 allow_empty: bool = False, write_version: int = 2,
                 pad_step_number: bool = False, save_relative_paths: bool = False,
                 filename: str | None = None) -> None:
        self._var_list = var_list
        self._max_to_keep = max_to_keep
        self._keep_every = keep_checkpoint_every_n_hours * 3600.0
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._allow_empty = allow_empty
        self._kept: list[tuple[str, float]] = []
        self._last_preserved = time.time()

    def _variables(self, sess: Any) -> dict[str, Any]:
        if self._var_list is None:
            items = variables.global_variables(sess.graph)
        elif isinstance(self._var_list, dict):
            return dict(self._var_list)
        else:
            items = list(self._var_list)
        found = {v.op.name: v for v in items}
        if not found and not self._allow_empty:
            raise ValueError("No variables to save (create variables first, or pass "
                             "allow_empty=True)")
        return found

    def save(self, sess: Any, save_path: str | os.PathLike[str], global_step: Any = None,
             latest_filename: str | None = None, meta_graph_suffix: str = "meta",
             write_meta_graph: bool = True, write_state: bool = True,
             strip_default_attrs: bool = False) -> str:
        """Write the variables' current values as ``<save_path>[-<step>]`` (a V2 prefix);
        returns the prefix, as TF's."""
        prefix = os.fspath(save_path)
        if global_step is not None:
            step = int(global_step if isinstance(global_step, (int, np.integer))
                       else sess.run(global_step))
            prefix += f"-{step:08d}" if self._pad_step_number else f"-{step}"
        values = {name: sess.run(v) for name, v in self._variables(sess).items()}
        checkpoint_bundle.write_bundle(prefix, values)
        if write_state:
            self._record(prefix, latest_filename)
        return prefix

    def _record(self, prefix: str, latest_filename: str | None) -> None:
        now = time.time()
        self._kept = [(p, t) for p, t in self._kept if p != prefix] + [(prefix, now)]
        while self._max_to_keep and len(self._kept) > self._max_to_keep:
            old, stamp = self._kept.pop(0)
            if stamp - self._last_preserved >= self._keep_every:
                self._last_preserved = stamp  # kept for good (keep_checkpoint_every_n_hours)
                continue
            for path in (checkpoint_bundle.index_path(old), checkpoint_bundle.data_path(old)):
                if os.path.exists(path):
                    os.remove(path)
        directory = os.path.dirname(prefix) or "."
        update_checkpoint_state(directory, prefix, [p for p, _ in self._kept], latest_filename,
                                [t for _, t in self._kept], self._last_preserved,
                                save_relative_paths=self._save_relative_paths)

    def restore(self, sess: Any, save_path: str | os.PathLike[str]) -> None:
        """Load the values of a checkpoint (a V2 prefix — TF's or graphflow's — or an old
        graphflow ``.npz``) into ``sess``'s variables (shape-checked)."""
        saved = load_checkpoint(save_path)
        for name, var in self._variables(sess).items():
            if name not in saved:
                raise NotFoundError(f"Key {name} not found in checkpoint '{save_path}' (it "
                                    f"holds: {', '.join(sorted(saved)) or 'nothing'}); save "
                                    "with the same variable names, or pass var_list={name: "
                                    "variable}")
            var.load(saved[name], session=sess)

    def recover_last_checkpoints(self, checkpoint_paths: list[str]) -> None:
        self._kept = [(p, time.time()) for p in checkpoint_paths]

    @property
    def last_checkpoints(self) -> list[str]:
        return [p for p, _ in self._kept]


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Variable name -> value of a checkpoint: a V2 prefix (``<path>.index`` exists), or a
    graphflow ``.npz`` (``path`` or ``path + '.npz'``); ``x.npz`` whose ``x.index`` exists
    reads the V2 checkpoint (callers that named graphflow's old files keep working)."""
    text = os.fspath(path)
    if os.path.isfile(checkpoint_bundle.index_path(text)):
        return checkpoint_bundle.read_bundle(text)
    stem = text[:-4] if text.endswith(".npz") else text
    for candidate in (text, text + ".npz"):
        if candidate.endswith(".npz") and os.path.isfile(candidate):
            return _load_npz(candidate)
    if os.path.isfile(checkpoint_bundle.index_path(stem)):
        return checkpoint_bundle.read_bundle(stem)
    raise NotFoundError(f"checkpoint '{text}' does not exist (no {text}.index, no .npz)")


def _load_npz(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        names = json.loads(str(data["__names__"]))
        return {n: data[f"v{i}"] for i, n in enumerate(names)}


