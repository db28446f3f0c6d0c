"""The embedded database: SecantusDB's ``secantusd-py`` run as a supervised child.

The server is a separate process (never imported) so its GPL-2.0 licence stays
apart from the portal. It listens on a free loopback port and keeps its
storage under the data directory. The portal that starts it owns it: it holds
a lock on the storage folder for as long as it lives, and a keeper process
(:mod:`portal.database.keeper`) asks the server to stop exactly once when the owner
stops or dies. Other portal processes on the same folder (the CLI while
``portal serve`` runs) attach to the owner's server. A server left behind by
an owner that is gone is recognised (its process id, port and storage are in
``portal-db.json``) and ended before a new one starts. An owner started with
``supervise=True`` restarts the server on the same port when it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

from portal.database import processes

log = logging.getLogger(__name__)

RUNFILE = "portal-db.json"
LOCKFILE = "portal-db.lock"
LOGFILE = "secantusd.log"
KEEPER = Path(__file__).with_name("keeper.py")
# Seconds the server gets to stop cleanly after its one SIGTERM.
STOP_GRACE = 20.0
# A supervised server that answers no ping for HANG_LIMIT seconds (checked
# every CHECK_EVERY) is hung: it is killed and restarted like a dead one.
HANG_LIMIT = 60.0
CHECK_EVERY = 5.0
# At most this many restarts within RESTART_WINDOW seconds; then give up.
MAX_RESTARTS = 5
RESTART_WINDOW = 300.0


_INSTANCES: weakref.WeakSet = weakref.WeakSet()


def _after_fork_in_child() -> None:  # pragma: no cover - runs in forked children
    for instance in list(_INSTANCES):
        instance._forget_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)


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
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _accepts(host: str, port: int) -> bool:
    """Whether something listens on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.25):
            return True
    except OSError:
        return False


def _ping(uri: str, timeout_ms: int = 500) -> bool:
    client = pymongo.MongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms,
        connect=False,
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


