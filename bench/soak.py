"""Soak: mixed load on a real ``portal serve`` for minutes, with its memory.

Starts ``portal serve`` on a fresh data folder (its own embedded database),
creates a controller and an API token with the CLI (which attaches to the
running portal's database), then runs ``--clients`` threads for
``--minutes``, each picking at random: a page view (home with its
dashboard, tasks, the complaint register), a creation, a transition (hand
over a shift log), a search. Every
``--interval`` seconds it prints the throughput and p50/p95 per kind since
the last line, and the resident memory of the portal and of its database
child; at the end the totals.

    .venv/bin/python bench/soak.py [--minutes 30] [--clients 4] [--interval 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.database.embedded import free_port  # noqa: E402

PORTAL = str(Path(sys.executable).with_name("portal"))
PASSWORD = "soak password 123"  # noqa: S105 - a throwaway user of a throwaway folder
MIX = (
    ("home", 14),
    ("tasks", 13),
    ("register", 13),
    ("create", 25),
    ("transition", 15),
    ("search", 20),
)
PAGES = {"home": "/", "tasks": "/tasks", "register": "/register"}
WORDS = ("漏水", "供暖", "交接", "阀门", "维修", "夜班", "night", "巡检")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb(pid: int | None) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, TypeError):
        pass
    return float("nan")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.interval: dict[str, list[float]] = defaultdict(list)
        self.total: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[int, int] = defaultdict(int)

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.interval[kind].append(seconds)
            self.total[kind].append(seconds)
            self.statuses[status] += 1
            if status >= 400:
                self.errors[kind] += 1

    def take_interval(self) -> dict[str, list[float]]:
        with self.lock:
            taken, self.interval = self.interval, defaultdict(list)
            return taken


def summary(samples: dict[str, list[float]], seconds: float) -> str:
    count = sum(len(v) for v in samples.values())
    parts = [f"{count / seconds:5.1f} req/s"]
    for kind, _weight in MIX:
        values = [s * 1000 for s in samples.get(kind, [])]
        if values:
            parts.append(
                f"{kind} p50 {percentile(values, 0.5):5.0f} p95 {percentile(values, 0.95):5.0f} ms"
            )
    return " | ".join(parts)


class Client:
    """One user: a browser session for pages, a token for the API."""

    def __init__(self, port: int, token: str, seed: int):
        self.port = port
        self.token = token
        self.random = random.Random(seed)
        self.cookie = ""
        self.open_records: list[str] = []
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, body=None, headers=None, api=False):
        headers = dict(headers or {})
        if api:
            headers["Authorization"] = f"Bearer {self.token}"
            headers["Accept"] = "application/json"
        elif self.cookie:
            headers["Cookie"] = self.cookie
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    return 599, b""
        cookie = response.getheader("Set-Cookie")
        if cookie and not api:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data

    def log_in(self, username: str) -> None:
        _status, page = self.request("GET", "/login")
        token = CSRF.search(page.decode()).group(1)
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrf_token": token}
        )
        status, _ = self.request(
            "POST",
            "/login",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status in (302, 303), f"log-in failed: {status}"

    def one(self, kind: str) -> int:
        if kind in PAGES:
            return self.request("GET", PAGES[kind])[0]
        if kind == "search":
            query = urllib.parse.quote(self.random.choice(WORDS))
            return self.request("GET", f"/api/v1/search?q={query}", api=True)[0]
        if kind == "transition" and self.open_records:
            number = self.open_records.pop(self.random.randrange(len(self.open_records)))
            body = json.dumps({"comment": "soak"})
            return self.request(
                "POST",
                f"/api/v1/records/{number}/transitions/hand_over",
                body=body,
                headers={"Content-Type": "application/json"},
                api=True,
            )[0]
        body = json.dumps(
            {
                "data": {
                    "title": f"交接 {self.random.randrange(10**6)}",
                    "shift_date": "2026-11-20",
                    "shift": self.random.choice(("day", "middle", "night")),
                    "handed_over_by": "王芳",
                    "taken_over_by": "李明",
                    "events": "3号楼供暖管道漏水，已关阀，通知维修队。" * self.random.randint(1, 8),
                }
            }
        )
        status, data = self.request(
            "POST",
            "/api/v1/records/handover_log",
            body=body,
            headers={"Content-Type": "application/json"},
            api=True,
        )
        if status == 201:
            self.open_records.append(json.loads(data)["number"])
        return status


def client_threads(port, token, user, clients, stop_at, stats) -> list[threading.Thread]:
    """``clients`` threads (not started), each logged in as ``user`` and
    sending the weighted mix until ``stop_at``, timing into ``stats``."""
    kinds = [kind for kind, weight in MIX for _ in range(weight)]

    def work(seed):
        client = Client(port, token, seed)
        client.log_in(user)
        while time.monotonic() < stop_at:
            kind = client.random.choice(kinds)
            started = time.perf_counter()
            status = client.one(kind)
            stats.add(kind, time.perf_counter() - started, status)

    return [threading.Thread(target=work, args=(seed,), daemon=True) for seed in range(clients)]


def run_cli(env, *args, stdin=None) -> str:
    result = subprocess.run(  # noqa: S603 - our own command
        [PORTAL, *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--interval", type=float, default=60)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "var"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(
            PORTAL_DATA_DIR=str(data_dir),
            PORTAL_PORT=str(port),
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        log = open(Path(scratch) / "portal.log", "w")  # noqa: SIM115 - lives as long as the run
        portal = subprocess.Popen(  # noqa: S603 - our own portal command
            [PORTAL, "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            probe = Client(port, "", 0)
            while probe.request("GET", "/healthz")[0] != 200:
                if portal.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"portal did not start: {(Path(scratch) / 'portal.log').read_text()}")
                time.sleep(0.3)
            run_cli(
                env,
                "user",
                "create",
                "soak",
                "--full-name",
                "压测",
                "--role",
                "controller",
                "--password",
                "-",
                stdin=PASSWORD + "\n",
            )
            token = run_cli(env, "token", "create", "soak", "--name", "soak").split()[0]

            def db_pid():
                try:
                    return json.loads((data_dir / "db" / "portal-db.json").read_text())["pid"]
                except (OSError, ValueError, KeyError):
                    return None

            stats = Stats()
            stop_at = time.monotonic() + args.minutes * 60
            threads = client_threads(port, token, "soak", args.clients, stop_at, stats)
            print(
                f"soak: {args.clients} clients for {args.minutes:g} min against "
                f"http://127.0.0.1:{port}/ (portal pid {portal.pid})"
            )
            print(
                f"  0.0 min  portal {rss_mb(portal.pid):6.1f} MB  database "
                f"{rss_mb(db_pid()):6.1f} MB"
            )
            began = time.monotonic()
            for thread in threads:
                thread.start()
            last = began
            while any(thread.is_alive() for thread in threads):
                time.sleep(min(args.interval, max(0.1, stop_at - time.monotonic() + 0.5)))
                now = time.monotonic()
                sample = stats.take_interval()
                print(
                    f"{(now - began) / 60:5.1f} min  portal {rss_mb(portal.pid):6.1f} MB  "
                    f"database {rss_mb(db_pid()):6.1f} MB  {summary(sample, now - last)}",
                    flush=True,
                )
                last = now
            elapsed = time.monotonic() - began
            print("\ntotal", summary(stats.total, elapsed))
            for kind, _weight in MIX:
                values = [s * 1000 for s in stats.total.get(kind, [])]
                if values:
                    print(
                        f"  {kind:<10} n={len(values):<6} p50={percentile(values, 0.5):7.1f} "
                        f"p95={percentile(values, 0.95):7.1f} max={max(values):7.1f} ms  "
                        f"mean={statistics.mean(values):6.1f}  errors={stats.errors[kind]}"
                    )
            print("  statuses", dict(sorted(stats.statuses.items())))
            health = probe.request("GET", "/healthz")[1]
            print("  healthz", health.decode()[:400])
        finally:
            portal.terminate()
            portal.wait(60)
            log.close()


if __name__ == "__main__":
    main()
