"""`ttcs server start|stop` (`make server`, `make stop`): a persistent Prefect server.

``start`` runs ``prefect server start`` on 127.0.0.1 with its UI and its database in
:data:`~ttcs.cli.prefect_server.DEFAULT_HOME` (the history every ``ttcs`` command kept there
stays), makes sure the process work pool exists with a concurrency limit (one run at a time,
:data:`DEFAULT_CONCURRENCY`, unless a limit is already set), registers the deployments of
``prefect.yaml`` (``prefect --no-prompt deploy --all``) and starts a worker on the pool. Both
processes lead a process group of their own and outlive the command; their ids and start times
go to the state file ``server.json``, which is also how every ``ttcs`` command finds the server
and uses it.
``stop`` ends exactly those two process groups, after checking each pid is still the process
that was started (a pid reused by another program is left alone).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
import yaml

from ttcs.cli.common import console, err_console, one_line_errors
from ttcs.cli.prefect_server import (
    DEFAULT_HOME,
    HOST,
    LOG_NAME,
    STARTUP_TIMEOUT,
    STATE_NAME,
    ServerState,
    api_url_settings,
    prefect_command,
    process_start,
    running_server,
    server_command,
    server_env,
    wait_healthy,
)
from ttcs.errors import RunFailed, UserError, os_reason

DEFAULT_PORT = 4200
DEFAULT_POOL = "ttcs"
# One run at a time on the pool: each campaign has one database, and provinces sharing a
# service account gain nothing from overlapping at the Google quota.
DEFAULT_CONCURRENCY = 1
PROJECT_FILE = "prefect.yaml"
DEPLOY_TIMEOUT = 600.0
WORKER_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0

server_app = typer.Typer(
    name="server",
    help="Máy chủ Prefect chạy lâu dài (giao diện, nhóm máy chạy, worker, các deployment).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PortOption = Annotated[int, typer.Option("--port", help="Cổng của máy chủ trên 127.0.0.1.")]
PoolOption = Annotated[str, typer.Option("--pool", help="Nhóm máy chạy (work pool).")]


@server_app.command("start")
@one_line_errors
def start(port: PortOption = DEFAULT_PORT, pool: PoolOption = DEFAULT_POOL) -> None:
    """Khởi động máy chủ Prefect, nhóm máy chạy, worker và đăng ký các deployment."""
    project = Path.cwd()
    if not (project / PROJECT_FILE).is_file():
        raise UserError(f"không thấy {PROJECT_FILE} trong {project}; hãy chạy từ thư mục dự án")
    running = running_server()
    if running is not None:
        console.print(f"Máy chủ Prefect đã chạy tại {running.ui}; dừng bằng: make stop",
                      highlight=False, soft_wrap=True)
        return
    _end_leftovers(DEFAULT_HOME)
    _check_port_free(port)
    code_home = os.environ.get("TTCS_HOME") or str(project)
    with err_console.status(f"Đang khởi động máy chủ Prefect tại http://{HOST}:{port}…"):
        state, limit = _start_all(DEFAULT_HOME, port, pool, project, code_home)
    deployments = len(yaml.safe_load((project / PROJECT_FILE).read_text(encoding="utf-8"))
                      .get("deployments") or [])
    console.print(f"Máy chủ Prefect chạy tại {state.ui} (giao diện), nhóm máy chạy '{pool}' "
                  f"(tối đa {limit} lượt cùng lúc) có một worker, đã đăng ký {deployments} "
                  "deployment; dừng bằng: make stop",
                  highlight=False, soft_wrap=True)


@server_app.command("stop")
@one_line_errors
def stop() -> None:
    """Dừng đúng máy chủ và worker mà 'ttcs server start' đã khởi động."""
    state = ServerState.load(DEFAULT_HOME)
    if state is None:
        console.print("Không có máy chủ Prefect nào do 'ttcs server start' khởi động.")
        return
    ended = _end_all(state)
    (DEFAULT_HOME / STATE_NAME).unlink(missing_ok=True)
    what = ", ".join(f"{name} (PID {pid})" for name, pid in ended) or "không còn tiến trình nào"
    console.print(f"Đã dừng máy chủ Prefect {state.ui}: {what}.", highlight=False,
                  soft_wrap=True)


def _start_all(home: Path, port: int, pool: str, project: Path, code_home: str
               ) -> tuple[ServerState, int]:
    """Server, pool, deployments, worker; on any failure, end what was started and re-raise.
    The state and the pool's concurrency limit."""
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFailed(f"Không tạo được thư mục {home}: {os_reason(exc)}") from None
    url = f"http://{HOST}:{port}/api"
    state = ServerState(url=url, ui=f"http://{HOST}:{port}", pids={}, started={})
    try:
        server = _launch("server", server_command(port, ui=True), server_env(home, ui=True),
                         home, state)
        if not wait_healthy(server, url, STARTUP_TIMEOUT):
            raise _failed("máy chủ không trả lời", home / LOG_NAME)
        env = _client_env(url, home, code_home)
        with api_url_settings(url):
            limit = ensure_work_pool(pool, DEFAULT_CONCURRENCY, replace=False)
        deploy(project / PROJECT_FILE, project, env, home / "deploy.log")
        _launch("worker", prefect_command("worker", "start", "--pool", pool), env, home, state)
        with api_url_settings(url):
            _wait_worker(pool, state, home / "worker.log")
    except BaseException:
        _end_all(state)
        (home / STATE_NAME).unlink(missing_ok=True)
        raise
    return state, limit


