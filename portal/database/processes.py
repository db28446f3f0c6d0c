"""The processes of the embedded database, as the process table shows them:
whether a process id is alive, and whether it is a SecantusDB server of a
given storage folder (not a process id reused by another program)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) holds nothing any more.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def command_line(pid: int) -> list[str]:
    """The arguments ``pid`` was started with; empty if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_our_server(pid: int, storage: Path) -> bool:
    """Whether ``pid`` is a live secantusd serving ``storage`` (not a reused pid)."""
    if not pid_alive(pid):
        return False
    args = command_line(pid)
    if not any("secantusd" in arg for arg in args):
        return False
    try:
        path = args[args.index("--storage-path") + 1]
    except (ValueError, IndexError):
        return False
    return Path(path).resolve() == storage.resolve()


def servers_on(storage: Path) -> list[int]:
    """Every live secantusd serving ``storage``, found in the process table."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError, ValueError):
                if is_our_server(int(entry.name), storage):
                    found.append(int(entry.name))
    return found


def parent(pid: int) -> int:
    """The parent process id of ``pid``; 0 if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def port_of(pid: int) -> str:
    """The ``--port`` a server was started with."""
    args = command_line(pid)
    try:
        return args[args.index("--port") + 1]
    except (ValueError, IndexError):
        return "?"


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``pid`` to end; whether it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)
