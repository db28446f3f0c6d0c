"""Leases: of two nodes asking for the same work, one does it; a dead
holder's lease is taken over once it expires."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from records.clock import utcnow
from records.leases import Lease
from records.store import database


def test_one_of_two_nodes_gets_the_lease_and_the_other_takes_over_after_expiry(app):
    with app.app_context():
        db = database()
        first = Lease(db, "deadlines", 30, holder="a:1")
        second = Lease(db, "deadlines", 30, holder="b:2")
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.acquire() is True  # renewing is taking it again
        assert second.read()["holder"] == "a:1"
        # The first node dies: 31 seconds later its lease has expired.
        later = utcnow() + timedelta(seconds=31)
        assert second.acquire(later) is True
        assert first.acquire(later) is False
        assert first.keep() is False
        assert second.read()["holder"] == "b:2"


def test_a_clean_stop_hands_the_lease_over_at_once(app):
    with app.app_context():
        db = database()
        first = Lease(db, "mail", 300, holder="a:1")
        second = Lease(db, "mail", 300, holder="b:2")
        assert first.acquire()
        first.release()
        assert second.acquire()
        first.release()  # no longer its lease: nothing changes
        assert not first.acquire()


def test_many_nodes_asking_at_once_get_exactly_one_holder(app):
    with app.app_context():
        db = database()
        won = []
        start = threading.Barrier(8)

        def ask(n):
            start.wait()
            if Lease(db, "backup", 60, holder=f"node:{n}").acquire():
                won.append(n)

        threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1
        assert Lease(db, "backup", 60).read()["holder"] == f"node:{won[0]}"


def test_keep_renews_only_when_a_third_of_the_lease_has_passed(app):
    with app.app_context():
        db = database()
        lease = Lease(db, "deadlines", 0.3, holder="a:1")
        assert lease.acquire()
        first = lease.read()["expires_at"]
        assert lease.keep()
        assert lease.read()["expires_at"] == first
        time.sleep(0.15)
        assert lease.keep()
        assert lease.read()["expires_at"] > first
