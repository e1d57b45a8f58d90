"""The `ttcs` wheel ships the product (ttcs, tasks, flows) and no test double or test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

PRODUCT = ("ttcs", "flows", "tasks")
NOT_SHIPPED = ("fakegoogle", "tests")


def _packages() -> list[Path]:
    """Every top-level Python package of the repository, product or not."""
    return sorted(p.parent for p in ROOT.glob("*/__init__.py"))


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Builds the wheel from a copy of the repository (no build files left in the tree, and
    nothing fetched: the venv's setuptools builds it)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for package in _packages():
        shutil.copytree(package, src / package.name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(out), str(src)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = out.glob("ttcs-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_copy_holds_the_fake_and_the_tests() -> None:
    """Otherwise the wheel test below would prove nothing."""
    assert {p.name for p in _packages()} >= set(PRODUCT + NOT_SHIPPED)


def test_wheel_has_no_fake_and_no_tests(wheel_names: set[str]) -> None:
    tops = {name.split("/")[0] for name in wheel_names}
    assert tops & set(NOT_SHIPPED) == set()
    assert not [n for n in wheel_names if "fakegoogle" in n]


def test_wheel_has_every_module_of_the_product(wheel_names: set[str]) -> None:
    modules = {p.relative_to(ROOT).as_posix() for top in PRODUCT
               for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts}
    assert len(modules) > 40
    assert modules <= wheel_names
