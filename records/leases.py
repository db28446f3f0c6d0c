"""Leases: work that must run once per deployment (escalation rounds, the
e-mail sender, scheduled backups) is done only by the node holding its lease.

A lease is one document of the ``leases`` collection, ``{_id: name, holder,
expires_at, acquired_at, renewed_at}``. Taking it and renewing it are the same
atomic ``find_one_and_update``: it matches only if this holder already has it
or the lease has expired, so of two nodes asking at once exactly one gets it
(the other's upsert hits the unique ``_id`` and is told no). A holder that dies
(kill -9, a machine that is gone) stops renewing, and its lease is taken over
once ``expires_at`` passes: callers choose ``seconds`` as about three rounds,
so a slow round is not mistaken for a dead holder.

The times are the nodes' own clocks (UTC). Machines kept in step by NTP
differ by milliseconds; a lease of tens of seconds does not notice. A clock
that is minutes wrong could take a lease early: keep NTP running.

A lease is a guard, not a proof: a holder paused longer than its lease (a
stopped VM) may still finish a step after another node took over. So the
work it guards stays safe to repeat on its own (escalation checks the
record's version, e-mail claims each message), and the lease only keeps two
nodes from doing the same rounds side by side.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from records.clock import utcnow

COLLECTION = "leases"


def node_holder() -> str:
    """Who this process is, as a lease records it: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Lease:
    """The lease ``name`` as seen by ``holder``, taken for ``seconds`` at a time."""

    def __init__(self, db, name: str, seconds: float, holder: str | None = None):
        self.db = db
        self.name = name
        self.seconds = float(seconds)
        self.holder = holder or node_holder()
        # When we last renewed (monotonic), so a round can renew only when a
        # third of the lease has passed instead of at every step.
        self._renewed: float | None = None

    def acquire(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; whether this holder has it now."""
        now = now or utcnow()
        try:
            taken = self.db[COLLECTION].find_one_and_update(
                {
                    "_id": self.name,
                    "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}],
                },
                {
                    "$set": {
                        "holder": self.holder,
                        "expires_at": now + timedelta(seconds=self.seconds),
                        "renewed_at": now,
                    },
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            # The lease exists, is held by someone else and has not expired:
            # the filter missed and the upsert's insert met the unique _id.
            self._renewed = None
            return False
        held = taken is not None and taken.get("holder") == self.holder
        if held:
            if not taken.get("acquired_at") or self._renewed is None:
                self.db[COLLECTION].update_one(
                    {"_id": self.name, "holder": self.holder}, {"$set": {"acquired_at": now}}
                )
            self._renewed = time.monotonic()
        else:
            self._renewed = None
        return held

    def keep(self) -> bool:
        """During a long round: renew if a third of the lease has passed;
        whether this holder still has it (False: stop the round)."""
        if self._renewed is None:
            return False
        if time.monotonic() - self._renewed < self.seconds / 3:
            return True
        return self.acquire()

    def release(self) -> None:
        """Give the lease up (a clean stop), so another node need not wait
        for it to expire."""
        self._renewed = None
        self.db[COLLECTION].update_one(
            {"_id": self.name, "holder": self.holder}, {"$set": {"expires_at": datetime.min}}
        )

    def note(self, **fields) -> None:
        """Keep a few facts with the lease (when a scheduled job last ran),
        so whichever node holds it next knows them."""
        self.db[COLLECTION].update_one({"_id": self.name}, {"$set": fields}, upsert=True)

    def read(self) -> dict:
        """The lease document as stored (empty if never taken)."""
        return self.db[COLLECTION].find_one({"_id": self.name}) or {}
