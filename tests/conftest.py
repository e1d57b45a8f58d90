"""Shared fixtures: the repo's config files, `ttcs` in process and as the real command."""

from __future__ import annotations

import contextlib
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


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`ttcs` in this process (typer's CliRunner), answered like :func:`run_ttcs`: exit code,
    stdout, stderr. Seconds faster than a subprocess; :func:`run_ttcs` stays for the tests
    whose point is the process. An exception no command turned into its one line is raised
    here, where the real command would print "Lỗi không mong đợi" (a test cannot miss it)."""
    from typer.testing import CliRunner

    from ttcs.cli.app import app

    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["ttcs", *args], result.exit_code, result.stdout,
                                       result.stderr)


@pytest.fixture(scope="session")
def form():
    from ttcs.workbook.form import load_form

    return load_form(CONFIG / "form.yaml")


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (~18 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session (tests/postgres.py); the tests using it skip, with
    the reason, where there is none."""
    from tests import postgres

    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(postgres.server())
        except postgres.Unavailable as exc:
            pytest.skip(str(exc))
        yield server


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The SQLAlchemy URL of a new, empty PostgreSQL database for one test."""
    return postgres_server.new_database()
