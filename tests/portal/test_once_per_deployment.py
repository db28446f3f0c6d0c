"""Two `portal serve` processes on one database, each with its own index
folder: escalation and e-mail happen once, also when the node doing them is
killed with -9 in the middle of a round (its lease expires, the other node
takes over; no message is sent twice and none is lost)."""

from __future__ import annotations

import email
import json
import signal
import threading
import time
import urllib.request
from datetime import timedelta

import pymongo
import pytest
from aiosmtpd.controller import Controller

from portal.database.embedded import free_port
from records.clock import local_now
from records.notifications import _params, _queue
from tests.search.test_nodes import Node

pytestmark = pytest.mark.slow

DB_NAME = "portal_once_test"
COMPLAINTS = 16
MESSAGES = COMPLAINTS
#: The message during which the SMTP server kills the sending node.
KILL_AT = 10


class Inbox:
    """An SMTP server's mailbox that can kill the node sending to it while
    the message is still being transferred (before the server accepted it)."""

    def __init__(self):
        self.message_ids: list[str] = []
        self.kill = None  # called once, with the message count so far
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.kill is not None and len(self.message_ids) + 1 == KILL_AT:
                kill, self.kill = self.kill, None
                # The sender dies before hearing "250": the message was not
                # accepted, and must come again from the other node.
                kill()
                return "451 4.3.0 sender gone"
            message = email.message_from_bytes(envelope.content)
            self.message_ids.append(message["Message-ID"])
        return "250 OK"


class OnceNode(Node):
    """A node of the deployment under test: its own data and index folder,
    the shared database, short rounds."""

    def __init__(self, data_dir, uri, smtp_port):
        self.settings = {
            "PORTAL_MONGODB_DB": DB_NAME,
            # One deployment: the same keys on every node.
            "PORTAL_SECRET_KEY": "once-secret",
            "PORTAL_AUDIT_KEY": "once-audit-key",
            # Short rounds, so a lease (three rounds, at least 3 s) expires fast.
            "PORTAL_DEADLINE_CHECK_MINUTES": "0.02",
            "PORTAL_MAIL_SEND_SECONDS": "0.5",
            "PORTAL_MAIL_CLAIM_SECONDS": "4",
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(smtp_port),
            "PORTAL_SMTP_TIMEOUT": "2",
        }
        super().__init__(data_dir, free_port(), uri)

    def start(self):
        self.env.update(self.settings)
        super().start()


def _holder_pid(db, lease: str) -> int | None:
    doc = db.leases.find_one({"_id": lease})
    return int(doc["holder"].rsplit(":", 1)[1]) if doc else None


T0 = time.monotonic()


def mark(what):
    print(f"{time.monotonic() - T0:6.1f} s {what}", flush=True)


def _within(seconds, condition, what, nodes=()):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join("".join(node.lines[-40:]) for node in nodes)
            raise AssertionError(f"not within {seconds} s: {what}\n{logs}")
        time.sleep(0.05)