def _launch(name: str, command: list[str], env: dict[str, str], home: Path,
            state: ServerState) -> subprocess.Popen[bytes]:
    """Start ``command`` in a session of its own (it outlives us), logging to ``name``.log,
    and record it in the state file at once (so ``stop`` can end it whatever happens next)."""
    log_file = home / (LOG_NAME if name == "server" else f"{name}.log")
    try:
        with log_file.open("ab") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, env=env, cwd=home,
                                       start_new_session=True)
    except OSError as exc:
        raise RunFailed(f"Không chạy được {command[0]}: {os_reason(exc)}") from None
    state.pids[name] = process.pid
    state.started[name] = process_start(process.pid) or "?"
    state.save(home)
    return process


def _client_env(url: str, home: Path, code_home: str) -> dict[str, str]:
    """The environment of ``prefect deploy`` and the worker (and so of every flow run)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_PROFILE"}
    env.update(PREFECT_API_URL=url, PREFECT_HOME=str(home), TTCS_HOME=code_home,
               DO_NOT_TRACK="1", NO_COLOR="1", COLUMNS="200", PYTHONUNBUFFERED="1")
    return env


def ensure_work_pool(name: str, concurrency: int, *, replace: bool = True) -> int:
    """Create process work pool ``name`` with concurrency limit ``concurrency`` if missing;
    give an existing pool that limit too (with ``replace=False`` only if it has none, so a
    limit the coordinator chose stays). The limit in effect. Runs against the API the current
    Prefect settings point at."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            existing = client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(
                name=name, type=ProcessWorker.type, concurrency_limit=concurrency,
                base_job_template=ProcessWorker.get_default_base_job_template()))
            return concurrency
        limit = existing.concurrency_limit
        if limit is not None and (limit == concurrency or not replace):
            return limit
        client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=concurrency))
        return concurrency


def deploy(prefect_file: Path, project: Path, env: dict[str, str], log_file: Path) -> None:
    """``prefect --no-prompt deploy --all`` of ``prefect_file``, from ``project`` (where the
    entrypoints are); its output goes to ``log_file``."""
    command = prefect_command("--no-prompt", "deploy", "--all", "--prefect-file",
                              str(prefect_file))
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("ab") as log:
            code = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, env=env, cwd=project,
                                  timeout=DEPLOY_TIMEOUT).returncode
    except subprocess.TimeoutExpired:
        raise _failed(f"prefect deploy chưa xong sau {DEPLOY_TIMEOUT:.0f} giây", log_file
                      ) from None
    except OSError as exc:
        raise RunFailed(f"Không chạy được prefect deploy: {os_reason(exc)}") from None
    if code != 0:
        raise _failed(f"prefect deploy không thành công (mã thoát {code})", log_file)


def _wait_worker(pool: str, state: ServerState, log_file: Path) -> None:
    """Until a worker of ``pool`` is online (it sent its first heartbeat)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import WorkerStatus

    deadline = time.monotonic() + WORKER_TIMEOUT
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            if not state.alive("worker"):
                raise _failed("worker dừng khi khởi động", log_file)
            workers = client.read_workers_for_work_pool(pool)
            if any(w.status == WorkerStatus.ONLINE for w in workers):
                return
            time.sleep(0.5)
    raise _failed(f"worker chưa sẵn sàng sau {WORKER_TIMEOUT:.0f} giây", log_file)


def _failed(reason: str, log_file: Path) -> RunFailed:
    return RunFailed(f"Không khởi động được máy chủ Prefect: {reason}; xem nhật ký {log_file}")


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            raise RunFailed(f"Cổng {port} trên {HOST} đang có chương trình khác dùng; dừng "
                            f"chương trình đó hoặc chọn --port khác") from None


def _end_leftovers(home: Path) -> None:
    """A state file whose server no longer answers: end what still runs of it, forget it."""
    state = ServerState.load(home)
    if state is not None:
        _end_all(state)
        (home / STATE_NAME).unlink(missing_ok=True)


def _end_all(state: ServerState) -> list[tuple[str, int]]:
    """End the worker, then the server; the (name, pid) of those that were still running."""
    ended = []
    for name in ("worker", "server"):
        if state.alive(name):
            _end(state, name)
            ended.append((name, state.pids[name]))
    return ended


def _end(state: ServerState, name: str) -> None:
    """SIGTERM the process group ``name`` leads, SIGKILL it if it lingers."""
    pid = state.pids[name]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            raise RunFailed(f"Không có quyền dừng tiến trình {pid} ({name})") from None
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it when we started it ourselves
            if not state.alive(name):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)  # helpers it left in its group
                return
            time.sleep(0.2)

