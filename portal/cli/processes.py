"""`portal serve --workers N`: N web processes on one listening socket.

The parent (``portal serve``) binds the port, keeps the embedded database,
runs the background work and starts N children (``python -m portal.cli
web-process``), each a waitress server accepting on the inherited socket;
the kernel hands each new connection to one of them. Python threads share
one GIL, so processes are what uses more than one core.

Why not gunicorn's fork of a loaded app: the parent holds a MongoDB client,
threads and the embedded database's keeper, none of which survives a fork;
each child starts clean, builds its app and attaches to the parent's
database (``EMBEDDED_DB_ATTACH``), as any other `portal` command does.

A child that dies is started again (at most :data:`MAX_RESTARTS` times within
:data:`RESTART_WINDOW` seconds, then the portal stops with an error), and a
transaction it was in the middle of is ended at once (:mod:`records.presence`
through the parent's presence thread, woken). Each
child holds a pipe to the parent on its standard input: when the parent
dies, even by kill -9, the pipe ends and the child stops, so no web process
outlives its portal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import click

MAX_RESTARTS = 10
RESTART_WINDOW = 300.0
#: Seconds a child gets to finish its requests after being asked to stop.
STOP_GRACE = 20.0


class WebProcesses:
    """The children serving ``sock``, kept at ``count``."""

    def __init__(
        self,
        sock: socket.socket,
        threads: int,
        count: int,
        on_exit: Callable[[int], None] | None = None,
    ):
        self.sock = sock
        self.threads = threads
        self.count = count
        # Told the pid of each child that stopped: a child killed inside a
        # transaction leaves it open until someone ends its sessions.
        self.on_exit = on_exit
        self.children: list[subprocess.Popen] = []
        self.restarts: list[float] = []

    def _spawn(self) -> subprocess.Popen:
        fd = self.sock.fileno()
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "portal.cli",
                "web-process",
                "--fd",
                str(fd),
                "--threads",
                str(self.threads),
            ],
            pass_fds=(fd,),
            stdin=subprocess.PIPE,
        )

    def start(self) -> None:
        self.children = [self._spawn() for _ in range(self.count)]

    def watch(self) -> None:
        """Replace children that died, until interrupted; ClickException past
        the restart limit."""
        while True:
            time.sleep(0.5)
            for n, child in enumerate(self.children):
                code = child.poll()
                if code is None:
                    continue
                if self.on_exit is not None:
                    self.on_exit(child.pid)
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW]
                if len(self.restarts) >= MAX_RESTARTS:
                    raise click.ClickException(
                        f"Web processes stopped {MAX_RESTARTS} times within "
                        f"{RESTART_WINDOW / 60:g} minutes (the last with code {code}); "
                        "see the messages above."
                    )
                self.restarts.append(now)
                click.echo(f"Web process {child.pid} stopped (code {code}); starting another.")
                self.children[n] = self._spawn()

    def stop(self) -> None:
        """Ask every child to finish (its pipe closes, then SIGTERM) and wait."""
        for child in self.children:
            with contextlib.suppress(OSError):
                child.stdin.close()
            with contextlib.suppress(OSError):
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in self.children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def serve_processes(
    host: str,
    port: int,
    threads: int,
    count: int,
    announce: Callable[[str], None],
    on_exit: Callable[[int], None] | None = None,
) -> None:
    """Serve with ``count`` web processes until Ctrl-C or SIGTERM;
    ``on_exit(pid)`` when one of them stops."""
    sock = socket.create_server((host, port), backlog=1024)
    sock.set_inheritable(True)
    processes = WebProcesses(sock, threads, count, on_exit)
    try:
        processes.start()
        announce(
            f"Portal: http://{host}:{port}/  ({count} web processes of {threads} threads; "
            "Ctrl-C stops it)"
        )
        processes.watch()
    finally:
        processes.stop()
        sock.close()


def _stop_when_parent_goes() -> None:
    """Stop this process when standard input (the parent's pipe) ends."""
    try:
        while os.read(0, 64):
            pass
    except OSError:
        pass
    # A signal, not interrupt_main(): it also wakes waitress from its select().
    os.kill(os.getpid(), signal.SIGTERM)


def run_web_process(fd: int, threads: int) -> None:
    """The body of one web process: serve the inherited socket until told to stop."""
    from waitress import serve as waitress_serve

    from portal.cli import portal_app

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    # Ctrl-C in the terminal reaches the whole group: the parent stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_stop_when_parent_goes, name="parent-watch", daemon=True).start()
    sock = socket.socket(fileno=fd)
    try:
        # Attached to the parent's embedded database (or the MongoDB URI);
        # no background work here: the parent runs it once for all.
        with portal_app(indexer=None, EMBEDDED_DB_ATTACH=True, WORKERS_IN_PARENT=True) as app:
            waitress_serve(app, sockets=[sock], threads=threads, ident="portal", _quiet=True)
    except KeyboardInterrupt:
        pass
