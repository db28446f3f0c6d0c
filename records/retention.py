"""Retention: holds, the disposition list and disposal with its certificate.

Nothing deletes a record but :func:`dispose_record`, and it refuses before
retention ends, while a hold is on, and for anyone but an approver.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import gridfs
import gridfs.errors
from bson import ObjectId

from records import audit, extraction
from records.access import Actor, can_view
from records.clock import to_local, utcnow
from records.commit import record_written
from records.errors import InvalidData, NotFound, PermissionDenied, RetentionError
from records.i18n import N_
from records.models import DisposalCertificate, Record
from records.permissions import DISPOSE, HOLD
from records.store import database, load_doc, unit_of_work

log = logging.getLogger(__name__)


def place_hold(actor: Actor, number: str, reason: str) -> dict:
    """Put a hold on a record (legal, audit, complaint…); several may stand."""
    if not actor.may(HOLD):
        raise PermissionDenied()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(N_("Give the reason for the hold."), field="reason")
    doc = load_doc(number)
    hold = {
        "id": str(ObjectId()),
        "reason": reason[:500],
        "by": actor.username,
        "by_name": actor.full_name,
        "at": utcnow(),
    }

    def work(db, session):
        db.records.update_one({"_id": doc["_id"]}, {"$push": {"holds": hold}}, session=session)
        audit.append_on(
            db,
            session,
            actor,
            "hold",
            doc,
            details=hold,
        )
        return hold

    return unit_of_work(work)


def release_hold(actor: Actor, number: str, hold_id: str, reason: str) -> None:
    if not actor.may(HOLD):
        raise PermissionDenied()
    doc = load_doc(number)
    hold = next((h for h in doc.get("holds", []) if h.get("id") == hold_id), None)
    if hold is None:
        raise NotFound(N_("There is no such hold on %(number)s."), number=number)

    def work(db, session):
        db.records.update_one(
            {"_id": doc["_id"]}, {"$pull": {"holds": {"id": hold_id}}}, session=session
        )
        audit.append_on(
            db,
            session,
            actor,
            "hold_released",
            doc,
            details={"hold": hold, "reason": (reason or "").strip()},
        )

    unit_of_work(work)


def retention_day(ends_on: datetime) -> date:
    """The last day to keep a record, in the organisation's calendar.

    ``retention_ends_on`` is a UTC moment; cut to a date in UTC it can fall a
    day before the local one that pages show. Every page, message, export and
    Word footer takes the day from here, so they all print the same date."""
    return to_local(ends_on).date()


def disposable_reason(record: Record, now=None) -> tuple[str, dict] | None:
    """Why ``record`` may not be disposed of yet (a msgid and params), or None."""
    now = now or utcnow()
    number = record.number
    if record.retention_ends_on is None:
        return (
            N_("%(number)s cannot be disposed of: its retention period has not started yet."),
            {"number": number},
        )
    if record.retention_ends_on > now:
        return (
            N_("%(number)s cannot be disposed of: it must be kept until %(date)s."),
            {"number": number, "date": retention_day(record.retention_ends_on).isoformat()},
        )
    if record.holds:
        return (
            N_("%(number)s cannot be disposed of: it is under a hold (%(reason)s)."),
            {"number": number, "reason": record.holds[0].get("reason")},
        )
    return None


def disposition_list(limit: int = 200):
    """Records past retention and not on hold, oldest first."""
    return (
        Record.objects(retention_ends_on__lte=utcnow(), holds__size=0)
        .order_by("retention_ends_on")
        .limit(limit)
    )


def dispose_record(actor: Actor, number: str, reason: str) -> DisposalCertificate:
    """Dispose of a record past its retention; only an approver; a certificate stays."""
    doc = load_doc(number)
    record = Record._from_son(doc)
    if not can_view(actor, record):
        raise NotFound(N_("There is no record %(number)s."), number=number)
    # The role is checked first: one who may never dispose is told so, not
    # that the retention has not ended yet.
    allowed = actor.may(DISPOSE)
    retention = disposable_reason(record)
    if not allowed or retention is not None:
        audit.record_event_on(
            actor,
            "delete_refused",
            doc,
            details={
                "reason": "role"
                if not allowed or retention is None
                else retention[0] % retention[1]
            },
        )
        if not allowed or retention is None:
            raise PermissionDenied(N_("Only an approver may dispose of records."))
        raise RetentionError(retention[0], **retention[1])
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(N_("Give the reason for the disposal."), field="reason")

    def work(db, session):
        now = utcnow()
        current = db.records.find_one({"_id": doc["_id"]}, session=session)
        if current is None or current.get("holds"):
            raise RetentionError(
                N_("%(number)s cannot be disposed of: it is under a hold (%(reason)s)."),
                number=number,
                reason=(current or {}).get("holds", [{}])[0].get("reason"),
            )
        last = (
            db.record_versions.find_one(
                {"record_id": doc["_id"]}, sort=[("version", -1)], session=session
            )
            or {}
        )
        certificate = {
            "number": number,
            "type": current["type"],
            "title": current.get("title"),
            "created_at": current.get("created_at"),
            "retention_starts_at": current.get("retention_starts_at"),
            "retention_ends_on": current.get("retention_ends_on"),
            "disposed_at": now,
            "approved_by": actor.username,
            "approved_by_name": actor.full_name,
            "reason": reason,
            "versions": current["version"],
            "last_version_hash": last.get("hash"),
            "attachments": [
                {"filename": a.get("filename"), "sha256": a.get("sha256")}
                for a in current.get("attachments", [])
            ],
            "is_void": current.get("state") == "void",
        }
        db.disposal_certificates.insert_one(certificate, session=session)
        files = {
            a["file_id"]
            for v in db.record_versions.find(
                {"record_id": doc["_id"]}, {"attachments.file_id": 1}, session=session
            )
            for a in v.get("attachments", [])
            if a.get("file_id")
        }
        db.record_versions.delete_many({"record_id": doc["_id"]}, session=session)
        db.records.delete_one({"_id": doc["_id"]}, session=session)
        audit.append_on(
            db,
            session,
            actor,
            "dispose",
            current,
            details={"reason": reason, "certificate": number},
        )
        record_written(db, session, current, op="delete")
        return certificate, files

    certificate, files = unit_of_work(work)
    # GridFS cannot take part in the transaction; the files go once it committed.
    bucket = gridfs.GridFSBucket(database(), bucket_name="attachments")
    for file_id in files:
        try:
            bucket.delete(file_id)
        except gridfs.errors.NoFile:
            log.warning("attachment %s of %s was already gone", file_id, number)
    extraction.forget(doc["_id"])
    return DisposalCertificate._from_son(certificate)


def certificate(number: str) -> DisposalCertificate | None:
    return DisposalCertificate.objects(number=number).first()
