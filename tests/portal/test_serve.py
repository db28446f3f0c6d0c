"""``portal serve`` (what ``make run`` starts), as a new user meets it."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from portal.embedded_db import free_port

# Slow: each test starts `portal serve` as a child process.
pytestmark = pytest.mark.slow

PORTAL = str(Path(sys.executable).with_name("portal"))


class RunningPortal:
    def __init__(self, data_dir: Path, port: int):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(PORTAL_DATA_DIR=str(data_dir), PORTAL_PORT=str(port), PYTHONUNBUFFERED="1")
        self.base = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [PORTAL, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_serving(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"portal did not start:\n{self.output}")

    def stop(self, timeout=60) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout)
        self._reader.join(5)
        self.process.stdout.close()
        return code


def _log_in(base: str, username: str, password: str) -> str:
    """Log in like a browser; answer the home page's HTML."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login") as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token}
    ).encode()
    with opener.open(base + "/login", data=form) as response:
        return response.read().decode()


def test_first_start_prints_a_working_admin_password_and_a_restart_keeps_it(tmp_path):
    data_dir = tmp_path / "var"
    port = free_port()
    portal = RunningPortal(data_dir, port)
    try:
        portal.wait_until_serving()
        match = re.search(r"password\s+(\S+)\s", portal.output)
        assert match, portal.output
        password = match.group(1)
        secret_file = data_dir / "initial-admin-password"
        assert secret_file.read_text().strip() == password
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert "Administrator" in _log_in(portal.base, "admin", password)
        db_pid = json.loads((data_dir / "db" / "portal-db.json").read_text())["pid"]
    finally:
        code = portal.stop()
    assert code == 0, portal.output
    with pytest.raises(ProcessLookupError):
        os.kill(db_pid, 0)  # the database stopped with the portal

    again = RunningPortal(data_dir, port)
    try:
        again.wait_until_serving()
        assert "First start" not in again.output
        assert "Administrator" in _log_in(again.base, "admin", password)
    finally:
        assert again.stop() == 0, again.output
