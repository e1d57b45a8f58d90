"""Shared fixtures: the repo's config files and a runner for the real `ttcs` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
OUTLINE = CONFIG / "outline.txt"


def run_ttcs(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script in a real subprocess, as a user would."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("ttcs")), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="session")
def form():
    from ttcs.form import load_form

    return load_form(CONFIG / "form.yaml")


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (~18 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
