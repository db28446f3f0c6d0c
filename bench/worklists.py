"""How fast the lists people work from answer on the embedded database.

Creates ``--complaints`` complaint sheets (default 10,000) through the records
operations, spread over the last year, dispatches most of them to one of
``--departments`` departments, then times my tasks (controller, staff),
the overdue list (controller, staff) and a month of the complaint register.
Prints p50/p95/max in milliseconds.

    .venv/bin/python bench/worklists.py [--complaints 10000] [--samples 30]
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.save import report, timed  # noqa: E402
from portal.accounts import create_user  # noqa: E402
from portal.database import connect, ensure_indexes  # noqa: E402
from portal.database.embedded import EmbeddedDatabase  # noqa: E402
from portal.models import Department  # noqa: E402
from records import worklists  # noqa: E402
from records.access import Actor  # noqa: E402
from records.calendar import seed_from_package  # noqa: E402
from records.clock import local_now  # noqa: E402
from records.forms import register_all  # noqa: E402
from records.operations import create_record, transition_record  # noqa: E402

register_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=10)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(4)
    controller = Actor("chen", "陈静", ("controller",), "CS")
    with tempfile.TemporaryDirectory() as scratch, EmbeddedDatabase(Path(scratch)) as server:
        connect(server.uri, "bench")
        ensure_indexes()
        seed_from_package()
        codes = [f"D{n:02d}" for n in range(args.departments)]
        handlers = {}
        for code in codes:
            department = Department(code=code, name=f"部门{code}").save()
            handlers[code] = [f"h{code.lower()}{n}" for n in range(3)]
            for username in handlers[code]:
                create_user(
                    username,
                    username,
                    secrets.token_urlsafe(16),
                    roles=["staff"],
                    department=department,
                )
        now = local_now().replace(second=0, microsecond=0)
        started = time.perf_counter()
        for i in range(args.complaints):
            received = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            record = create_record(
                controller,
                "complaint_sheet",
                {
                    "title": f"投诉 {i}",
                    "received_at": received.isoformat(),
                    "channel": "hotline",
                    "customer": f"客户{rng.randrange(3000)}",
                    "description": "暖气不热，多次报修未果。",
                    "severity": "major",
                    "subject": rng.choice(["attitude", "service_quality", "fees", "other"]),
                },
            )
            if rng.random() < 0.8:
                code = rng.choice(codes)
                transition_record(
                    controller,
                    record.number,
                    "dispatch",
                    changes={
                        "department": code,
                        "handler": rng.choice(handlers[code]),
                        "subject": record.data["subject"],
                        "responsibility": "1",
                    },
                )
            if (i + 1) % 2000 == 0:
                print(f"  {i + 1} complaints", file=sys.stderr)
        print(f"loaded {args.complaints} complaints in {time.perf_counter() - started:.0f} s")
        staff = Actor(handlers[codes[0]][0], "staff", ("staff",), codes[0])
        today = now.date()
        month = (today.replace(day=1), today)
        print(f"{args.samples} samples each:")
        report("tasks/controller", timed(lambda: worklists.my_tasks(controller), args.samples))
        report("tasks/staff", timed(lambda: worklists.my_tasks(staff), args.samples))
        report("overdue/controller", timed(lambda: worklists.overdue(controller), args.samples))
        report(
            "overdue/staff",
            timed(lambda: worklists.overdue(staff, department=codes[0]), args.samples),
        )
        report(
            "register/month",
            timed(lambda: worklists.complaint_register(controller, *month), args.samples),
        )
        report(
            "register/year",
            timed(
                lambda: worklists.complaint_register(
                    controller, today - timedelta(days=365), today
                ),
                max(3, args.samples // 10),
            ),
        )
        print(
            f"(the month holds {len(worklists.complaint_register(controller, *month))} "
            f"complaints; register sorts in Python; year capped at 5000 rows)"
        )


if __name__ == "__main__":
    main()
