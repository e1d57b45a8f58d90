"""A Prefect API server for the length of one command, so flows never use Prefect's temporary one.

Without ``PREFECT_API_URL`` Prefect starts a temporary in-process server for each command: it is
slow to start, is killed at exit while still recording (task-run history is lost) and prints
tracebacks and telemetry errors (docs/design.md §7). :func:`prefect_api` instead either uses the
server a coordinator already runs (``PREFECT_API_URL`` in the environment or the active Prefect
profile, else the persistent server of ``ttcs server start``, found by its state file in
:data:`DEFAULT_HOME`) or starts ``prefect server start`` on a free local port, with its SQLite
database in a ``PREFECT_HOME`` of our own so run history persists between commands, and stops
it afterwards.

Prefect reads its settings at import: a ``SettingsContext`` in the current ``contextvars``
context or, where there is none (threads that did not copy the context), a process-global one
built at import. Setting ``os.environ`` after ``import prefect`` changes neither: a flow then still
starts a temporary server (checked on 3.9.1). So we set the environment variable (for child
processes), rebuild the global context from it
(:func:`prefect.context.refresh_global_settings_context`) and enter
:func:`prefect.settings.temporary_settings`; all three are undone on exit.

Prefect is imported lazily: ``import prefect`` takes seconds and commands that run no flow should
not pay for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ttcs.cli.common import RunFailed
from ttcs.cli.logfile import logs_to_file
from ttcs.errors import os_reason

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_HOME = Path.home() / ".ttcs" / "prefect"
LOG_NAME = "server.log"
STATE_NAME = "server.json"  # what `ttcs server start` started: URLs and process ids
LOG_MAX_BYTES = 5_000_000
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
RECORD_TIMEOUT = 60.0
FLUSH_TIMEOUT = 15.0
STATUS_TEXT = "Đang khởi động máy chủ Prefect cục bộ…"

# Run in the child between fork and exec of the server: ask Linux to send it SIGTERM when the
# process that started it dies, even by SIGKILL, so a killed command leaves no server behind.
_PDEATHSIG_SHIM = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)  # the parent died before prctl: do not start an orphan
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclass(frozen=True)
class LocalServer:
    """A server :func:`prefect_api` started: its API URL, process id, home and log file."""

    url: str
    pid: int
    home: Path
    log_file: Path


active_server: LocalServer | None = None
"""The server started by the innermost running :func:`prefect_api`, or ``None``."""


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago: bind to port 0, read what the OS chose, close."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def configured_api_url() -> str | None:
    """``PREFECT_API_URL`` from the environment or, failing that, the active Prefect profile."""
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if url:
        return url
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


@dataclass(frozen=True)
class ServerState:
    """The persistent server of ``ttcs server start``, as its state file records it."""

    url: str  # the API, e.g. http://127.0.0.1:4200/api
    ui: str
    pids: dict[str, int]  # "server", "worker": each the leader of a process group of its own
    started: dict[str, str]  # pid's start time per /proc (tells a reused pid apart)

    @classmethod
    def load(cls, home: Path) -> ServerState | None:
        """The state file in ``home``, or ``None`` when there is none or it is unreadable."""
        try:
            data = json.loads((home / STATE_NAME).read_text(encoding="utf-8"))
            return cls(url=data["url"], ui=data["ui"], pids=dict(data["pids"]),
                       started=dict(data["started"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, home: Path) -> None:
        path = home / STATE_NAME
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    def alive(self, name: str) -> bool:
        """Whether process ``name`` still runs and is the one started (not a reused pid)."""
        pid = self.pids.get(name)
        return pid is not None and process_start(pid) == self.started.get(name)


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), ``None`` if it is
    gone or a zombie. Where /proc is missing, any live pid answers ``"?"``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?"
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may contain spaces
    return None if fields[0] == "Z" else fields[19]


def running_server(home: Path | None = None) -> ServerState | None:
    """The persistent server recorded in ``home`` (default :data:`DEFAULT_HOME`) if its
    process runs and it answers."""
    state = ServerState.load(Path(home or DEFAULT_HOME))
    if state is None or not state.alive("server"):
        return None
    try:
        urllib.request.urlopen(health_url(state.url), timeout=5).close()
    except (OSError, ValueError):
        return None
    return state


def in_use_line(state: ServerState) -> str:
    return f"Dùng máy chủ Prefect đang chạy tại {state.ui}"


@contextmanager
def prefect_api(home: Path | None = None, console: Console | None = None) -> Iterator[str]:
    """Yield the Prefect API URL to use for the duration of a command.

    A configured ``PREFECT_API_URL`` (environment or active profile) is used as is, if it answers;
    else the persistent server of ``ttcs server start``, if it runs (said in one line on
    ``console``); otherwise a local server is started with its database and log
    (``server.log``) in ``home`` (default ``~/.ttcs/prefect``) and stopped on exit, however the
    block ends. While it runs,
    :data:`active_server` describes it. Flows run inside the block record to this API; their log
    lines go to it and to :data:`ttcs.cli.logfile.LOG_FILE`, none to the terminal.
    """
    global active_server
    import prefect.main  # noqa: F401 - Prefect configures logging at this import: before ours

    external = configured_api_url()
    if not external and (persistent := running_server()) is not None:
        external = persistent.url
        if console is not None:
            console.print(in_use_line(persistent), highlight=False, soft_wrap=True)
    with contextlib.ExitStack() as stack:
        # Exits last: Prefect's log lines, a failed run's traceback above all, go to the log
        # file and the server until the very end, never to the terminal.
        stack.enter_context(logs_to_file())
        if external:
            _check_reachable(external)
            url = external
        else:
            home = Path(home or DEFAULT_HOME).expanduser()
            server = stack.enter_context(_local_server(home, console))
            url = server.url
            previous, active_server = active_server, server
            stack.callback(_set_active, previous)
        stack.enter_context(api_url_settings(url))
        # Exits run last in, first out: flush what this process queued (and, for a server of
        # our own, wait until it is recorded) before the settings are restored and it stops.
        stack.enter_context(_client_workers(url, None if external else server.log_file))
        yield url


def _set_active(server: LocalServer | None) -> None:
    global active_server
    active_server = server


@contextmanager
def api_url_settings(url: str) -> Iterator[None]:
    """Point this process's Prefect client at ``url``: env var, global settings, context."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    saved = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        prefect.context.refresh_global_settings_context()
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved
        prefect.context.refresh_global_settings_context()


