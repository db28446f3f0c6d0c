"""Server time of the portal's main pages, on the demo and at scale.

Times, in one process through Flask's test client (what the server spends,
without the network or a browser): home, my tasks, a record page, the
complaint register of a year, the yearly report, a search and the overdue
list, for a document controller and a staff member. Prints p50/p95/max in
milliseconds, and login (password hashing included) apart.

The data folder must hold the demo organisation (``portal demo``); a running
portal's database is attached to. ``--add-complaints N`` first writes N
synthetic complaint sheets straight into the database (the bench times
reading, not saving): five years of them, old ones closed (a few left open,
as real registers have), the last month's in every open state, over the
demo's departments and staff, with the kept fields the operations write
(handler, people, due date, measure contribution); then recounts the
measures. They are not put into the search index (``--index`` does, slowly).
Give it a copy of a demo's data folder (``cp -r``, no portal running on it).

    PORTAL_DATA_DIR=/tmp/demo .venv/bin/python bench/pages.py --password P
    PORTAL_DATA_DIR=/tmp/big .venv/bin/python bench/pages.py --password P \\
        --add-complaints 50000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bson import ObjectId  # noqa: E402

from bench.save import insert_in_batches, report, timed  # noqa: E402
from tests.helpers import csrf_token  # noqa: E402

OLD_STATES = ["closed"] * 92 + ["resolved"] * 3 + ["replied"] * 2 + ["void", "reopened"]
STUCK_STATES = ["dispatched", "plan_submitted", "approved"]
NEW_STATES = ["received", "dispatched", "plan_submitted", "approved", "replied", "resolved"]
SEVERITIES = ["general"] * 6 + ["important"] * 2 + ["hot", "major"]
SUBJECTS = ["technical", "attitude", "service_quality", "fees", "product_quality", "other"]


def synthetic_complaints(count: int, staff: dict[str, list[str]], controller: str, rng):
    """``count`` complaint sheets over the last five years, newest last."""
    from records import measures
    from records.clock import from_local, local_now

    now = local_now().replace(tzinfo=None, microsecond=0)
    span = 5 * 365 * 24 * 60
    departments = sorted(staff)
    for n in range(count):
        received = now - timedelta(minutes=span * (count - n) // count + rng.randrange(60))
        age = now - received
        if age > timedelta(days=30):
            state = rng.choice(STUCK_STATES) if rng.random() < 0.002 else rng.choice(OLD_STATES)
        else:
            state = rng.choice(NEW_STATES)
        department = rng.choice(departments)
        handler = rng.choice(staff[department]) if state != "received" else None
        at = from_local(received)
        history = [
            {"from": None, "to": "received", "at": at, "by": controller, "transition": "create"}
        ]
        if handler:
            history.append(
                {
                    "from": "received",
                    "to": "dispatched",
                    "at": at,
                    "by": controller,
                    "transition": "dispatch",
                }
            )
        data = {
            "title": f"投诉 {n}：暖气不热，多次报修未果",
            "received_at": received.isoformat(),
            "channel": "hotline",
            "customer": f"客户{rng.randrange(20000)}",
            "contact": f"138{rng.randrange(10**8):08d}",
            "description": "暖气不热，多次报修未果。" * 6,
            "severity": rng.choice(SEVERITIES),
            "subject": rng.choice(SUBJECTS),
            "responsibility": rng.choice("123"),
            "department": department if handler else None,
            "handler": handler,
        }
        year = received.year
        doc = {
            "_id": ObjectId(),
            "type": "complaint_sheet",
            "number": f"SYN-{year}-{n + 1:06d}",
            "year": year,
            "seq": 100_000 + n,
            "version": len(history),
            "state": state,
            "title": data["title"],
            "data": data,
            "department": department if handler else None,
            "created_by": controller,
            "created_at": at,
            "updated_by": controller,
            "updated_at": at + timedelta(hours=rng.randrange(1, 72)),
            "attachments": [],
            "signatures": [],
            "history": history,
            "holds": [],
            "handler": handler,
            "people": sorted({controller, *([handler] if handler else [])}),
            "refs": [],
            "flags": {"late": "plan"} if rng.random() < 0.1 else {},
            "due_at": at + timedelta(days=4) if state == "dispatched" else None,
            "due_kind": "plan" if state == "dispatched" else None,
            "due_uncovered": [],
        }
        doc["measure"] = measures.contribution(doc, revisits={})
        yield doc


def add_complaints(count: int, rng) -> None:
    from portal.models import Department, User
    from records import measures
    from records.store import database

    staff = {}
    for department in Department.objects(active=True):
        people = [u.username for u in User.objects(department=department, roles="staff")]
        if people:
            staff[department.code] = people
    db = database()
    started = time.perf_counter()
    insert_in_batches(db.records, synthetic_complaints(count, staff, "wangfang", rng))
    print(f"wrote {count} synthetic complaints in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    measures.rebuild(db)
    print(f"measures recounted in {time.perf_counter() - started:.0f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--password", required=True, help="the demo users' password")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--add-complaints", type=int, default=0)
    parser.add_argument("--index", action="store_true", help="rebuild the search index too")
    parser.add_argument("--controller", default="wangfang")
    parser.add_argument("--staff", default="zhaolei")
    args = parser.parse_args()

    data_dir = Path(os.environ.get("PORTAL_DATA_DIR", "var")).resolve()
    if args.add_complaints and data_dir == (Path(__file__).resolve().parent.parent / "var"):
        raise SystemExit("--add-complaints writes into the database: give a copy of var/")

    from portal.cli import portal_app
    from records.clock import local_now
    from records.store import database

    with portal_app(WTF_CSRF_ENABLED=True) as app:
        if args.add_complaints:
            add_complaints(args.add_complaints, random.Random(5))
            if args.index:
                started = time.perf_counter()
                app.extensions["search_indexer"].rebuild(procs=1)
                print(f"search index rebuilt in {time.perf_counter() - started:.0f} s")
        db = database()
        print(f"{db.records.estimated_document_count()} records")
        year = local_now().year
        pages = {
            "home": "/",
            "my tasks": "/tasks",
            "register of a year": f"/register?start={year}-01-01&end={year}-12-31",
            "reports of a year": f"/reports?kind=year&year={year}",
            "search": "/search?q=%E6%9A%96%E6%B0%94",
            "overdue": "/overdue",
        }

        def get(client, path):
            # A fresh application context per request, as a server has: the
            # one this command holds would keep the logged-in user in ``g``.
            with app.app_context():
                return client.get(path)

        for who in (args.controller, args.staff):
            # A complaint of the demo the user handled or received.
            record = db.records.find_one(
                {"people": who, "type": "complaint_sheet", "seq": {"$lt": 100_000}}, {"_id": 1}
            )
            pages["record page"] = f"/admin/records_complaint_sheet/details/?id={record['_id']}"
            client = app.test_client()
            with app.app_context():
                token = csrf_token(client, "/login")
            started = time.perf_counter()
            with app.app_context():
                answer = client.post(
                    "/login",
                    data={"username": who, "password": args.password, "csrf_token": token},
                )
            login = time.perf_counter() - started
            if answer.status_code != 302:
                raise SystemExit(f"login as {who} failed: {answer.status_code}")
            print(f"{who}: login {login * 1000:.0f} ms (password hashing included)")
            for name, path in pages.items():
                status = get(client, path).status_code  # warm caches, check it answers
                if status != 200:
                    print(f"  {name}: HTTP {status}")
                    continue
                report(f"  {name:<20}", timed(lambda p=path, c=client: get(c, p), args.samples))


if __name__ == "__main__":
    main()
