"""A portal killed with -9 in the middle of a save: the other portal of the
deployment saves again within seconds, not after the server's 60-s
transaction lifetime (records.presence, portal.workers.presence)."""

from __future__ import annotations

import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pymongo
import pytest

from portal.database.embedded import free_port
from tests.search.test_nodes import Node

pytestmark = pytest.mark.slow

DB_NAME = "portal_presence_test"


class HoldingRelay:
    """A TCP relay between one portal and the database. Once ``arm()``-ed, it
    passes the portal's first write of the audit trail's head and then holds
    everything the portal sends: the portal stays inside that transaction,
    holding the head, until it is killed."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._armed = threading.Event()
        self.holding = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self):
        self._armed.set()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            threading.Thread(target=self._to_server, args=(client, server), daemon=True).start()
            threading.Thread(target=self._to_client, args=(server, client), daemon=True).start()

    @staticmethod
    def _exactly(sock, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _to_server(self, client, server):
        # Whole wire-protocol messages (their length comes first), so that
        # one can be recognised and the next one held.
        try:
            while True:
                header = self._exactly(client, 4)
                message = header + self._exactly(client, struct.unpack("<i", header)[0] - 4)
                if self.holding.is_set():
                    continue  # never delivered
                server.sendall(message)
                head = b"findAndModify" in message and b"audit_head" in message
                if head and self._armed.is_set():
                    self.holding.set()
        except OSError:
            pass

    def _to_client(self, server, client):
        try:
            while chunk := server.recv(65536):
                client.sendall(chunk)
        except OSError:
            pass

    def close(self):
        self.listener.close()
        for sock in self._sockets:
            sock.close()


class PresenceNode(Node):
    def __init__(self, data_dir, uri):
        super().__init__(data_dir, free_port(), uri)

    def start(self):
        # One deployment: the same keys on every node.
        self.env.update(
            PORTAL_MONGODB_DB=DB_NAME,
            PORTAL_SECRET_KEY="presence-secret",
            PORTAL_AUDIT_KEY="presence-audit-key",
        )
        super().start()


def _save_in_background(node, token, words, answers):
    def save():
        try:
            answers.append(node.save(token, words))
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            answers.append(error)

    thread = threading.Thread(target=save, daemon=True)
    thread.start()
    return thread


def _save(node, token, words) -> int:
    """The status of a save through ``node``, however long it takes."""
    request = node.save_request(token, words)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_portal_killed_inside_a_save_does_not_stall_the_other(database, tmp_path):
    with pymongo.MongoClient(database.uri) as client:
        client.drop_database(DB_NAME)
    address = urlsplit(database.uri)
    relay = HoldingRelay(address.hostname, address.port)
    through_relay = f"mongodb://127.0.0.1:{relay.port}/?directConnection=true"
    dying = PresenceNode(tmp_path / "dying", through_relay)
    other = PresenceNode(tmp_path / "other", database.uri)
    try:
        for node in (dying, other):
            node.wait_until_serving()
        made = other.cli(
            "user", "create", "wang", "--full-name", "王芳", "--role", "staff",
            "--password", "-", input="presence pass 1234\n",
        )  # fmt: skip
        assert made.returncode == 0, made.stdout + made.stderr
        issued = other.cli("token", "create", "wang", "--name", "presence")
        assert issued.returncode == 0, issued.stderr
        token = issued.stdout.strip().splitlines()[-1].strip()
        assert dying.save(token, "先存一条")["number"]

        relay.arm()
        answers: list = []
        _save_in_background(dying, token, "存到一半", answers)
        assert relay.holding.wait(30), "the save never reached the audit head"
        dying.kill()
        killed = time.monotonic()

        # Waited for as long as it takes (before: 30 s of retries, then 503).
        status = _save(other, token, "另一节点照常保存")
        took = time.monotonic() - killed
        print(f"the other portal answered {status} {took:.1f} s after the kill")
        assert (status, took < 10) == (201, True), f"{status} after {took:.1f} s"

        # The dead portal's half-made save left nothing behind, and the
        # audit trail goes on without a gap.
        with pymongo.MongoClient(database.uri) as client:
            db = client[DB_NAME]
            assert db.records.count_documents({"data.events": {"$regex": "存到一半"}}) == 0
            seqs = sorted(entry["seq"] for entry in db.audit.find({}, {"seq": 1}))
            assert seqs == list(range(1, len(seqs) + 1))
            assert db.processes.count_documents({"pid": dying.process.pid}) == 0
        verified = other.cli("audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        for node in (dying, other):
            if node.process.poll() is None:
                node.stop()
        relay.close()