class EmbeddedDatabase:
    """A SecantusDB server owned by this process (or one it attached to).

    With ``attach`` (the CLI), a server already run by another live portal
    process for the same storage is used and left running by ``stop``;
    without it (``portal serve``, tests) this process must be the owner and a
    folder in use is refused. ``notices`` collects the one-line messages an
    operator should see (an orphaned server ended, a restart).
    """

    def __init__(
        self,
        storage_dir: str | os.PathLike,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 60.0,
        attach: bool = True,
        supervise: bool = False,
        on_give_up: Callable[[str], None] | None = None,
    ):
        self.storage_dir = Path(storage_dir)
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.attach = attach
        self.supervise = supervise
        self.on_give_up = on_give_up
        self.stop_grace = STOP_GRACE
        self.max_restarts = MAX_RESTARTS
        self.hang_limit = HANG_LIMIT
        self.check_every = CHECK_EVERY
        self.process: subprocess.Popen | None = None  # the keeper
        self.server_pid: int | None = None
        self.owner = False
        self.notices: list[str] = []
        self.restarts: list[float] = []
        self._lock_fd: int | None = None
        self._pipe_fd: int | None = None  # our end of the keeper's lifeline
        self._stopping = threading.Event()
        self._guard = threading.RLock()
        self._watcher: threading.Thread | None = None
        _INSTANCES.add(self)

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    @property
    def runfile(self) -> Path:
        return self.storage_dir / RUNFILE

    @property
    def logfile(self) -> Path:
        return self.storage_dir / LOGFILE

    @property
    def data_path(self) -> Path:
        return self.storage_dir / "data"

    @property
    def running(self) -> bool:
        """Whether the server answers right now (owner or guest)."""
        return _ping(self.uri, timeout_ms=500)

    def __enter__(self) -> EmbeddedDatabase:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _notice(self, message: str) -> None:
        self.notices.append(message)
        log.warning("%s", message)

    def _forget_in_child(self) -> None:  # pragma: no cover - runs in forked children
        # A forked worker (multiprocessing) must not keep the keeper's
        # lifeline open after the portal dies, nor believe it owns the server.
        for fd in (self._pipe_fd, self._lock_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._pipe_fd = self._lock_fd = None
        self.owner = False
        self.process = None

    # --- start ----------------------------------------------------------------

    def start(self) -> str:
        """Start (or attach to) the server and answer its connection URI."""
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        if not self._take_lock():
            return self._attach_or_refuse()
        try:
            self._end_orphan()
            if self.port is None:
                self.port = free_port(self.host)
            elif not _port_is_free(self.host, self.port):
                raise EmbeddedDatabaseError(
                    f"Cannot start the embedded database: port {self.port} on {self.host} "
                    "is already taken by another program."
                )
            self._stopping.clear()
            self._spawn()
        except BaseException:
            self._close_pipe()
            self._release_lock()
            raise
        self.owner = True
        if self.supervise:
            self._watcher = threading.Thread(
                target=self._watch, name="embedded-db-watch", daemon=True
            )
            self._watcher.start()
        return self.uri

    def _take_lock(self) -> bool:
        fd = os.open(self.storage_dir / LOCKFILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _release_lock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read_runfile(self) -> dict:
        try:
            return json.loads(self.runfile.read_text())
        except (OSError, ValueError):
            return {}

    def _attach_or_refuse(self) -> str:
        """Another live portal owns this storage: use its server, or say so."""
        deadline = time.monotonic() + self.startup_timeout
        while True:
            info = self._read_runfile()
            owner = int(info.get("owner", 0) or 0)
            described = (
                f"{info.get('owner_command') or 'a portal process'} (pid {owner})"
                if owner
                else "another portal"
            )
            if not self.attach:
                raise EmbeddedDatabaseError(
                    f"The database folder {self.storage_dir} is in use by {described}: "
                    "stop it first, or give this portal its own PORTAL_DATA_DIR."
                )
            if info.get("port"):
                self.host, self.port = info.get("host", self.host), int(info["port"])
                if _ping(self.uri, timeout_ms=2000):
                    log.info("attached to the running embedded database at %s", self.uri)
                    return self.uri
            # The owner may be starting or restarting its server: wait for it.
            if time.monotonic() > deadline:
                raise EmbeddedDatabaseError(
                    f"The embedded database of {described} does not answer; see {self.logfile}."
                )
            time.sleep(0.2)

    def _end_orphan(self) -> None:
        """End servers left on our storage by an owner that is gone (we hold the lock).

        The run file names the last one; the process table finds one whose
        owner died before it could write the run file."""
        info = self._read_runfile()
        recorded = int(info.get("pid", 0) or 0)
        found = set(processes.servers_on(self.data_path))
        if recorded and processes.is_our_server(recorded, self.data_path):
            found.add(recorded)
        for pid in sorted(found):
            keeper = processes.parent(pid)
            if keeper > 1 and any(
                arg.endswith(("keeper.py", "db_keeper.py"))
                for arg in processes.command_line(keeper)
            ):
                # Its keeper already asked it to stop: give it the time it grants.
                processes.wait_for_exit(pid, self.stop_grace + 5)
            elif pid == recorded and info.get("keeper"):
                # Its keeper died too; the server's death signal asked it once.
                processes.wait_for_exit(pid, self.stop_grace)
            else:
                # A server of an older portal, never asked: ask it once.
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
                processes.wait_for_exit(pid, self.stop_grace)
            how = "stopped"
            if processes.pid_alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                processes.wait_for_exit(pid, 10)
                how = "killed (it did not stop when asked)"
            port = info.get("port") if pid == recorded else processes.port_of(pid)
            self._notice(
                f"The embedded database left running by a previous portal (pid {pid}, "
                f"port {port}) was {how}; starting a new one."
            )
        with contextlib.suppress(OSError):
            self.runfile.unlink()

    def _spawn(self) -> None:
        data = self.data_path
        data.mkdir(exist_ok=True)
        command = [
            find_server_executable(),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--storage-path",
            str(data),
            "--sync-on-commit",
            "--log-level",
            "WARNING",
        ]
        log.info("starting embedded database: %s", " ".join(command))
        lifeline_read, lifeline_write = os.pipe()
        try:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                [
                    sys.executable,
                    "-I",
                    "-S",
                    str(KEEPER),
                    str(self.logfile),
                    str(self.stop_grace),
                    *command,
                ],
                stdin=lifeline_read,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                # Own session: Ctrl-C reaches the portal only, which then stops
                # the database after the last request has finished.
                start_new_session=True,
            )
        finally:
            os.close(lifeline_read)
        self._pipe_fd = lifeline_write
        line = self.process.stdout.readline()
        self.process.stdout.close()
        try:
            self.server_pid = int(line)
        except ValueError:
            self._stop_keeper()
            raise EmbeddedDatabaseError(
                f"The embedded database could not be started; see {self.logfile}."
            ) from None
        # Written before the wait, so that a portal killed while its server
        # starts leaves the next one the means to recognise it.
        temp = self.runfile.with_suffix(".tmp")
        temp.write_text(
            json.dumps(
                {
                    "pid": self.server_pid,
                    "keeper": self.process.pid,
                    "owner": os.getpid(),
                    "owner_command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:2]),
                    "host": self.host,
                    "port": self.port,
                    "storage": str(data),
                }
            )
        )
        os.replace(temp, self.runfile)
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedDatabaseError(self._explain_failure())
            # A refused connection answers at once; a ping of a server not yet
            # listening waits out its whole server-selection timeout.
            if _accepts(self.host, self.port) and _ping(self.uri, timeout_ms=1000):
                return
            time.sleep(0.05)
        self._stop_keeper()
        raise EmbeddedDatabaseError(
            f"The embedded database did not answer within {self.startup_timeout:.0f} s; "
            f"see {self.logfile}."
        )

    def _explain_failure(self) -> str:
        tail = ""
        with contextlib.suppress(OSError):
            tail = self.logfile.read_text(errors="replace")[-4000:]
        if "already being managed by another process" in tail or "WiredTiger.lock" in tail:
            return (
                f"Cannot start the embedded database: its storage {self.data_path} is "
                "locked by another program. Stop it, or give this portal its own "
                "PORTAL_DATA_DIR."
            )
        if "Address already in use" in tail:
            return (
                f"Cannot start the embedded database: port {self.port} on {self.host} "
                "is already taken by another program."
            )
        last = tail.strip().splitlines()[-1] if tail.strip() else "no output"
        return f"The embedded database exited at start ({last}); see {self.logfile}."

    # --- supervision ------------------------------------------------------------

    def _watch(self) -> None:
        """Restart the server on its port when it dies while we still want it."""
        silent_since = None
        while not self._stopping.is_set():
            process = self.process
            if process is None:
                return
            try:
                code = process.wait(self.check_every)
            except subprocess.TimeoutExpired:
                if self._stopping.is_set() or _ping(self.uri, timeout_ms=2000):
                    silent_since = None
                    continue
                silent_since = silent_since or time.monotonic()
                if time.monotonic() - silent_since >= self.hang_limit:
                    self._end_hung_server()
                    silent_since = None
                continue
            with self._guard:
                if self._stopping.is_set():
                    return
                failure = f"keeper exit {code}"
                while True:
                    now = time.monotonic()
                    self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW]
                    if len(self.restarts) >= self.max_restarts:
                        self._give_up(
                            f"The embedded database stopped {self.max_restarts + 1} times "
                            f"within {RESTART_WINDOW / 60:.0f} minutes (last: {failure}); "
                            f"see {self.logfile}. The portal stops so that its supervisor "
                            "can act."
                        )
                        return
                    self.restarts.append(now)
                    self._notice(
                        f"The embedded database stopped unexpectedly ({failure}); restarting it."
                    )
                    self._close_pipe()
                    try:
                        self._spawn()
                    except EmbeddedDatabaseError as error:
                        # Died again while starting: one more restart, within the limit.
                        failure = str(error)
                        continue
                    break
                log.warning("embedded database restarted at %s", self.uri)

    def _end_hung_server(self) -> None:
        """Kill a server that stopped answering; its keeper then exits, and
        the watcher restarts it like one that died."""
        pid = self.server_pid
        self._notice(
            f"The embedded database (pid {pid}) has not answered for "
            f"{self.hang_limit:.0f} s; ending it."
        )
        if pid and processes.is_our_server(pid, self.data_path):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def _give_up(self, message: str) -> None:
        log.error("%s", message)
        self.notices.append(message)
        if self.on_give_up is not None:
            self.on_give_up(message)

    # --- stop -------------------------------------------------------------------

    def _close_pipe(self) -> None:
        fd, self._pipe_fd = self._pipe_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _stop_keeper(self, timeout: float | None = None) -> None:
        timeout = self.stop_grace + 10 if timeout is None else timeout
        process = self.process
        self._close_pipe()  # end-of-file: the keeper asks the server to stop once
        if process is None:
            return
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("embedded database did not stop in %.0f s; killing it", timeout)
            process.kill()
            process.wait()
            if self.server_pid and processes.is_our_server(self.server_pid, self.data_path):
                with contextlib.suppress(OSError):
                    os.kill(self.server_pid, signal.SIGKILL)

    def stop(self, timeout: float | None = None) -> None:
        """Stop the server if this process owns it; wait for a clean exit."""
        self._stopping.set()
        with self._guard:
            if not self.owner:
                return
            self.owner = False
            self._stop_keeper(timeout)
            self.process = None
            with contextlib.suppress(OSError):
                self.runfile.unlink()
            self._release_lock()
        watcher = self._watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(5)
