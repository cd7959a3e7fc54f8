"""The ``checkpoint`` file TensorFlow writes beside its checkpoints: a text-format
``CheckpointState`` proto::

    model_checkpoint_path: "model.ckpt-200"
    all_model_checkpoint_paths: "model.ckpt-100"
    all_model_checkpoint_paths: "model.ckpt-200"
    all_model_checkpoint_timestamps: 1700000000.5
    ...
    last_preserved_timestamp: 1699999999.0

``get_checkpoint_state`` reads it (relative paths are joined with the directory, as TF's);
``update_checkpoint_state`` writes it; ``latest_checkpoint`` is the newest path if its files
exist; ``checkpoint_exists`` accepts a V2 prefix (``<prefix>.index``), a V1 file, or a
graphflow ``.npz``. graphflow's older JSON ``checkpoint`` files (``{"latest": ...}``) are
still read."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import text_format

from graphflow.framework.errors import DataLossError
from graphflow.proto import checkpoint_state_pb2

CheckpointState = checkpoint_state_pb2.CheckpointState
INDEX_FILE = "checkpoint"


def checkpoint_exists(checkpoint_prefix: str | os.PathLike[str]) -> bool:
    """``tf.train.checkpoint_exists``: a V2 checkpoint (``prefix.index``), a V1 checkpoint
    file, or a graphflow ``.npz`` exists for this prefix."""
    p = os.fspath(checkpoint_prefix)
    return any(os.path.isfile(c) for c in (p + ".index", p, p + ".npz"))


def get_checkpoint_state(checkpoint_dir: str | os.PathLike[str],
                         latest_filename: str | None = None) -> CheckpointState | None:
    """``tf.train.get_checkpoint_state``: the parsed ``checkpoint`` file of
    ``checkpoint_dir`` (None when there is none); paths made absolute... relative to the
    directory exactly as TF does (a relative path is joined with ``checkpoint_dir``)."""
    path = Path(checkpoint_dir) / (latest_filename or INDEX_FILE)
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    state = CheckpointState()
    if text.lstrip().startswith("{"):  # graphflow <= 0.1 wrote JSON
        latest = json.loads(text)["latest"]
        state.model_checkpoint_path = latest
        state.all_model_checkpoint_paths.append(latest)
    else:
        try:
            text_format.Parse(text, state)
        except text_format.ParseError as err:
            raise DataLossError(f"'{path}' is not a CheckpointState text proto: {err}") from None
    if not state.model_checkpoint_path:
        raise DataLossError(f"'{path}' has no model_checkpoint_path; delete it or re-save")
    base = os.fspath(checkpoint_dir)
    if not os.path.isabs(state.model_checkpoint_path):
        state.model_checkpoint_path = os.path.join(base, state.model_checkpoint_path)
    for i, p in enumerate(state.all_model_checkpoint_paths):
        if not os.path.isabs(p):
            state.all_model_checkpoint_paths[i] = os.path.join(base, p)
    return state


def update_checkpoint_state(save_dir: str | os.PathLike[str], model_checkpoint_path: str,
                            all_model_checkpoint_paths: Sequence[str] | None = None,
                            latest_filename: str | None = None,
                            all_model_checkpoint_timestamps: Sequence[float] | None = None,
                            last_preserved_timestamp: float | None = None,
                            save_relative_paths: bool = False) -> None:
    """Write the ``checkpoint`` file as TF's ``update_checkpoint_state`` does (the newest
    path last in ``all_model_checkpoint_paths``)."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths = [p for p in paths if p != model_checkpoint_path] + [model_checkpoint_path]
    if save_relative_paths:
        paths = [os.path.relpath(p, save_dir) if os.path.isabs(p) else p for p in paths]
        if os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
    state = CheckpointState(model_checkpoint_path=model_checkpoint_path,
                            all_model_checkpoint_paths=paths)
    if all_model_checkpoint_timestamps is not None:
        state.all_model_checkpoint_timestamps.extend(all_model_checkpoint_timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    target = Path(save_dir) / (latest_filename or INDEX_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text_format.MessageToString(state), encoding="utf-8")
    os.replace(tmp, target)


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str],
                      latest_filename: str | None = None) -> str | None:
    """``tf.train.latest_checkpoint``: the newest checkpoint prefix in ``checkpoint_dir``, or
    None when there is no ``checkpoint`` file or its files are gone."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None:
        return None
    path = state.model_checkpoint_path
    return path if checkpoint_exists(path) else None


def now() -> float:
    return time.time()
