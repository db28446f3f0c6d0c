"""Save latency of the records operations on the embedded database.

Creates ``--existing`` records (default 10,000), then times ``--samples``
creations and revisions, each one transaction with its version, audit entry
and search outbox entry. Prints p50/p95/max in milliseconds.

    .venv/bin/python bench/save.py [--existing 10000] [--samples 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.database import connect, ensure_indexes  # noqa: E402
from portal.database.embedded import EmbeddedDatabase  # noqa: E402
from records.access import Actor  # noqa: E402
from records.forms import register_all  # noqa: E402
from records.operations import create_record, revise_record  # noqa: E402

register_all()

DATA = {
    "title": "夜班交接",
    "shift_date": "2026-11-20",
    "shift": "night",
    "handed_over_by": "王芳",
    "events": "3号楼供暖管道漏水，已关阀，通知维修队。" * 20,
}


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def insert_in_batches(collection, docs, size: int = 2000) -> None:
    """``docs`` (any iterable) into ``collection``, ``size`` at a time: a
    benchmark's corpus without holding it all in memory."""
    batch = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == size:
            collection.insert_many(batch)
            batch = []
    if batch:
        collection.insert_many(batch)


def timed(function, samples: int) -> list[float]:
    """Seconds each of ``samples`` calls of ``function`` took."""
    seconds = []
    for _ in range(samples):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return seconds


def report(name, seconds):
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<8} n={len(ms):<5} p50={percentile(ms, 0.50):6.2f} ms  "
        f"p95={percentile(ms, 0.95):6.2f} ms  max={max(ms):6.2f} ms  "
        f"mean={statistics.mean(ms):6.2f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    staff = Actor("bench", "Bench", ("staff",), "CS")
    with tempfile.TemporaryDirectory() as scratch, EmbeddedDatabase(Path(scratch)) as server:
        connect(server.uri, "bench")
        ensure_indexes()
        started = time.perf_counter()
        numbers = []
        for i in range(args.existing):
            numbers.append(create_record(staff, "handover_log", DATA).number)
            if (i + 1) % 2000 == 0:
                print(f"  seeded {i + 1} records", file=sys.stderr)
        seeded = time.perf_counter() - started
        print(
            f"seeded {args.existing} records in {seeded:.1f} s "
            f"({args.existing / seeded:.0f}/s, sequential)"
        )
        creates, revises = [], []
        for i in range(args.samples):
            t0 = time.perf_counter()
            create_record(staff, "handover_log", DATA)
            creates.append(time.perf_counter() - t0)
            number = numbers[i * 7 % len(numbers)]
            t0 = time.perf_counter()
            revise_record(staff, number, {"open_items": f"复查 {i}"}, base_version=1)
            revises.append(time.perf_counter() - t0)
        print(
            f"at {args.existing} existing records (each save = record + version + "
            "audit + outbox in one transaction):"
        )
        report("create", creates)
        report("revise", revises)


if __name__ == "__main__":
    main()
