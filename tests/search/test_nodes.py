"""Two portal processes on one database, each with its own index folder:
what is saved through either is found through both."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pymongo
import pytest

from portal.database.embedded import free_port
from tests.helpers import child_env
from tests.portal.test_serve import PORTAL, check_matches_soon, user_with_token

DB_NAME = "portal_nodes_test"


class Node:
    """``portal serve`` with its own data and index folder, on the shared database."""

    def __init__(self, data_dir, port, uri):
        self.env = child_env()
        self.env.update(
            PORTAL_DATA_DIR=str(data_dir),
            PORTAL_PORT=str(port),
            PORTAL_MONGODB_URI=uri,
            PORTAL_MONGODB_DB=DB_NAME,
            PYTHONUNBUFFERED="1",
        )
        self.base = f"http://127.0.0.1:{port}"
        self.start()

    def start(self):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [PORTAL, "serve"],
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_until_serving(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "".join(self.lines)
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)
        raise AssertionError("portal did not start:\n" + "".join(self.lines))

    def cli(self, *args, input=None):
        return subprocess.run(
            [PORTAL, *args], env=self.env, input=input, text=True, capture_output=True, timeout=120
        )

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(5)
        self.process.stdout.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)
        self._reader.join(5)
        self.process.stdout.close()

    def save_request(self, token, words) -> urllib.request.Request:
        """The API request saving a handover log whose events hold ``words``."""
        body = json.dumps(
            {
                "data": {
                    "title": "节点",
                    "shift_date": "2026-11-20",
                    "shift": "night",
                    "handed_over_by": "王芳",
                    "events": f"客户反映{words}。",
                }
            }
        ).encode()
        return urllib.request.Request(
            self.base + "/api/v1/records/handover_log",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )

    def save(self, token, words):
        with urllib.request.urlopen(self.save_request(token, words), timeout=10) as response:
            return json.loads(response.read())

    def found(self, token, words) -> int:
        request = urllib.request.Request(
            self.base + "/api/v1/search?" + urllib.parse.urlencode({"q": words}),
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["total"]


def _within(seconds, condition) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.mark.slow
def test_two_portals_with_their_own_indexes_find_what_either_saved(database, tmp_path):
    with pymongo.MongoClient(database.uri) as client:
        client.drop_database(DB_NAME)
    nodes = [Node(tmp_path / name, free_port(), database.uri) for name in ("a", "b")]
    try:
        for node in nodes:
            node.wait_until_serving()
        token = user_with_token(nodes[0].cli, "wang", "王芳", "staff", "node pass 1234")

        for n, (saving, other) in enumerate([(nodes[0], nodes[1]), (nodes[1], nodes[0])]):
            words = f"节点标记{n}号"
            saving.save(token, words)
            for node in (saving, other):
                _within(2, lambda node=node, words=words: node.found(token, words) == 1)

        # Saves through both while the first is killed without any shutdown.
        saved = []
        stop = threading.Event()

        def burst(node, prefix):
            n = 0
            while not stop.is_set():
                try:
                    node.save(token, f"{prefix}{n}")
                    saved.append(prefix)
                except (urllib.error.URLError, ConnectionError, OSError):
                    if node is nodes[0]:
                        return
                n += 1

        threads = [
            threading.Thread(target=burst, args=(node, prefix))
            for node, prefix in ((nodes[0], "甲"), (nodes[1], "乙"))
        ]
        for thread in threads:
            thread.start()
        _within(60, lambda: len(saved) >= 20)
        nodes[0].kill()
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(30)
        nodes[0].start()
        nodes[0].wait_until_serving()
        for node in nodes:
            check_matches_soon(node.cli)
    finally:
        for node in nodes:
            node.stop()
