"""Killing the portal during a burst of saves loses nothing from search."""

from __future__ import annotations

import functools
import json
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest

from portal.database.embedded import free_port
from tests.portal.test_serve import RunningPortal, check_matches_soon, run_cli, user_with_token

# Slow: a portal is started, killed and started again.
pytestmark = pytest.mark.slow

EVENTS = "客户反映空调外机噪音很大，夜间影响休息。"


def _save(base, token, n):
    body = json.dumps(
        {
            "data": {
                "title": f"第{n}条",
                "shift_date": "2026-11-20",
                "shift": "night",
                "handed_over_by": "王芳",
                "events": f"{EVENTS} 编号{n}",
            }
        }
    ).encode()
    request = urllib.request.Request(
        base + "/api/v1/records/handover_log",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_kill_during_a_burst_of_saves_then_restart_and_check(tmp_path):
    data_dir = tmp_path / "var"
    port = free_port()
    portal = RunningPortal(data_dir, port)
    saved = []
    try:
        portal.wait_until_serving()
        token = user_with_token(
            functools.partial(run_cli, data_dir), "wang", "王芳", "staff", "burst pass 1234"
        )
        stop = threading.Event()

        def burst():
            n = 0
            while not stop.is_set():
                try:
                    if _save(portal.base, token, n) == 201:
                        saved.append(n)
                except (urllib.error.URLError, ConnectionError, OSError):
                    return
                n += 1

        threads = [threading.Thread(target=burst) for _ in range(3)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(saved) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        portal.process.send_signal(signal.SIGKILL)  # no clean shutdown at all
        portal.process.wait(30)
        portal._reader.join(5)
        portal.process.stdout.close()
        stop.set()
        for thread in threads:
            thread.join(30)
    finally:
        if portal.process.poll() is None:
            portal.stop()
    assert len(saved) >= 30
    time.sleep(2)  # the database child notices its parent died and stops

    again = RunningPortal(data_dir, port)
    try:
        again.wait_until_serving()
        check_matches_soon(functools.partial(run_cli, data_dir))
    finally:
        assert again.stop() == 0, again.output
