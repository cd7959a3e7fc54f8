"""Locating the shared (not redistributable) NER data directory.

The real CoNLL-2003, CS224N and GloVe files live outside the repository (see the README in that
directory). ``find_data_dir`` returns, in order of preference:

1. ``$GRAPHFLOW_DATA_DIR`` if that variable is set (returned even if the directory is missing, so
   that an explicit setting is never silently replaced);
2. the first ``shared/data`` directory found walking up from this package's location (in a
   checkout at ``/work/main`` that is ``/work/shared/data``);
3. ``None``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "conll2003_dir", "cs224n_dir", "find_data_dir", "glove_50d_path"]

DATA_DIR_ENV = "GRAPHFLOW_DATA_DIR"


def find_data_dir(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The shared data directory (see module docstring); ``start`` overrides the search origin."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    origin = Path(start) if start is not None else Path(__file__)
    for parent in origin.resolve().parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def _sub(name: str) -> Path | None:
    root = find_data_dir()
    return None if root is None else root / name


def conll2003_dir() -> Path | None:
    """``<data>/conll2003`` (4-column IOB2 ``train.txt``/``dev.txt``/``test.txt``), or None."""
    return _sub("conll2003")


def cs224n_dir() -> Path | None:
    """``<data>/cs224n-ner`` (2-column IO files), or None."""
    return _sub("cs224n-ner")


def glove_50d_path() -> Path | None:
    """``<data>/glove-6b-50d/glove.6B.50d.conll2003.txt``, or None."""
    return _sub("glove-6b-50d/glove.6B.50d.conll2003.txt")
