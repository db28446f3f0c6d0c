"""The records' database and the unit of work.

Every operation writes the record, its version, its audit entry and its
search outbox entry in one transaction, retried on transient conflicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import mongoengine
from pymongo.client_session import ClientSession
from pymongo.database import Database

T = TypeVar("T")


def database() -> Database:
    """The database mongoengine is connected to."""
    return mongoengine.get_db()


def unit_of_work(work: Callable[[Database, ClientSession], T]) -> T:
    """Run ``work(db, session)`` in a transaction; retried on write conflicts."""
    db = database()
    with db.client.start_session() as session:
        return session.with_transaction(lambda s: work(db, s))