@contextmanager
def _client_workers(url: str, log_file: Path | None) -> Iterator[None]:
    """Fresh Prefect event and log workers for ``url``, flushed on exit.

    With ``log_file`` (a server of our own), the exit also waits until the server has recorded
    the last task-run event this process sent. Prefect 3 clients report task runs as events; the
    server records them later, from an in-memory queue that is lost when the server stops
    (docs/design.md §7: most task-run history was lost that way). The events of one process
    reach the server in order and are recorded in order, so once the state carried by the last
    task-run event exists, all earlier ones do too.
    """
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.worker import EventsWorker

    _flush_client_workers(None)  # a worker made earlier may still talk to another API
    try:  # made now, with `url`: the one the flows in the block will use
        worker: Any = EventsWorker.instance()
    except Exception:  # Prefect will report it when a flow runs
        worker = None
    last: list[str] = []  # id of the state carried by the last task-run event sent
    if log_file is not None and getattr(worker, "client_type", None) is PrefectEventsClient:
        # `emit_event` sends only through Prefect's own client classes, so the worker's handler
        # is wrapped rather than the client subclassed.
        handle = worker._handle

        async def tracking_handle(event: Any) -> None:
            await handle(event)
            if event.event.startswith("prefect.task-run."):
                last[:] = [str(event.id)]

        worker._handle = tracking_handle  # type: ignore[method-assign]
    try:
        yield
    finally:
        _flush_client_workers(worker)
        if log_file is not None and last:
            state_url = f"{url}/task_run_states/{last[0]}"
            if not _wait_recorded(state_url, RECORD_TIMEOUT):
                with contextlib.suppress(OSError), log_file.open("a") as log:
                    log.write(
                        f"ttcs: task-run state {last[0]} still not recorded after "
                        f"{RECORD_TIMEOUT:.0f} s; stopping the server anyway\n"
                    )


def _flush_client_workers(events_worker: Any) -> None:
    """Send the events and logs this process still holds, then stop its Prefect workers.

    Stopped workers are forgotten, so the next flow gets new ones for the current API. Waiting
    for the events queue to empty first avoids Prefect's "Still processing items" warning. Runs
    in a thread of its own: Prefect's drain returns a coroutine when called on an event loop.
    """

    def flush() -> None:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        if events_worker is not None:
            events_worker.wait_until_empty()
        APILogWorker.drain_all(timeout=FLUSH_TIMEOUT)
        EventsWorker.drain_all(timeout=FLUSH_TIMEOUT)

    def guarded() -> None:
        with contextlib.suppress(Exception):  # never let the flush hide the command's result
            flush()

    thread = threading.Thread(target=guarded, name="ttcs-prefect-flush", daemon=True)
    thread.start()
    thread.join(3 * FLUSH_TIMEOUT)


