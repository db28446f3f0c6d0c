"""Web processes and the audit head: what `portal serve --workers N` buys on
this machine, and what the audit trail's head document costs.

Part 1 starts `portal serve --workers N` (N = 1, 2, 4 by default) on one
fresh data folder (its embedded database) and runs ``--clients`` threads for
``--seconds`` per configuration, each picking at random from bench/soak.py's
mix: page views (home with its dashboard, tasks, the complaint register),
creations and hand-overs (saves), searches. It prints requests/s and
p50/p95 overall and per kind.

Part 2 measures the audit head alone, against its own embedded database:
``--writers`` processes (1, 2, 4) each appending audit entries the way every
audited action does (a transaction that increments the head, inserts the
entry and writes the head's hash), against the same transaction without the
head (the entry inserted alone). It prints writes/s and p50/p95 per write:
the difference is the head's serialisation.

    .venv/bin/python bench/processes.py [--seconds 30] [--processes 1,2,4] [--clients 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from soak import MIX, PASSWORD, Client, Stats, client_threads, percentile, run_cli  # noqa: E402

from portal.database.embedded import EmbeddedDatabase, free_port  # noqa: E402

PORTAL = str(Path(sys.executable).with_name("portal"))


def _wait_serving(port: int, portal: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    probe = Client(port, "", 0)
    while probe.request("GET", "/healthz")[0] != 200:
        if portal.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"portal did not start: {log.read_text()[-3000:]}")
        time.sleep(0.3)


def _line(label: str, samples: dict[str, list[float]], seconds: float) -> str:
    every = [s * 1000 for values in samples.values() for s in values]
    if not every:
        return f"{label}: nothing done"
    parts = [
        f"{label}: {len(every) / seconds:6.1f} req/s  p50 {percentile(every, 0.5):6.1f} ms  "
        f"p95 {percentile(every, 0.95):7.1f} ms"
    ]
    for kind, _weight in MIX:
        values = [s * 1000 for s in samples.get(kind, [])]
        if values:
            parts.append(
                f"    {kind:<10} n={len(values):<5} p95 {percentile(values, 0.95):7.1f} ms"
            )
    return "\n".join(parts)


def web_processes(counts: list[int], clients: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "var"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(
            PORTAL_DATA_DIR=str(data_dir),
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            PORTAL_DEMO="0",
        )
        token = None
        for count in counts:
            port = free_port()
            env["PORTAL_PORT"] = str(port)
            log_path = Path(scratch) / f"portal-{count}.log"
            with open(log_path, "w") as log:
                portal = subprocess.Popen(  # noqa: S603 - our own portal command
                    [PORTAL, "serve", "--workers", str(count)],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                try:
                    _wait_serving(port, portal, log_path)
                    if token is None:
                        run_cli(
                            env, "user", "create", "bench", "--full-name", "压测",
                            "--role", "controller", "--password", "-",
                            stdin=PASSWORD + "\n",
                        )  # fmt: skip
                        token = run_cli(env, "token", "create", "bench", "--name", "b").split()[0]
                    stats = Stats()
                    # Every process warmed up (templates, first queries) before timing.
                    warm = Client(port, token, 99)
                    warm.log_in("bench")
                    for _ in range(4 * count):
                        for kind in ("home", "tasks", "register", "search"):
                            warm.one(kind)
                    stop_at = time.monotonic() + seconds
                    threads = client_threads(port, token, "bench", clients, stop_at, stats)
                    began = time.monotonic()
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                    elapsed = time.monotonic() - began
                    errors = {s: n for s, n in stats.statuses.items() if s >= 400}
                    print(
                        _line(
                            f"{count} web process{'es' if count > 1 else ''}", stats.total, elapsed
                        )
                        + (f"\n    errors {errors}" if errors else ""),
                        flush=True,
                    )
                finally:
                    portal.terminate()
                    portal.wait(90)


def _writer(uri: str, with_head: bool, seconds: float, start_at: float, out) -> None:
    import mongoengine

    from records import audit
    from records.clock import utcnow
    from records.store import unit_of_work

    mongoengine.connect(db="bench_audit", host=uri, uuidRepresentation="standard")
    audit.use_key("bench-audit-key")
    times = []
    while time.time() < start_at:
        time.sleep(0.005)
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        if with_head:
            audit.record_event("bench", "view", record_type="handover_log", number="B-1")
        else:
            unit_of_work(
                lambda db, session: db.audit_alone.insert_one(
                    {"at": utcnow(), "actor": "bench", "action": "view", "number": "B-1"},
                    session=session,
                )
            )
        times.append(time.perf_counter() - started)
    out.put(times)


def audit_head(writers: list[int], seconds: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server = EmbeddedDatabase(Path(scratch) / "db", attach=False)
        uri = server.start()
        context = multiprocessing.get_context("spawn")
        try:
            for with_head in (True, False):
                for count in writers:
                    out = context.Queue()
                    start_at = time.time() + 3  # every process connected first
                    procs = [
                        context.Process(
                            target=_writer, args=(uri, with_head, seconds, start_at, out)
                        )
                        for _ in range(count)
                    ]
                    for proc in procs:
                        proc.start()
                    times = [s * 1000 for _ in procs for s in out.get(timeout=seconds + 120)]
                    for proc in procs:
                        proc.join(30)
                    label = "with the audit head" if with_head else "entry alone, no head"
                    print(
                        f"{label:<22} {count} writer process{'es' if count > 1 else ''}: "
                        f"{len(times) / seconds:6.1f} writes/s  "
                        f"p50 {percentile(times, 0.5):6.1f} ms  "
                        f"p95 {percentile(times, 0.95):7.1f} ms  max {max(times):7.1f} ms",
                        flush=True,
                    )
        finally:
            server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="per configuration")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--audit-seconds", type=float, default=10)
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-audit", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.clients} clients, {args.seconds:g} s per configuration")
    if not args.skip_web:
        web_processes([int(n) for n in args.processes.split(",")], args.clients, args.seconds)
    if not args.skip_audit:
        audit_head([int(n) for n in args.writers.split(",")], args.audit_seconds)


if __name__ == "__main__":
    main()