def _api_post(node, token, path, body):
    request = urllib.request.Request(
        node.base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_escalation_and_mail_run_once_across_two_nodes_and_survive_a_kill_9(database, tmp_path):
    client = pymongo.MongoClient(database.uri)
    client.drop_database(DB_NAME)
    db = client[DB_NAME]
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    nodes = [OnceNode(tmp_path / name, database.uri, smtp.port) for name in ("a", "b")]
    try:
        # The users are made while the nodes start (each command builds an
        # app of its own: seconds on a busy machine).
        made = {}
        # Their own data folder: a second process creating a node's search
        # index while the node creates it would race it.
        cli = OnceNode.__new__(OnceNode)
        cli.env = {**nodes[0].env, "PORTAL_DATA_DIR": str(tmp_path / "cli")}

        def make(username, role):
            made[username] = cli.cli(
                "user", "create", username, "--full-name", username.title(), "--role", role,
                "--email", f"{username}@example.org", "--password", "-",
                input="once pass 1234\n",
            )  # fmt: skip

        makers = [
            threading.Thread(target=make, args=user)
            for user in (("chen", "controller"), ("li", "staff"))
        ]
        for maker in makers:
            maker.start()
        for node in nodes:
            node.wait_until_serving()
        for maker in makers:
            maker.join(120)
        for result in made.values():
            assert result.returncode == 0, result.stdout + result.stderr
        mark("serving, users made")
        issued = cli.cli("token", "create", "chen", "--name", "once")
        token = issued.stdout.strip().splitlines()[-1].strip()
        received = (local_now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
        numbers = [
            _api_post(
                nodes[n % 2],
                token,
                "/api/v1/records/complaint_sheet",
                {
                    "data": {
                        "title": f"暖气不热 {n}",
                        "received_at": received,
                        "channel": "hotline",
                        "customer": "华源小区",
                        "description": "暖气连续三天不热。",
                    }
                },
            )["number"]
            for n in range(COMPLAINTS)
        ]

        mark("complaints")
        # --- e-mail: queued at once, the sender killed mid-round ------------
        by_pid = {node.process.pid: node for node in nodes}
        killed = []

        def kill_sender():
            node = by_pid[_holder_pid(db, "mail")]
            node.process.send_signal(signal.SIGKILL)
            node.process.wait(10)
            killed.append(node)

        inbox.kill = kill_sender
        people = list(db.users.find({"username": "li"}))
        # Queued the way a change queues them (records.notifications), all in
        # one moment, so that one round sends them one after the other.
        for number in numbers:
            doc = db.records.find_one({"number": number})
            _queue(db, None, "dispatched", people, doc, _params(doc), f"once:{number}")
        _within(
            40,
            lambda: db.mail_outbox.count_documents({"status": "sent"}) == MESSAGES,
            "every message sent",
            nodes,
        )
        assert killed, "the sender was not killed mid-round"
        time.sleep(1)  # a second sending of anything would arrive by now
        assert len(inbox.message_ids) == MESSAGES
        assert len(set(inbox.message_ids)) == MESSAGES, "a message was sent twice"
        survivor = next(node for node in nodes if node is not killed[0])
        assert _holder_pid(db, "mail") == survivor.process.pid

        mark("mail done")
        # --- escalation: all complaints age at once, the escalating node is
        # killed mid-round ----------------------------------------------------
        killed[0].stop()
        killed[0].start()
        killed[0].wait_until_serving()
        mark("restarted")
        by_pid = {node.process.pid: node for node in nodes}
        aged = (local_now() - timedelta(days=40)).replace(microsecond=0).isoformat()
        db.records.update_many({"number": {"$in": numbers}}, {"$set": {"data.received_at": aged}})
        _within(
            20, lambda: db.audit.count_documents({"action": "escalate"}) > 0, "a first escalation"
        )
        holder = by_pid[_holder_pid(db, "deadlines")]
        holder.process.send_signal(signal.SIGKILL)
        holder.process.wait(10)
        mark("killed")
        at_kill = db.audit.count_documents({"action": "escalate"})
        assert 0 < at_kill < COMPLAINTS, f"killed after {at_kill} escalations: not mid-round"
        # The node may die inside a transaction, holding the audit head that
        # every escalation writes: the other node sees its pid gone and ends
        # its sessions within a second (records.presence), instead of the
        # server's 60-s transaction lifetime. What is left is the lease (3.6 s
        # here) and the rounds.
        _within(
            20,
            lambda: (
                db.records.count_documents({"number": {"$in": numbers}, "data.severity": "major"})
                == COMPLAINTS
            ),
            "every complaint escalated",
            nodes,
        )
        mark("escalated")
        time.sleep(2)  # a round repeating the work would have written by now
        for number in numbers:
            versions = db.record_versions.count_documents(
                {"number": number, "operation": "escalate"}
            )
            entries = db.audit.count_documents({"number": number, "action": "escalate"})
            assert (versions, entries) == (1, 1), number
        other = next(node for node in nodes if node is not holder)
        assert _holder_pid(db, "deadlines") == other.process.pid
        assert len(set(inbox.message_ids)) == len(inbox.message_ids) == MESSAGES
    finally:
        for node in nodes:
            node.stop()
        smtp.stop()
        client.close()
