"""The PostgreSQL server the tests use: the one YUANJIAO_TEST_PG_URL names, else the one at
127.0.0.1:5432 (database "test", trust auth) if it lets them in, else a throwaway cluster of
their own: initdb in a temporary directory, trust auth, a free loopback port, the socket in
that directory, stopped and deleted at the end (as pytest-postgresql and testing.postgresql
do). ``YUANJIAO_TEST_PG_URL=throwaway`` asks for the throwaway cluster whatever else runs.

PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres`` user that
Debian's package makes (else ``nobody``).
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
THROWAWAY = "throwaway"

# What to do, in commands that work on Debian 12 (as root; ./scripts/test runs the first).
INSTALL = "apt-get install postgresql"
OTHER_SERVER = ("point YUANJIAO_TEST_PG_URL at a server that lets them in (a password goes "
                "in the URL: postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB)")
HOWTO_URL = ("Fix that server or its URL, or set YUANJIAO_TEST_PG_URL=throwaway (or unset it) "
             f"for a throwaway server of the tests' own, which needs `{INSTALL}`.")
HOWTO_INSTALL = (f"To run them: `{INSTALL}` (./scripts/test does it), and the tests start a "
                 f"throwaway server of their own; or {OTHER_SERVER}.")
HOWTO_BROKEN = f"To run them anyway, {OTHER_SERVER}."


@dataclass(frozen=True)
class Problem:
    kind: str  # "unreachable", "auth", "no-database", "other"
    detail: str  # the driver's first line

    def describe(self, url: str) -> str:
        what = {
            "unreachable": "no PostgreSQL answers at {url}",
            "auth": "PostgreSQL at {url} answers but refused the login",
            "no-database": "PostgreSQL at {url} answers but has no such database",
            "other": "PostgreSQL at {url} cannot be used",
        }[self.kind]
        return f"{what.format(url=url)}: {self.detail}"


def probe(url: str) -> Problem | None:
    """None when ``SELECT 1`` works at ``url``, else what went wrong."""
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        # psycopg gives no SQLSTATE for a failed connection: read its message, whose useful
        # part follows the address ("... port 5432 failed: FATAL:  role ... does not exist").
        first = (str(exc.orig or exc).strip().splitlines() or [type(exc).__name__])[0]
        detail = first.rsplit(" failed: ", 1)[-1].removeprefix("FATAL:").strip()
        lowered = detail.lower()
        if any(sign in lowered for sign in ("password", "authentication", "pg_hba.conf",
                                            "role ")):
            kind = "auth"
        elif "database" in lowered and "does not exist" in lowered:
            kind = "no-database"
        elif any(sign in lowered for sign in ("refused", "resolve host", "timeout",
                                              "no such file", "unreachable", "no route")):
            kind = "unreachable"
        else:
            kind = "other"
        return Problem(kind, detail)
    finally:
        engine.dispose()
    return None


def find_bindir() -> Path | None:
    """The newest PostgreSQL server programs: Debian keeps them off PATH."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if not candidates:
        return None
    return max(candidates, key=lambda bindir: int(bindir.parent.name)
               if bindir.parent.name.isdigit() else 0)


class ThrowawayError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # Runs in the child after it changed user: if pytest is killed outright, the
    # postmaster gets SIGINT (fast shutdown) rather than outliving it.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG


@contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[str]:
    """A fresh cluster: yields its URL (database "test"); stops and deletes it at the end."""
    as_user: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                as_user = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        if as_user is None:
            raise ThrowawayError("running as root and no 'postgres' or 'nobody' user to run "
                                 "PostgreSQL as")
    root = Path(tempfile.mkdtemp(prefix="yuanjiao-pg-"))
    # As root: that user, its group, no supplementary groups; else as we are.
    uid: int | None = None
    gid: int | None = None
    groups: list[int] | None = None
    if as_user is not None:
        os.chown(root, as_user.pw_uid, as_user.pw_gid)
        uid, gid, groups = as_user.pw_uid, as_user.pw_gid, []
    data, log = root / "data", root / "server.log"
    env = os.environ | {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    server: subprocess.Popen[bytes] | None = None
    try:
        made = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            capture_output=True, text=True, env=env, cwd=root, user=uid, group=gid,
            extra_groups=groups)
        if made.returncode != 0:
            raise ThrowawayError(f"initdb failed: {made.stderr.strip() or made.stdout.strip()}")
        port = _free_port()
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={root}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off"],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root,
                preexec_fn=_die_with_parent, user=uid, group=gid, extra_groups=groups)
        admin = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 60
        while (problem := probe(admin)) is not None:
            if server.poll() is not None or time.monotonic() > deadline:
                raise ThrowawayError(f"the throwaway server did not start ({problem.detail}); "
                                     f"its log: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE test"))
        engine.dispose()
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(root, ignore_errors=True)
