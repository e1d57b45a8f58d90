"""`prefect_api`: a real local Prefect server per command, clean output, nothing left running.

The flows run in subprocesses, as the `ttcs` commands run them: Prefect keeps process-wide
settings and workers, so a flow run inside pytest's own process would prove little.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ttcs.cli import prefect_server
from ttcs.cli.common import RunFailed

ROOT = Path(__file__).resolve().parent.parent

# Runs two tiny flows against a server of its own, one of them from a child process that must
# reuse that server, then reads the history back through a second server on the same home.
SCRIPT = textwrap.dedent(
    """
    import io, json, os, subprocess, sys
    from pathlib import Path

    from rich.console import Console

    from ttcs.cli import prefect_server as ps

    mode, home, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])

    def tiny():
        from prefect import flow, task

        @task
        def add(a, b):
            return a + b

        @task
        def double(x):
            return 2 * x

        @flow(name="tiny")
        def tiny_flow(n):
            return double(add(n, 1))

        return tiny_flow

    def alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    result = {}
    if mode == "child":  # PREFECT_API_URL is set: no server of its own
        with ps.prefect_api(home=home) as url:
            result.update(url=url, server=ps.active_server is not None, value=tiny()(20))
    else:
        with ps.prefect_api(home=home, console=Console(file=io.StringIO())) as url:
            server = ps.active_server
            result.update(url=url, pid=server.pid, log=str(server.log_file))
            result["env"] = os.environ["PREFECT_API_URL"]
            result["value"] = tiny()(1)
            child = subprocess.run(
                [sys.executable, __file__, "child", str(home) + "-child", str(out) + "-child"],
                capture_output=True, text=True, timeout=120,
            )
            result["child"] = {"rc": child.returncode, "stderr": child.stderr}
        result["alive_after_exit"] = alive(server.pid)
        result["env_after_exit"] = os.environ.get("PREFECT_API_URL")
        result["active_after_exit"] = ps.active_server is not None

        # The history outlives the server: a second server on the same home reads it back.
        from prefect.client.orchestration import get_client

        try:
            with ps.prefect_api(home=home) as url2:
                result.update(url2=url2, pid2=ps.active_server.pid)
                with get_client(sync_client=True) as client:
                    result["flow_runs"] = sorted(r.state_name for r in client.read_flow_runs())
                    result["task_runs"] = sorted(r.state_name for r in client.read_task_runs())
                raise KeyboardInterrupt  # as if Ctrl+C: the server must stop all the same
        except KeyboardInterrupt:
            result["alive2_after_exit"] = alive(result["pid2"])
    out.write_text(json.dumps(result))
    """
)


def _closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)  # the whole process group the server led
    except ProcessLookupError:
        return True
    return False


def _env(tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh machine: no API URL, no profile of the developer's."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_PROFILE")}
    env["PREFECT_HOME"] = str(tmp_path / "client-home")
    env["PREFECT_PROFILES_PATH"] = str(tmp_path / "client-home" / "profiles.toml")
    env["PYTHONPATH"] = str(ROOT)
    env["HOME"] = str(tmp_path / "home")  # ttcs's log file (~/.ttcs/logs) too
    return env


def test_flows_record_to_a_server_of_our_own_and_nothing_is_left(tmp_path: Path) -> None:
    script = tmp_path / "run_flows.py"
    script.write_text(SCRIPT)
    home, out = tmp_path / "prefect-home", tmp_path / "result.json"

    proc = subprocess.run(
        [sys.executable, str(script), "main", str(home), str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(tmp_path),
        cwd=tmp_path,
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    child = result["child"]
    assert child["rc"] == 0, child["stderr"][-3000:]
    for stderr in (proc.stderr, child["stderr"]):
        for bad in ("Traceback", "telemetry", "Error flushing", "Starting temporary server"):
            assert bad not in stderr, stderr[-3000:]
        assert "WARNING" not in stderr and "ERROR" not in stderr, stderr[-3000:]

    # The server ran where we said, with its log in the home, and the client used it.
    port = int(result["url"].rsplit(":", 1)[1].split("/")[0])
    assert result["url"] == f"http://127.0.0.1:{port}/api" == result["env"]
    assert Path(result["log"]) == home / "server.log" and (home / "prefect.db").exists()
    assert result["value"] == 4

    # The child saw PREFECT_API_URL, started nothing and recorded its run in our server.
    child_result = json.loads((tmp_path / "result.json-child").read_text())
    assert child_result == {"url": result["url"], "server": False, "value": 42}
    assert not (tmp_path / "prefect-home-child").exists()

    # Leaving the block stopped the server and put the settings back.
    assert result["alive_after_exit"] is False
    assert result["env_after_exit"] is None and result["active_after_exit"] is False
    assert _gone(result["pid"]) and _gone(result["pid2"]) and result["alive2_after_exit"] is False
    assert _closed(port)
    assert _closed(int(result["url2"].rsplit(":", 1)[1].split("/")[0]))

    # Both flow runs and all four task runs outlived their server.
    assert result["flow_runs"] == ["Completed", "Completed"]
    assert result["task_runs"] == ["Completed"] * 4


def test_a_killed_command_leaves_no_server_behind(tmp_path: Path) -> None:
    script = tmp_path / "killed.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            from pathlib import Path
            from ttcs.cli import prefect_server as ps
            with ps.prefect_api(home=Path(sys.argv[1])):
                Path(sys.argv[2]).write_text(str(ps.active_server.pid))
                time.sleep(300)
            """
        )
    )
    pid_file = tmp_path / "server.pid"
    command = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "home"), str(pid_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 150
        while not pid_file.exists() and command.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pid_file.exists(), "the server did not start"
        server_pid = int(pid_file.read_text())
        assert not _gone(server_pid)
    finally:
        command.kill()  # SIGKILL: no `finally`, no atexit in the command runs
        command.wait()

    deadline = time.monotonic() + 30
    while not _gone(server_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(server_pid)


def test_a_server_that_cannot_start_is_one_line_naming_its_log(tmp_path: Path) -> None:
    script = tmp_path / "fail.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from pathlib import Path
            from ttcs.cli import prefect_server as ps
            from ttcs.cli.common import RunFailed
            try:
                with ps.prefect_api(home=Path(sys.argv[1])):
                    print("started")
            except RunFailed as exc:
                print(exc)
            """
        )
    )
    env = _env(tmp_path)
    # An unopenable database makes the real server exit during startup.
    env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
        f"sqlite+aiosqlite:///{tmp_path}/no-such-dir/prefect.db"
    )
    home = tmp_path / "home"

    proc = subprocess.run(
        [sys.executable, str(script), str(home)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    log = home / "server.log"
    line = proc.stdout.strip()
    assert line.startswith("Không khởi động được máy chủ Prefect cục bộ: máy chủ dừng khi khởi "
                           "động (mã thoát "), line
    assert line.endswith(f"; xem nhật ký {log}") and "\n" not in line
    assert "unable to open database file" in log.read_text()
    assert "Traceback" not in proc.stderr


def test_an_unreachable_configured_server_is_one_line_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = prefect_server.free_port()  # nothing listens there
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")

    with (
        pytest.raises(RunFailed, match=f"127.0.0.1:{port}/api"),
        prefect_server.prefect_api(home=tmp_path / "home"),
    ):
        pass

    assert not (tmp_path / "home").exists()
    assert prefect_server.active_server is None


def test_free_port_is_bindable() -> None:
    port = prefect_server.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_recorded_process_counts_only_while_its_pid_is_the_one_started(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = prefect_server.process_start(sleeper.pid)
        state = prefect_server.ServerState(
            url="http://127.0.0.1:9/api", ui="http://127.0.0.1:9",
            pids={"server": sleeper.pid, "worker": sleeper.pid},
            started={"server": started or "", "worker": "1"})  # a pid reused by another process
        state.save(tmp_path)
        assert prefect_server.ServerState.load(tmp_path) == state
        assert started is not None and state.alive("server") and not state.alive("worker")
        # Alive, but it does not answer as a Prefect server: not used.
        assert prefect_server.running_server(tmp_path) is None
    finally:
        sleeper.kill()
        sleeper.wait()
    assert prefect_server.process_start(sleeper.pid) is None and not state.alive("server")
    (tmp_path / prefect_server.STATE_NAME).write_text("{not json")
    assert prefect_server.ServerState.load(tmp_path) is None
