"""Imports point one way: config → ttcs (no Prefect) → tasks → flows → CLI, and inside ttcs
from the base modules up through the parts of LAYERS (docs/design.md §1)."""

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


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` a file imports anywhere (top, in a function, for type checking):
    ``from ttcs.campaign import registry`` names ttcs.campaign.registry,
    ``from ttcs.state.store import Store`` ttcs.state.store."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found & known


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _ttcs_graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in (ROOT / "ttcs").rglob("*.py")}
    return {name: _imported_modules(path, set(paths)) - {name} for name, path in paths.items()}


# Waiting for its owner: live_checks annotates with layout.TabLayout while layout imports
# live_checks. Remove the entry when fixed (the test then fails until it is).
KNOWN_CYCLES: list[list[str]] = []


def test_no_import_cycle_among_ttcs_modules() -> None:
    assert _cycles(_ttcs_graph()) == KNOWN_CYCLES


def test_cycle_finder_sees_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def _project_imports(folder: Path) -> dict[str, set[str]]:
    """Each file's imports of the project's own top-level packages (ttcs.cli counted apart)."""
    ours = {"ttcs", "tasks", "flows", "fakegoogle", "tests", "bench"}
    out = {}
    for path in folder.rglob("*.py"):
        tops = {"ttcs.cli" if m.startswith("ttcs.cli") else m.split(".")[0]
                for m in _imports(path)}
        out[str(path.relative_to(ROOT))] = tops & (ours | {"ttcs.cli"})
    return out


def test_tasks_depend_on_ttcs_only() -> None:
    wrong = {p: m - {"ttcs", "tasks"} for p, m in _project_imports(ROOT / "tasks").items()}
    assert {p: m for p, m in wrong.items() if m} == {}


def test_cli_depends_on_flows_and_ttcs_not_on_tasks() -> None:
    wrong = {p: m - {"ttcs", "ttcs.cli", "flows"}
             for p, m in _project_imports(ROOT / "ttcs" / "cli").items()}
    assert {p: m for p, m in wrong.items() if m} == {}


# The parts of ttcs, lowest first: a part imports only parts before it (docs/design.md, "Layers").
LAYERS = ("base", "campaign", "google", "workbook", "state", "backends", "run", "outputs",
          "report", "reminders", "demo", "cli")
BASE_MODULES = {"ttcs.errors", "ttcs.labels", "ttcs.text", "ttcs.vi_format"}


def _part(module: str) -> str | None:
    """``ttcs.run.collect`` -> ``run``; the base modules -> ``base``; the package itself -> None."""
    if module == "ttcs":
        return None
    return "base" if module in BASE_MODULES else module.split(".")[1]


def _upward(graph: dict[str, set[str]], layers: tuple[str, ...]) -> set[str]:
    """Every import of a part from a part above it (or from a module in no known part)."""
    rank = {part: i for i, part in enumerate(layers)}
    wrong = set()
    for source, targets in graph.items():
        for target in targets:
            low, high = _part(target), _part(source)
            if low is None or high is None or low == high:
                continue
            if low not in rank or high not in rank or rank[low] > rank[high]:
                wrong.add(f"{source} -> {target}")
    return wrong


def test_every_ttcs_module_belongs_to_a_layer() -> None:
    parts = {_part(module) for module in _ttcs_graph()} - {None}
    assert parts == set(LAYERS)


def test_ttcs_parts_import_only_the_layers_below_them() -> None:
    assert _upward(_ttcs_graph(), LAYERS) == set()


def test_layer_check_sees_an_upward_import() -> None:
    graph = {"ttcs.backends.select": {"ttcs.outputs.feedback", "ttcs.errors"},
             "ttcs.outputs.feedback": {"ttcs.backends", "ttcs.run.collect"},
             "ttcs.misc.new": {"ttcs.errors"}}
    assert _upward(graph, LAYERS) == {"ttcs.backends.select -> ttcs.outputs.feedback",
                                      "ttcs.misc.new -> ttcs.errors"}
