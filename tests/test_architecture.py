"""Imports point one way: config → ttcs (no Prefect) → tasks → flows → CLI."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

FORBIDDEN_IN_DOMAIN = ("prefect", "flows", "tasks", "ttcs.cli")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _offending(folder: Path, forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    out = {}
    for path in folder.rglob("*.py"):
        bad = {m for m in _imports(path) if m.split(".")[0] in {f.split(".")[0] for f in
               forbidden} and any(m == f or m.startswith(f + ".") for f in forbidden)}
        if bad:
            out[str(path.relative_to(ROOT))] = bad
    return out


def test_domain_package_never_imports_prefect_flows_or_tasks() -> None:
    domain = {p: m for p, m in _offending(ROOT / "ttcs", FORBIDDEN_IN_DOMAIN).items()
              if not p.startswith("ttcs/cli/")}
    assert domain == {}


def test_tasks_never_import_flows_or_cli() -> None:
    assert _offending(ROOT / "tasks", ("flows", "ttcs.cli")) == {}


def test_flows_never_import_cli() -> None:
    assert _offending(ROOT / "flows", ("ttcs.cli",)) == {}


def test_product_never_imports_the_fake_google() -> None:
    """fakegoogle is a test double outside the product: only tests/ and bench/ use it."""
    product = {top: _offending(ROOT / top, ("fakegoogle",)) for top in ("ttcs", "tasks", "flows")}
    assert product == {"ttcs": {}, "tasks": {}, "flows": {}}
    assert _offending(ROOT / "tests", ("fakegoogle",))  # the check does see the tests' imports
