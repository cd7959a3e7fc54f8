"""The type information graphflow ships and checks (issue 10, item 6): a PEP 561 ``py.typed``
marker installed with the package, a ``.pyi`` stub beside every generated protobuf module
(mypy reads the protos through them), and a mypy configuration covering the core packages."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORE = ("graphflow/framework", "graphflow/compiler", "graphflow/runtime", "graphflow/io")


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_py_typed_marker_is_in_the_package_and_installed_as_package_data() -> None:
    assert resources.files("graphflow").joinpath("py.typed").is_file()
    package_data = _pyproject()["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["graphflow"]
    assert "*.pyi" in package_data["graphflow.proto"]


def test_every_generated_proto_module_has_a_stub() -> None:
    proto = ROOT / "graphflow" / "proto"
    generated = sorted(proto.glob("*_pb2.py"))
    assert generated, "no generated *_pb2.py modules found"
    missing = [p.name for p in generated if not p.with_suffix(".pyi").is_file()]
    assert not missing, f"generated modules without a .pyi stub (run scripts/gen_protos.py): " \
        f"{missing}"


def test_mypy_checks_the_core_packages_strictly() -> None:
    config = _pyproject()["tool"]["mypy"]
    assert set(CORE) <= set(config["files"]), "make lint must type-check the core packages"
    assert config["disallow_untyped_defs"] is True
    assert config["check_untyped_defs"] is True
    assert config["warn_unused_ignores"] is True
    # only the generated protobuf modules are excluded (their .pyi stubs are read instead)
    assert config["exclude"] == ["^graphflow/proto/.*_pb2\\.py$"]


def test_lint_tools_come_with_the_test_extra() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]
    for extra in ("test", "dev"):
        names = {req.split(">")[0].split("=")[0].split("<")[0].strip() for req in extras[extra]}
        assert {"mypy", "ruff", "types-networkx", "types-protobuf", "types-tqdm"} <= names, extra
