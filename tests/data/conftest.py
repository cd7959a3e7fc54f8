"""Shared fixtures for the NER data-layer tests.

Tests that need the real (non-redistributable) data locate it through ``$GRAPHFLOW_DATA_DIR`` or,
by default, the ``shared/data`` directory found walking up from this repository, and are skipped
with a reason when the files are absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphflow.data.conll import Sentence, read_conll
from graphflow.data.paths import DATA_DIR_ENV, find_data_dir

REPO_ROOT = Path(__file__).resolve().parents[2]


def _require(relative: str) -> Path:
    root = find_data_dir(start=REPO_ROOT / "tests")
    if root is None:
        pytest.skip(f"real NER data not found: set ${DATA_DIR_ENV} or provide ../shared/data")
    path = root / relative
    if not path.exists():
        pytest.skip(f"real NER data file absent: {path}")
    return path


@pytest.fixture(scope="session")
def conll2003_dir() -> Path:
    return _require("conll2003")


@pytest.fixture(scope="session")
def cs224n_dir() -> Path:
    return _require("cs224n-ner")


@pytest.fixture(scope="session")
def glove_50d() -> Path:
    return _require("glove-6b-50d/glove.6B.50d.conll2003.txt")


@pytest.fixture(scope="session")
def conll_train(conll2003_dir: Path) -> list[Sentence]:
    """The CoNLL-2003 train split, read once per session."""
    return read_conll(conll2003_dir / "train.txt")


@pytest.fixture(scope="session")
def conll_dev(conll2003_dir: Path) -> list[Sentence]:
    return read_conll(conll2003_dir / "dev.txt")
