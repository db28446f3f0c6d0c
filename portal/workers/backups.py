"""Scheduled backups: every day at ``BACKUP_AT`` (local time) one archive of
the whole database into ``BACKUP_DIR``, written by one node of the
deployment (the holder of the ``backup`` lease), keeping the newest
``BACKUP_KEEP`` archives.

When the last backup was written is kept with the lease in the database, so a
node that takes the lease over (the holder died, or was stopped for an
upgrade across the hour) writes the one that is due and not a second one.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from pathlib import Path

from portal.database.backup import BackupError, scheduled_backup
from portal.workers.rounds import RoundThread
from records.clock import from_local, local_now, utcnow
from records.leases import Lease
from records.store import database

log = logging.getLogger(__name__)

LEASE = "backup"
#: How often the thread looks whether a backup is due.
CHECK_SECONDS = 60
#: A backup of a large database takes minutes and renews nothing meanwhile:
#: its lease lasts an hour, so no other node starts one beside it.
LEASE_SECONDS = 3600


def parse_at(value: str) -> time:
    """``"02:30"`` as a time of day; ValueError with the setting's name if not."""
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(
            f"PORTAL_BACKUP_AT must be a time of day as HH:MM, not {value!r}"
        ) from None


def last_due(now: datetime, at: time) -> datetime:
    """The latest scheduled moment at or before ``now`` (both UTC, naive)."""
    local = local_now(now)
    moment = datetime.combine(local.date(), at)
    if moment > local:
        moment -= timedelta(days=1)
    return from_local(moment)


def backup_if_due(app, lease: Lease, now: datetime | None = None):
    """Write the archive that is due at ``now`` (default: now), if not yet
    written; its summary, or None when nothing was due."""
    config = app.config
    now = now or utcnow()
    due = last_due(now, parse_at(config["BACKUP_AT"]))
    done = lease.read().get("done_at")
    if done is not None and done >= due:
        return None
    summary = scheduled_backup(database(), Path(config["BACKUP_DIR"]), config["BACKUP_KEEP"], now)
    lease.note(done_at=now, last_archive=str(summary.path))
    log.info("backup written: %s (%d documents)", summary.path, summary.documents)
    return summary


class BackupThread(RoundThread):
    """Looks every minute whether the day's backup is due, on every node
    with ``BACKUP_DIR`` set; the lease's holder writes it."""

    def __init__(self, app):
        super().__init__(app, "backup", CHECK_SECONDS, lease_name=LEASE)

    def run(self) -> None:
        with self.app.app_context():
            self.lease = Lease(database(), LEASE, LEASE_SECONDS)
        super().run()

    def round(self, lease) -> None:
        try:
            backup_if_due(self.app, lease)
        except (BackupError, OSError) as error:
            # Tried again at the next check; the log says why it failed.
            log.error("the scheduled backup failed: %s", error)


def start_backup_thread(app) -> BackupThread | None:
    """Start the scheduled backups if ``BACKUP_DIR`` is set."""
    if not app.config.get("BACKUP_DIR") or app.testing:
        return None
    thread = BackupThread(app)
    thread.start()
    return thread
