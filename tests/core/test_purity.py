"""The core imports only the standard library (import-linter forbids known packages; this
catches any package, including ones added to the project later)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "arrears" / "core"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0] if not node.module.startswith("arrears.core") else "arrears.core")
    return names


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_only_the_standard_library(path: Path) -> None:
    foreign = {
        n for n in _imports(path) if n not in sys.stdlib_module_names and n not in {"__future__", "arrears.core"}
    }
    assert foreign == set(), f"{path.name} imports {sorted(foreign)}"
