"""A demo organisation, so a new user meets a living portal (``portal demo``).

:func:`load_demo` creates the departments of a metering and heating service
centre, users of every role with Chinese names (all with one password), and a
few hundred records in every form, in every state of their workflows.

Every record is written through :mod:`records.operations` and the
:mod:`records.worklists` helpers, by the person whose step it is: the
document controller registers and dispatches, the handling department plans
and replies, the director signs the plans of major complaints (signatures
check the real password), the quality manager verifies corrective actions.

The demo plays the last ten months: each step runs on a simulated clock set
to the moment it happens, in time order, so versions, signatures, audit
entries, deadlines and record numbers are dated as if the organisation had
used the portal since then. Steps that would fall after the present are not
taken, which leaves the recent records in progress. Complaints left
unresolved are escalated at the end, on the real clock. Everything is
deterministic for a given seed and day.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock_time

import records.attachments  # noqa: F401 - imported so the simulated clock reaches it
import records.retention  # noqa: F401
import records.settings  # noqa: F401
from portal import accounts
from portal.demo.data import (
    DEPARTMENTS,
    DIRECTOR,
    ORGANISATION_NAME,
    PASSIVE,
    USERS,
)
from portal.demo.scheduler import (
    Scheduler,
    simulated_clock,
)
from portal.demo.stories import (
    HISTORY_DAYS,
    Demo,
    plan,
)
from portal.models import Department, User
from records import clock
from records.calendar import WorkingCalendar, seed_from_package
from records.escalation import escalate
from records.store import database
from records.types import registry

__all__ = [
    "DEFAULT_COMPLAINTS",
    "DEFAULT_SEED",
    "DIRECTOR",
    "USERS",
    "DemoRefused",
    "check_demo",
    "database_is_empty",
    "load_demo",
]

DEFAULT_COMPLAINTS = 100
DEFAULT_SEED = 2026


class DemoRefused(Exception):
    """The demo was not loaded; ``str()`` says why (nothing was written)."""


# --- loading -----------------------------------------------------------------------


def database_is_empty() -> bool:
    """No users and no records: what ``portal demo --if-empty`` loads into."""
    return (
        User.objects.limit(1).first() is None
        and database().records.find_one({}, {"_id": 1}) is None
    )


def check_demo(password: str, *, force: bool = False, min_password_length: int = 10) -> None:
    """Raise :class:`DemoRefused` or :class:`accounts.AccountError` if
    :func:`load_demo` would refuse; nothing is written."""
    existing = database().records.count_documents({})
    if existing and not force:
        raise DemoRefused(
            f"The database already has {existing} records; the demo loads only "
            "into a database without records (--force loads it anyway)."
        )
    for spec in USERS:
        accounts.check_password_strength(password, min_password_length, spec.username)
        user = User.objects(username=spec.username).first()
        if (
            user is not None
            and spec.username not in PASSIVE
            and not accounts.verify_password(user, password)
        ):
            raise DemoRefused(
                f"The user {spec.username} exists with another password; "
                "load the demo with that password or into a fresh database."
            )


def load_demo(
    password: str,
    *,
    complaints: int = DEFAULT_COMPLAINTS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    min_password_length: int = 10,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Load the demo organisation; answers a summary.

    Refused (:class:`DemoRefused`, nothing written) if the database already
    has records, unless ``force``. Users that exist already are reused."""
    started = time.perf_counter()
    check_demo(password, force=force, min_password_length=min_password_length)
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    seed_from_package()
    database().site_settings.update_one(
        {"_id": "organisation"}, {"$setOnInsert": {"name": ORGANISATION_NAME}}, upsert=True
    )
    for code, name in DEPARTMENTS:
        if Department.objects(code=code).first() is None:
            Department(code=code, name=name).save()
    users, kept = {}, []
    for spec in USERS:
        user = User.objects(username=spec.username).first()
        if user is None:
            user = accounts.create_user(
                spec.username,
                spec.full_name,
                password,
                roles=spec.roles,
                department=spec.department,
                positions=spec.positions,
                min_password_length=min_password_length,
            )
        elif not accounts.verify_password(user, password):
            kept.append(spec.username)
        users[spec.username] = user
    if log:
        log(f"{len(users)} users in {len(DEPARTMENTS)} departments; now the records…")

    end = clock.local_now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    start = datetime.combine(end.date() - timedelta(days=HISTORY_DAYS), clock_time(8, 30))
    with simulated_clock() as moment:
        scheduler = Scheduler(moment, end)
        demo = Demo(rng, password, users, scheduler, WorkingCalendar.load())
        plan(demo, complaints, start, end)
        scheduler.run()
    escalated = escalate()

    db = database()
    counts = {
        record_type.name: db.records.count_documents({"type": record_type.name})
        for record_type in registry
    }
    return {
        "users": [
            dataclasses.asdict(spec) | {"kept_password": spec.username in kept} for spec in USERS
        ],
        "departments": [code for code, _name in DEPARTMENTS],
        "records": counts,
        "total": sum(counts.values()),
        "escalated": len(escalated),
        "overdue": db.records.count_documents({"due_at": {"$lt": clock.utcnow()}}),
        "seconds": round(time.perf_counter() - started, 1),
    }
