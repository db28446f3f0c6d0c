"""The embedded database: SecantusDB's ``secantusd-py`` run as a child process.

The server is a separate process (never imported) so its GPL-2.0 licence stays
apart from the portal. It listens on a free loopback port, keeps its storage
under the data directory and stops with the portal.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

RUNFILE = "portal-db.json"
LOGFILE = "secantusd.log"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database could not be started; the message says why."""


def find_server_executable() -> str:
    """The ``secantusd-py`` next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("secantusd-py")
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if not found:
        raise EmbeddedDatabaseError(
            "secantusd-py was not found: install the project (pip install -e .), "
            "or set PORTAL_MONGODB_URI to a MongoDB server."
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # Linux only: if the portal is killed outright, the database follows it
    # instead of being left running with its storage locked.
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ping(uri: str, timeout_ms: int = 500) -> bool:
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connect=False)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


class EmbeddedDatabase:
    """A SecantusDB server owned by this process (or one it attached to).

    If another portal process on this machine already runs the server for the
    same storage (``portal user create`` while ``make run`` is up), ``start``
    attaches to it instead of failing, and ``stop`` leaves it running.
    """

    def __init__(
        self,
        storage_dir: str | os.PathLike,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 60.0,
        attach: bool = True,
    ):
        self.storage_dir = Path(storage_dir)
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.attach = attach
        self.process: subprocess.Popen | None = None
        self.owner = False

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    @property
    def runfile(self) -> Path:
        return self.storage_dir / RUNFILE

    @property
    def logfile(self) -> Path:
        return self.storage_dir / LOGFILE

    def __enter__(self) -> EmbeddedDatabase:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> str:
        """Start (or attach to) the server and answer its connection URI."""
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        if self.attach and self._attach_to_running():
            return self.uri
        if self.port is None:
            self.port = free_port(self.host)
        elif not _port_is_free(self.host, self.port):
            raise EmbeddedDatabaseError(
                f"Cannot start the embedded database: port {self.port} on {self.host} "
                "is already taken by another program."
            )
        data = self.storage_dir / "data"
        data.mkdir(exist_ok=True)
        command = [
            find_server_executable(),
            "--host", self.host,
            "--port", str(self.port),
            "--storage-path", str(data),
            "--sync-on-commit",
            "--log-level", "WARNING",
        ]
        log.info("starting embedded database: %s", " ".join(command))
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Own process group: Ctrl-C reaches the portal only, which then
                # stops the database after the last request has finished.
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        self.owner = True
        self._wait_until_ready(data)
        self.runfile.write_text(
            json.dumps({"pid": self.process.pid, "host": self.host, "port": self.port})
        )
        return self.uri

    def _attach_to_running(self) -> bool:
        try:
            info = json.loads(self.runfile.read_text())
        except (OSError, ValueError):
            return False
        if not _pid_alive(int(info.get("pid", 0))):
            return False
        self.host, self.port = info["host"], int(info["port"])
        if _ping(self.uri, timeout_ms=2000):
            log.info("attached to the running embedded database at %s", self.uri)
            return True
        return False

    def _wait_until_ready(self, data: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedDatabaseError(self._explain_failure(data))
            if _ping(self.uri, timeout_ms=250):
                return
            time.sleep(0.1)
        self.stop()
        raise EmbeddedDatabaseError(
            f"The embedded database did not answer within {self.startup_timeout:.0f} s; "
            f"see {self.logfile}."
        )

    def _explain_failure(self, data: Path) -> str:
        tail = ""
        with contextlib.suppress(OSError):
            tail = self.logfile.read_text(errors="replace")[-4000:]
        if "already being managed by another process" in tail or "WiredTiger.lock" in tail:
            return (
                f"Cannot start the embedded database: its storage {data} is locked by "
                "another portal. Stop the other portal, or give this one its own "
                "PORTAL_DATA_DIR."
            )
        if "Address already in use" in tail:
            return (
                f"Cannot start the embedded database: port {self.port} on {self.host} "
                "is already taken by another program."
            )
        last = tail.strip().splitlines()[-1] if tail.strip() else "no output"
        return f"The embedded database exited at start ({last}); see {self.logfile}."

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server if this process started it; wait for a clean exit."""
        process, self.process = self.process, None
        if not self.owner or process is None:
            return
        self.owner = False
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded database did not stop in %.0f s; killing it", timeout)
                process.kill()
                process.wait()
        with contextlib.suppress(OSError):
            self.runfile.unlink()
