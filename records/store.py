"""The records' database and the unit of work.

Every operation writes the record, its version, its audit entry and its
search outbox entry in one transaction, retried on transient conflicts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import mongoengine
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, PyMongoError

T = TypeVar("T")

# Seconds within which a transaction that lost a write conflict is tried again.
RETRY_FOR = 30.0


def database() -> Database:
    """The database mongoengine is connected to."""
    return mongoengine.get_db()


def unit_of_work(work: Callable[[Database, ClientSession], T]) -> T:
    """Run ``work(db, session)`` in a transaction; retried on write conflicts.

    Not pymongo's ``with_transaction``: it also retries when the database
    cannot be reached, for two minutes, so a request would hang that long
    while the database is away instead of being told at once (503)."""
    db = database()
    started = time.monotonic()
    pause = 0.005
    with db.client.start_session() as session:
        while True:
            try:
                with session.start_transaction():
                    result = work(db, session)
                return result
            except PyMongoError as error:
                if (isinstance(error, ConnectionFailure)
                        or not error.has_error_label("TransientTransactionError")
                        or time.monotonic() - started > RETRY_FOR):
                    raise
            time.sleep(pause * random.random())  # noqa: S311 - jitter, not secrecy
            pause = min(pause * 2, 0.5)
