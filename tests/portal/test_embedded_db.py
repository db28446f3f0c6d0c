"""The embedded SecantusDB: a supervised child that starts, stops and keeps data."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pymongo
import pytest

from portal.database import processes
from portal.database.embedded import EmbeddedDatabase, EmbeddedDatabaseError, find_server_executable


def _gone(pid: int, within: float) -> bool:
    """Whether ``pid`` ended within ``within`` seconds (a zombie holds nothing)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # our own child is reaped here
        if not processes.pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def _eventually(condition, within: float = 10) -> bool:
    # The client may reach the new server a moment before the supervising
    # thread has read its process id.
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _stat(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read()
    except OSError as error:
        return str(error)


@pytest.mark.slow
def test_data_survives_a_restart_and_the_server_stops_with_us(tmp_path):
    with EmbeddedDatabase(tmp_path, attach=False) as server:
        pid = server.server_pid
        with pymongo.MongoClient(server.uri) as client:
            client.portal.notes.insert_one({"text": "顾客投诉"})
    assert _gone(pid, 1)
    assert not (tmp_path / "portal-db.json").exists()
    with (
        EmbeddedDatabase(tmp_path, attach=False) as server,
        pymongo.MongoClient(server.uri) as client,
    ):
        assert client.portal.notes.find_one()["text"] == "顾客投诉"


def test_a_taken_port_gives_a_clear_message(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(EmbeddedDatabaseError, match=f"port {port} .* already taken"):
            EmbeddedDatabase(tmp_path, port=port, attach=False).start()


def test_a_folder_owned_by_another_portal_is_refused_with_its_pid(database):
    # The session's server owns its storage; a second owner must not start.
    intruder = EmbeddedDatabase(database.storage_dir, attach=False)
    with pytest.raises(EmbeddedDatabaseError, match=f"in use by .*pid {os.getpid()}"):
        intruder.start()
    assert database.process.poll() is None  # the first one is unharmed
    assert database.running


def test_a_second_process_attaches_to_the_running_server(database):
    guest = EmbeddedDatabase(database.storage_dir)
    assert guest.start() == database.uri
    guest.stop()  # leaves the owner's server running
    assert database.process.poll() is None
    assert database.running


OWNER = """
import sys, threading, time
from portal.database.embedded import EmbeddedDatabase
server = EmbeddedDatabase(sys.argv[1], attach=False)
server.start()
# Threads like a serving portal's: each used to ask the server to stop again.
for _ in range(12):
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
print(server.server_pid, server.uri, flush=True)
time.sleep(3600)
"""


def test_a_killed_owner_leaves_no_server_behind_and_the_next_start_works(tmp_path):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    pid, uri = owner.stdout.readline().split()
    owner.stdout.close()
    with pymongo.MongoClient(uri) as client:
        client.portal.notes.insert_one({"text": "kept"})
    owner.kill()  # kill -9: no clean-up of its own
    owner.wait()
    assert _gone(int(pid), 30), "the orphaned database is still running"
    log = (tmp_path / "secantusd.log").read_text()
    assert "Traceback" not in log
    with (
        EmbeddedDatabase(tmp_path, attach=False) as server,
        pymongo.MongoClient(server.uri) as client,
    ):
        assert client.portal.notes.find_one()["text"] == "kept"


def _orphan(tmp_path) -> tuple[subprocess.Popen, int]:
    """A server as an older portal left it: no keeper, its pid in the run file."""
    port = _free()
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [
            find_server_executable(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(data),
            "--sync-on-commit",
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    deadline = time.monotonic() + 60
    while True:
        try:
            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=300) as client:
                client.portal.notes.insert_one({"text": "before"})
            break
        except pymongo.errors.PyMongoError:
            assert time.monotonic() < deadline
    (tmp_path / "portal-db.json").write_text(
        json.dumps({"pid": server.pid, "host": "127.0.0.1", "port": port})
    )
    return server, port


def _free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_left_behind_is_recognised_ended_and_replaced(tmp_path):
    orphan, port = _orphan(tmp_path)
    # Its port is taken, yet what the portal says is that it ended its own server.
    with EmbeddedDatabase(tmp_path, port=port, attach=False) as server:
        assert orphan.wait(5) is not None
        [notice] = server.notices
        assert f"left running by a previous portal (pid {orphan.pid}, port {port})" in notice
        assert "was stopped" in notice
        with pymongo.MongoClient(server.uri) as client:
            assert client.portal.notes.find_one()["text"] == "before"


def test_a_hung_server_left_behind_is_killed(tmp_path):
    orphan, port = _orphan(tmp_path)
    orphan.send_signal(signal.SIGSTOP)  # a server that no longer answers anything
    server = EmbeddedDatabase(tmp_path, attach=False)
    server.stop_grace = 1
    with server:
        assert orphan.wait(5) == -signal.SIGKILL
        assert "killed (it did not stop when asked)" in server.notices[0]
        with pymongo.MongoClient(server.uri) as client:
            assert client.portal.notes.find_one()["text"] == "before"


def test_a_process_id_reused_by_another_program_is_left_alone(tmp_path):
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "portal-db.json").write_text(
            json.dumps({"pid": stranger.pid, "host": "127.0.0.1", "port": 1})
        )
        with EmbeddedDatabase(tmp_path, attach=False) as server:
            assert server.running and not server.notices
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_a_supervised_server_that_dies_is_restarted_on_its_port(tmp_path):
    given_up = []
    server = EmbeddedDatabase(tmp_path, attach=False, supervise=True, on_give_up=given_up.append)
    server.max_restarts = 1
    with server, pymongo.MongoClient(server.uri, serverSelectionTimeoutMS=1000) as client:
        client.portal.notes.insert_one({"text": "before the crash"})
        first = server.server_pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.portal.notes.insert_one({"text": "after the crash"})
                break
            except pymongo.errors.ConnectionFailure:
                assert time.monotonic() < deadline, "no restart within 30 s"
        assert _eventually(lambda: server.server_pid != first)
        assert len(server.restarts) == 1
        assert "stopped unexpectedly" in server.notices[0]
        assert client.portal.notes.count_documents({}) == 2
        # Past the limit the owner is told, so that the portal can exit non-zero.
        os.kill(server.server_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not given_up and time.monotonic() < deadline:
            time.sleep(0.05)
        assert given_up and "stopped 2 times" in given_up[0]


def test_a_supervised_server_that_hangs_is_ended_and_restarted(tmp_path):
    server = EmbeddedDatabase(tmp_path, attach=False, supervise=True)
    server.hang_limit, server.check_every = 2, 0.3
    with (
        server,
        pymongo.MongoClient(
            server.uri, serverSelectionTimeoutMS=1000, socketTimeoutMS=1000
        ) as client,
    ):
        client.portal.notes.insert_one({"text": "before"})
        hung = server.server_pid
        os.kill(hung, signal.SIGSTOP)  # alive, holding its port, answering nothing
        deadline = time.monotonic() + 30
        while True:
            try:
                assert client.portal.notes.find_one()["text"] == "before"
                break
            except pymongo.errors.ConnectionFailure:
                assert time.monotonic() < deadline, "the hung server was not replaced"
        assert _gone(hung, 10), _stat(hung)
        assert _eventually(lambda: server.server_pid != hung)
        assert "has not answered for 2 s" in server.notices[0]
