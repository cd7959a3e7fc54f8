"""The layers are real: imports point one way, at module level, with no loops.

This test reads every module of ``graphflow/`` (its AST, not by importing it) and checks
the rules of docs/ARCHITECTURE.md:

1. every import of another graphflow package points down the layers (or sideways inside one
   layer, where the packages of that layer must not import each other in a loop);
2. no import loop crosses packages, and none exists inside a package;
3. graphflow imports inside functions appear only in ``commands/`` and ``cli.py`` (start-up
   time), or where a ``# deferred:`` comment on the line says why (an optional dependency).

``if TYPE_CHECKING:`` imports are annotations only: they must point down or sideways too,
but they do not count as loops.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent / "graphflow"

#: Rank of each top-level package or module of graphflow; an import may only go to a rank
#: at most its own. ``graphflow/__init__.py`` (the public API) and ``compat`` sit on top.
LAYERS: dict[str, int] = {
    "proto": 0,
    "framework": 1,
    "errors": 1, "config_protos": 1, "tf_logging": 1, "flags": 1, "app": 1,  # TF1 utilities
    "ops": 2, "nn": 2, "layers": 2, "losses": 2, "initializers": 2, "debugging": 2,
    "math": 2,
    "compiler": 3,
    "runtime": 4,
    "io": 5, "graph_util": 5, "gfile": 5,
    "train": 6, "viz": 6, "debug": 6, "test": 6, "summary": 6, "data": 6,
    "datasets": 6,
    "models": 7, "distributed": 7,
    "commands": 8, "cli": 8, "__main__": 8,
    "": 9, "compat": 9,
}

#: Packages whose imports inside functions are fine (they keep the CLI's start-up fast).
LAZY_IMPORTS_ALLOWED = ("commands", "cli", "__main__")


@dataclass(frozen=True)
class Import:
    module: str        # importing module, dotted
    target: str        # imported graphflow module, dotted
    line: int
    top_level: bool    # at module level (not inside a function or class body's function)
    type_only: bool    # inside ``if TYPE_CHECKING:``
    deferred: bool     # marked ``# deferred: <why>``


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path = ROOT) -> dict[str, Path]:
    return {_module_name(p, root): p for p in root.rglob("*.py") if "proto" not in p.parts}


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(root: Path = ROOT) -> list[Import]:
    known = _modules(root)
    found: list[Import] = []
    for module, path in known.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]

        def visit(node: ast.AST, top: bool, type_only: bool, module: str = module,
                  package: str = package, lines: list[str] = lines) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    visit(child, False, type_only)
                    continue
                if isinstance(child, ast.If) and _is_type_checking(child.test):
                    for stmt in child.body:
                        visit(ast.Module(body=[stmt], type_ignores=[]), top, True)
                    for stmt in child.orelse:
                        visit(ast.Module(body=[stmt], type_ignores=[]), top, type_only)
                    continue
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        anchor = package.split(".")[:len(package.split(".")) - child.level + 1]
                        base = ".".join(anchor + ([base] if base else []))
                    targets = [f"{base}.{a.name}" for a in child.names] or [base]
                for t in targets:
                    if not t.startswith("graphflow"):
                        continue
                    resolved = _resolve(t, known)
                    if resolved is None or resolved == module or \
                            t.startswith("graphflow.proto"):
                        continue
                    text = lines[child.lineno - 1] + (lines[child.lineno - 2]
                                                      if child.lineno > 1 else "")
                    found.append(Import(module, resolved, child.lineno, top, type_only,
                                        "# deferred:" in text))
                visit(child, top, type_only)

        visit(ast.parse(source), True, False)
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


IMPORTS = _imports()


def test_every_package_has_a_layer() -> None:
    missing = sorted({_package(m) for m in _modules()} - set(LAYERS))
    assert not missing, f"add these packages to LAYERS in {__file__}: {missing}"


def test_imports_point_down_the_layers() -> None:
    upward = [f"{i.module}:{i.line} imports {i.target}"
              for i in IMPORTS
              if LAYERS[_package(i.target)] > LAYERS[_package(i.module)]]
    assert not upward, "imports that point up the layers:\n" + "\n".join(upward)


def test_packages_of_one_layer_do_not_import_each_other_in_a_loop() -> None:
    g = nx.DiGraph()
    for i in IMPORTS:
        a, b = _package(i.module), _package(i.target)
        if a != b and not i.type_only:
            g.add_edge(a, b)
    loops = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not loops, f"package import loops: {loops}"


def test_no_module_import_loops() -> None:
    g = nx.DiGraph()
    for i in IMPORTS:
        if not i.type_only:
            g.add_edge(i.module, i.target)
    loops = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not loops, "module import loops:\n" + "\n".join(map(str, loops))


def test_graphflow_imports_are_at_module_level() -> None:
    inner = [f"{i.module}:{i.line} imports {i.target}" for i in IMPORTS
             if not i.top_level and not i.deferred
             and _package(i.module) not in LAZY_IMPORTS_ALLOWED]
    assert not inner, ("imports inside functions (move them to the top of the module, or "
                       "mark a deliberate one '# deferred: <why>'):\n" + "\n".join(inner))


def test_deferred_imports_are_few() -> None:
    deferred = [i for i in IMPORTS if i.deferred]
    assert len(deferred) <= 5, [f"{i.module}:{i.line}" for i in deferred]


@pytest.mark.parametrize("source, expected", [
    ("from graphflow.ops import math_ops\n", [("graphflow.ops.math_ops", True, False)]),
    ("def f():\n    from graphflow.runtime import session\n",
     [("graphflow.runtime.session", False, False)]),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from graphflow.io import x\n",
     [("graphflow.io", True, True)]),
])
def test_the_walker_sees_imports(tmp_path: Path, source: str,
                                 expected: list[tuple[str, bool, bool]]) -> None:
    """The checker itself: module-level, in-function and TYPE_CHECKING imports are told
    apart (so the rules above cannot pass by not seeing anything)."""
    pkg = tmp_path / "graphflow"
    for sub in ("ops", "runtime", "io"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "ops" / "math_ops.py").write_text("")
    (pkg / "runtime" / "session.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "framework").mkdir()
    (pkg / "framework" / "mod.py").write_text(source)
    got = [(i.target, i.top_level, i.type_only) for i in _imports(pkg)
           if i.module == "graphflow.framework.mod"]
    assert got == expected
