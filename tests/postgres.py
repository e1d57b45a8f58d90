"""A throwaway PostgreSQL server for the tests, or the one ``TTCS_TEST_POSTGRES_URL`` names.

The local cluster is Debian's PostgreSQL (``/usr/lib/postgresql/<version>/bin``): its data and
unix socket in a temporary folder, listening on 127.0.0.1 only on a free port, trusting only
127.0.0.1. initdb refuses to run as root, so as root the cluster belongs to the ``postgres``
user. Durability is switched off: the cluster is deleted at the end of the session.
Each test gets a database of its own (:meth:`Server.new_database`).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.smtp_sinks import free_port

ENV_URL = "TTCS_TEST_POSTGRES_URL"  # an existing server; its role may create databases
BINARIES = Path("/usr/lib/postgresql")
OWNER = "postgres"  # the system user that runs the cluster when the tests run as root
FAST = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class Unavailable(Exception):
    """No PostgreSQL server for the tests; the text says why (the skip reason)."""


class Server:
    """A server the tests may create databases on, through ``url`` (a SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.created: list[str] = []
        self._numbers = itertools.count(1)

    def new_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"ttcs_test_{os.getpid()}_{next(self._numbers)}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_databases(self) -> None:
        """Drop the databases made here (on a server that outlives the session)."""
        with self.connect() as conn:
            for name in self.created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))

    def connect(self, url: str | None = None) -> psycopg.Connection:
        """A plain psycopg connection (autocommit) to ``url``, by default the server's."""
        libpq = make_url(url or self.url).set(drivername="postgresql")
        return psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True,
                               connect_timeout=10)


def bin_dir() -> Path:
    """The newest installed PostgreSQL's programs, or :class:`Unavailable`."""
    found = sorted(BINARIES.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise Unavailable(f"PostgreSQL không có trên máy này: không tìm thấy initdb trong "
                          f"{BINARIES}/*/bin (cài gói postgresql, hoặc đặt {ENV_URL})")
    return found[-1].parent


def _as_owner(owner: str | None, *command: str | Path) -> list[str]:
    prefix = ["runuser", "-u", owner, "--"] if owner else []
    return [*prefix, *map(str, command)]


def _run(owner: str | None, *command: str | Path) -> None:
    done = subprocess.run(_as_owner(owner, *command), capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["?"]
        raise Unavailable(f"PostgreSQL không khởi động được: {Path(command[0]).name} "
                          f"trả về {done.returncode}: {last[0]}")


@contextmanager
def local_cluster() -> Iterator[Server]:
    """Start a cluster in a temporary folder; stop and delete it on exit."""
    programs = bin_dir()
    owner = OWNER if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="ttcs-postgres-"))
    try:
        if owner:
            user = pwd.getpwnam(owner)
            os.chown(home, user.pw_uid, user.pw_gid)
        data, port = home / "data", free_port()
        _run(owner, programs / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8")
        (data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n", encoding="utf-8")
        options = " ".join(f"-c {o}" for o in (
            "listen_addresses=127.0.0.1", f"port={port}", f"unix_socket_directories={home}",
            *FAST))
        _run(owner, programs / "pg_ctl", "start", "-D", data, "-w", "-t", "60",
             "-l", home / "server.log", "-o", options)
        try:
            yield Server(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
        finally:
            subprocess.run(_as_owner(owner, programs / "pg_ctl", "stop", "-D", data, "-m",
                                     "immediate", "-w"), capture_output=True, timeout=120)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def server() -> Iterator[Server]:
    """The server named by ``TTCS_TEST_POSTGRES_URL``, else a local throwaway cluster."""
    url = os.environ.get(ENV_URL)
    if not url:
        with local_cluster() as local:
            yield local
        return
    named = Server(url)
    try:
        named.connect().close()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise Unavailable(f"không kết nối được PostgreSQL ở {ENV_URL}: {first}") from None
    try:
        yield named
    finally:
        named.drop_databases()
