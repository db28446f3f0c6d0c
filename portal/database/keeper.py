"""The keeper of the embedded database: the one process that asks it to stop.

Run by path (``python -I -S keeper.py LOG GRACE COMMAND...``), never
imported: it needs the standard library only, so it starts in a few
milliseconds and stays small. The portal starts the keeper; the keeper
starts ``secantusd-py``, prints the server's process id and then waits on
its standard input, a pipe whose other end only the portal holds. When the
portal stops, or dies however it dies (kill -9 included), the pipe reaches
end-of-file and the keeper sends the server exactly one SIGTERM, waits for
its clean exit and kills it only after GRACE seconds.

Why a keeper rather than the server as the portal's own child with
PR_SET_PDEATHSIG: Linux sends the death signal each time the thread that
forked the child exits and the child is handed to another thread of the same
process, so a portal with a dozen threads killed at once asked the server to
stop a dozen times; SecantusDB's stop handler is not re-entrant and the
server sometimes hung for good, holding its port and storage lock. The
keeper is single-threaded, so the server's own death signal (kept for the
case the keeper itself is killed) fires once.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import time


def _die_with_keeper() -> None:  # runs in the server, before exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def main(argv: list[str]) -> int:
    log_path, grace, command = argv[1], float(argv[2]), argv[3:]
    stop_asked = False

    def ask_to_stop(signum, frame):
        nonlocal stop_asked
        stop_asked = True

    signal.signal(signal.SIGTERM, ask_to_stop)
    # Ctrl-C in the terminal goes to the portal, which stops in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with open(log_path, "ab") as out:
        server = subprocess.Popen(  # noqa: S603 - the portal's fixed argument list
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_keeper,  # noqa: PLW1509 - the keeper has no threads
        )
    sys.stdout.write(f"{server.pid}\n")
    sys.stdout.flush()
    while not stop_asked:
        code = server.poll()
        if code is not None:
            return 100 + (code if code >= 0 else -code)  # died by itself
        readable, _, _ = select.select([0], [], [], 0.5)
        if readable and not os.read(0, 64):
            break  # the portal stopped or is gone
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the one request to stop
        if not wait_for_exit(server, command, grace):
            server.kill()
            server.wait()
            return 2
    return 0


def wait_for_exit(server: subprocess.Popen, command: list[str], grace: float) -> bool:
    """Wait up to ``grace`` seconds for the server to exit, connecting to its
    port meanwhile: its accepting thread sits in accept() and only a new
    connection wakes it to see the stop (else every stop waited 2 s for it)."""
    address = (_option(command, "--host", "127.0.0.1"), int(_option(command, "--port", "0")))
    deadline = time.monotonic() + grace
    # A moment for the server to take the signal first; then one connection
    # now and then (a stream of them would keep its stop busy with handlers).
    pause = 0.1
    while time.monotonic() < deadline:
        try:
            server.wait(pause)
            return True
        except subprocess.TimeoutExpired:
            pass
        if address[1]:
            with contextlib.suppress(OSError), socket.create_connection(address, timeout=0.1):
                pass
        pause = 0.5
    return server.poll() is not None


def _option(command: list[str], name: str, default: str) -> str:
    return command[command.index(name) + 1] if name in command[:-1] else default


if __name__ == "__main__":
    sys.exit(main(sys.argv))
