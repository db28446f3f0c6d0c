"""How fast the yearly report answers at 100,000 complaints.

Writes ``--complaints`` complaint sheets of one year (default 100,000) straight
into the embedded database (the bench times reading, not saving), in every
state, over ``--departments`` departments; counts them with
``measures.rebuild()`` (timed: what an upgrade runs once; the records carry
the contribution the operations keep, so it only recounts); then times the
yearly statistics, a quarter and a month from the kept counts (p50/p95), and
for comparison a ``$group`` over the year's records, which is what a report
that aggregated the records themselves would run. It also times a complaint's
create and dispatch through the operations, which now keep the counts.

    .venv/bin/python bench/reports.py [--complaints 100000] [--samples 20]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bson import ObjectId  # noqa: E402

from bench.save import insert_in_batches, timed  # noqa: E402
from bench.save import report as print_figures  # noqa: E402
from portal.accounts import create_user  # noqa: E402
from portal.database import connect, ensure_indexes  # noqa: E402
from portal.database.embedded import EmbeddedDatabase  # noqa: E402
from portal.models import Department  # noqa: E402
from records import measures, reports  # noqa: E402
from records.access import Actor  # noqa: E402
from records.calendar import seed_from_package  # noqa: E402
from records.clock import local_now  # noqa: E402
from records.forms import register_all  # noqa: E402
from records.operations import create_record, transition_record  # noqa: E402
from records.store import database  # noqa: E402
from records.word.texts import Texts  # noqa: E402

register_all()

STATES = [
    "received",
    "dispatched",
    "plan_submitted",
    "approved",
    "replied",
    "resolved",
    "closed",
    "closed",
    "closed",
    "closed",
    "reopened",
    "void",
]
SEVERITIES = ["general"] * 6 + ["important"] * 2 + ["hot", "major"]
SUBJECTS = [
    "technical",
    "attitude",
    "service_quality",
    "fees",
    "product_quality",
    "delivery",
    "other",
]


def _complaints(count: int, year: int, departments: list[str], rng: random.Random):
    start = datetime(year, 1, 1)
    for n in range(count):
        received = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        state = rng.choice(STATES)
        yield {
            "_id": ObjectId(),
            "type": "complaint_sheet",
            "number": f"QR-015-{year}-{n + 1:06d}",
            "year": year,
            "seq": n + 1,
            "version": 5,
            "state": state,
            "title": f"投诉 {n}：暖气不热，多次报修未果",
            "department": rng.choice(departments),
            "created_by": "chen",
            "created_at": received,
            "updated_at": received,
            "flags": {"late": "plan"} if rng.random() < 0.1 else {},
            "data": {
                "title": f"投诉 {n}",
                "received_at": received.isoformat(),
                "channel": "hotline",
                "customer": f"客户{rng.randrange(5000)}",
                "description": "暖气不热，多次报修未果。" * 8,
                "severity": rng.choice(SEVERITIES),
                "subject": rng.choice(SUBJECTS),
                "responsibility": rng.choice("123"),
            },
            "attachments": [],
            "signatures": [],
            "history": [],
            "holds": [],
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--departments", type=int, default=10)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    year = local_now().year - 1
    with tempfile.TemporaryDirectory() as scratch, EmbeddedDatabase(Path(scratch)) as server:
        connect(server.uri, "bench")
        ensure_indexes()
        seed_from_package()
        codes = [f"D{n:02d}" for n in range(args.departments)]
        for code in codes:
            Department(code=code, name=f"部门{code}").save()
        db = database()
        started = time.perf_counter()
        # What the operations keep on each record as it is written.
        insert_in_batches(
            db.records,
            (
                {**doc, "measure": measures.contribution(doc, db, revisits={})}
                for doc in _complaints(args.complaints, year, codes, rng)
            ),
        )
        print(
            f"wrote {args.complaints} complaints of {year} in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        counted = measures.rebuild(db)
        print(
            f"measures.rebuild: {counted} records counted in "
            f"{time.perf_counter() - started:.1f} s "
            f"({db[measures.COLLECTION].count_documents({})} count documents)"
        )

        texts = Texts("zh_Hans")
        for name, period in (
            ("yearly statistics", reports.Period("year", year)),
            ("quarterly analysis", reports.Period("quarter", year, 2)),
            ("monthly summary", reports.Period("month", year, 3)),
        ):
            built = reports.build(period, texts)
            print_figures(
                f"{name} ({built.totals['complaints']:g} complaints)",
                timed(lambda p=period: reports.build(p, texts), args.samples),
            )

        def group_over_records():
            return list(
                db.records.aggregate(
                    [
                        {
                            "$match": {
                                "type": "complaint_sheet",
                                "data.received_at": {
                                    "$gte": f"{year}-01-01",
                                    "$lt": f"{year + 1}-01-01",
                                },
                            }
                        },
                        {
                            "$group": {
                                "_id": {"department": "$department", "state": "$state"},
                                "n": {"$sum": 1},
                            }
                        },
                    ]
                )
            )

        print_figures(
            "for comparison: $group over the year's records",
            timed(group_over_records, max(2, args.samples // 10)),
        )

        controller = Actor("chen", "陈静", ("controller",), "D00")
        create_user(
            "h0",
            "处理人",
            "bench-password-123",
            roles=["staff"],
            department=Department.objects.get(code="D00"),
        )
        now = local_now().replace(second=0, microsecond=0)

        def create_and_dispatch():
            record = create_record(
                controller,
                "complaint_sheet",
                {
                    "title": "投诉",
                    "received_at": now.isoformat(),
                    "channel": "hotline",
                    "customer": "客户",
                    "description": "暖气不热。",
                },
            )
            transition_record(
                controller,
                record.number,
                "dispatch",
                changes={
                    "department": "D00",
                    "handler": "h0",
                    "subject": "fees",
                    "responsibility": "1",
                },
            )

        print_figures(
            "complaint create + dispatch (counts kept in the transaction)",
            timed(create_and_dispatch, args.samples),
        )


if __name__ == "__main__":
    main()