def _wait_recorded(state_url: str, timeout: float) -> bool:
    """Poll until ``state_url`` exists (True), the server is gone or time runs out (False)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(state_url, timeout=5).close()
            return True
        except urllib.error.HTTPError:  # 404 until it is recorded
            pass
        except (OSError, ValueError):  # no server to wait for
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _check_reachable(url: str) -> None:
    """One line, not a traceback, when a configured server does not answer at all."""
    try:
        urllib.request.urlopen(health_url(url), timeout=10).close()
    except urllib.error.HTTPError:
        return  # it answers (perhaps asking for credentials): let Prefect deal with it
    except (OSError, ValueError) as exc:
        raise RunFailed(
            f"Không kết nối được máy chủ Prefect tại {url} (PREFECT_API_URL): {_reason(exc)}"
        ) from None


def health_url(api_url: str) -> str:
    return api_url.rstrip("/") + "/health"


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason) or type(exc).__name__


def prefect_command(*args: str) -> list[str]:
    """The ``prefect`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("prefect")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]
    return [*base, *args]


def server_command(port: int, ui: bool = False) -> list[str]:
    command = prefect_command("server", "start", "--host", HOST, "--port", str(port))
    return command if ui else [*command, "--no-ui"]


def server_env(home: Path, ui: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        env.pop(name, None)
    # Record task runs in batches: one transaction per event (Prefect's default) falls seconds
    # behind after a flow of a few hundred tasks, and the exit waits for it to catch up.
    recorder = "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_"
    env.setdefault(recorder + "READ_BATCH_SIZE", "200")
    env.setdefault(recorder + "BATCH_SIZE", "100")
    # Whole seconds: Prefect reads it with int(), so "0.5" became 0, a loop that never sleeps
    # and kept a core busy while the server was idle.
    env.setdefault(recorder + "FLUSH_INTERVAL", "1")
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_UI_ENABLED=str(ui).lower(),
        PREFECT_UI_ENABLED=str(ui).lower(),
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
        COLUMNS="200",
    )
    return env


def _spawn(home: Path, port: int, log: BinaryIO, log_file: Path) -> subprocess.Popen[bytes]:
    command = server_command(port)
    if sys.platform.startswith("linux"):
        command = [sys.executable, "-c", _PDEATHSIG_SHIM, str(os.getpid()), *command]
    try:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(home),
            cwd=home,
            start_new_session=True,
        )
    except OSError as exc:
        raise _not_started(f"{command[0]}: {os_reason(exc)}", log_file) from None


@contextmanager
def _local_server(home: Path, console: Console | None) -> Iterator[LocalServer]:
    log_file = home / LOG_NAME
    try:
        home.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            if log_file.stat().st_size > LOG_MAX_BYTES:  # keep one old log, drop older ones
                log_file.replace(log_file.with_name(LOG_NAME + ".1"))
        log = log_file.open("ab")
    except OSError as exc:
        raise RunFailed(f"Không tạo được thư mục cho máy chủ Prefect {home}: {os_reason(exc)}"
                        ) from None
    with log:
        status = console.status(STATUS_TEXT) if console is not None else contextlib.nullcontext()
        process: subprocess.Popen[bytes] | None = None
        try:
            with status:
                for _attempt in range(3):  # the free port may be taken before the server binds
                    port = free_port()
                    stamp = datetime.now().isoformat(timespec="seconds")
                    log.write(f"\n=== {stamp} ttcs: prefect server, port {port}\n".encode())
                    log.flush()
                    start = log.tell()
                    process = _spawn(home, port, log, log_file)
                    url = f"http://{HOST}:{port}/api"
                    if wait_healthy(process, url, STARTUP_TIMEOUT):
                        break
                    code = process.poll()
                    if code is None:
                        raise _not_started(f"chưa trả lời sau {STARTUP_TIMEOUT:.0f} giây",
                                           log_file)
                    process = None
                    if not _port_taken(log_file, start):
                        raise _not_started(f"máy chủ dừng khi khởi động (mã thoát {code})",
                                           log_file)
                else:
                    raise _not_started("cổng đã bị chiếm ba lần liên tiếp", log_file)
            yield LocalServer(url=url, pid=process.pid, home=home, log_file=log_file)
        finally:
            if process is not None:
                _stop(process)


def _not_started(reason: str, log_file: Path) -> RunFailed:
    return RunFailed(f"Không khởi động được máy chủ Prefect cục bộ: {reason}; xem nhật ký "
                     f"{log_file}")


def wait_healthy(process: subprocess.Popen[bytes], url: str, timeout: float) -> bool:
    """Poll ``/health`` until it answers 200 (True), the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(health_url(url), timeout=2) as response:
                if response.status == 200:
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return False


def _port_taken(log_file: Path, start: int) -> bool:
    """Whether the server that logged from ``start`` on exited because its port was taken."""
    try:
        with log_file.open("rb") as log:
            log.seek(start)
            text = log.read(64_000).decode(errors="replace")
    except OSError:
        return False
    # Prefect's own check: "Port N is already in use"; uvicorn's: "[Errno 98] ... already in use"
    return "already in use" in text


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers, and reap it."""
    for sig, timeout in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:  # a second Ctrl+C while stopping: stop at once
            continue
        # The server may have left helpers in its group: make sure none survive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return
