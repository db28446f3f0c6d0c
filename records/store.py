"""The records' database and the unit of work.

Every operation writes the record, its version, its audit entry and its
search outbox entry in one transaction, retried on transient conflicts.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import mongoengine
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, PyMongoError

from records import presence
from records.errors import NotFound
from records.i18n import N_

T = TypeVar("T")

# Seconds within which a transaction that lost a write conflict is tried again.
RETRY_FOR = 30.0

# Every transaction writes the audit head, and every creation its type's
# counter, so transactions of one process running side by side mostly
# conflict on them and start again. Measured with 4 threads creating and
# handing over records on the embedded database: side by side 290-510
# retries for 320 operations, 13-27 operations/s, slowest 6-14 s; one at a
# time 45-50 retries, 34-41 operations/s, slowest 0.3-0.4 s. So the
# transactions of one process take turns; other processes (several workers
# on one MongoDB) still conflict and retry.
_ONE_AT_A_TIME = threading.RLock()


def database() -> Database:
    """The database mongoengine is connected to."""
    return mongoengine.get_db()


def load_doc(number: str, db=None, session=None) -> dict:
    """The stored record ``number`` as a dict, or :class:`NotFound`."""
    db = db if db is not None else database()
    doc = db.records.find_one({"number": number}, session=session)
    if doc is None:
        raise NotFound(N_("There is no record %(number)s."), number=number)
    return doc


def unit_of_work(work: Callable[[Database, ClientSession], T]) -> T:
    """Run ``work(db, session)`` in a transaction; retried on write conflicts.

    Not pymongo's ``with_transaction``: it also retries when the database
    cannot be reached, for two minutes, so a request would hang that long
    while the database is away instead of being told at once (503)."""
    db = database()
    started = time.monotonic()
    pause = 0.005
    with _ONE_AT_A_TIME, db.client.start_session() as session:
        # Written down before the transaction starts, so that if this
        # process dies inside it another one can end it (records.presence).
        presence.note_session(db, session)
        while True:
            try:
                with session.start_transaction():
                    result = work(db, session)
                return result
            except PyMongoError as error:
                if (
                    isinstance(error, ConnectionFailure)
                    or not error.has_error_label("TransientTransactionError")
                    or time.monotonic() - started > RETRY_FOR
                ):
                    raise
            time.sleep(pause * random.random())  # noqa: S311 - jitter, not secrecy
            pause = min(pause * 2, 0.5)
