"""The embedded SecantusDB: a child process that starts, stops and keeps data."""

from __future__ import annotations

import os
import socket

import pymongo
import pytest

from portal.embedded_db import EmbeddedDatabase, EmbeddedDatabaseError


@pytest.mark.slow
def test_data_survives_a_restart_and_the_server_stops_with_us(tmp_path):
    with EmbeddedDatabase(tmp_path, attach=False) as server:
        pid = server.process.pid
        with pymongo.MongoClient(server.uri) as client:
            client.portal.notes.insert_one({"text": "顾客投诉"})
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
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


def test_storage_locked_by_another_portal_gives_a_clear_message(database):
    # The session's server holds its storage; a second server on it must not start.
    intruder = EmbeddedDatabase(database.storage_dir, attach=False)
    with pytest.raises(EmbeddedDatabaseError, match="locked by another portal"):
        intruder.start()
    assert database.process.poll() is None  # the first one is unharmed


def test_a_second_process_attaches_to_the_running_server(database):
    guest = EmbeddedDatabase(database.storage_dir)
    assert guest.start() == database.uri
    guest.stop()  # leaves the owner's server running
    assert database.process.poll() is None
