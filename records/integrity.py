"""Do the records still say what their versions say?

Every write of a record writes a new version with a hash of what it says
(number, version, state, fields, files) and, with the audit key, an HMAC of
that hash (:func:`records.audit.seal`). :func:`verify_records` checks, for
every record, that its versions run 1..n without a gap, that each hash
recomputes and is authenticated, and that the record's current content is
its last version's; and that every record the audit trail says was created
is still kept or has a disposal certificate. Someone who can write the database can edit a version
and recompute its hash, but not its HMAC.

Versions from before the key have no HMAC; they pass by their hash alone,
unless the audit trail says the version was written with the key (its entry
is authenticated): then a missing HMAC means it was removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from records import audit
from records.versions import version_hash

#: The audit actions that write a version of the record they name.
VERSION_ACTIONS = ("create", "change", "revert", "transition", "attach", "escalate", "import")


@dataclass(frozen=True)
class RecordsCheck:
    ok: bool
    records: int
    versions: int
    number: str | None = None
    reason: str = ""
    #: Versions from before the key, checked by their hash only.
    unauthenticated: int = 0


def _version_problem(version: dict, key: bytes | None, db: Database) -> str | None:
    digest = version_hash(version)
    if digest != version.get("hash"):
        return f"version {version['version']} was changed after it was written"
    if "mac" in version:
        if not key:
            return f"version {version['version']} is authenticated, but the audit key is missing"
        if not audit.sealed("version", digest, version["mac"], key):
            return (
                f"version {version['version']} was not written with the audit key "
                "(changed, with its hash recomputed)"
            )
        return None
    written_with_key = db.audit.find_one(
        {
            "number": version["number"],
            "version": version["version"],
            "action": {"$in": list(VERSION_ACTIONS)},
            "mac": {"$exists": True},
        },
        {"_id": 1},
    )
    if written_with_key is not None:
        return f"version {version['version']} lost its authentication"
    return None


def verify_records(db: Database, key: bytes | None = None, batch: int = 1000) -> RecordsCheck:
    """Check every record against its versions; report the first that fails."""
    key = key if key is not None else audit.current_key()
    records = versions_seen = unauthenticated = 0

    def failed(number: str | None, problem: str) -> RecordsCheck:
        return RecordsCheck(False, records, versions_seen, number, problem)

    orphan = "it has versions but the record itself is gone"
    # Both in record order: one pass over each collection, no query per record.
    versions = db.record_versions.find(
        {}, sort=[("record_id", 1), ("version", 1)], batch_size=batch
    )
    pending = next(versions, None)
    for record in db.records.find({}, sort=[("_id", 1)], batch_size=batch):
        records += 1
        if pending is not None and pending["record_id"] < record["_id"]:
            return failed(pending.get("number"), orphan)
        mine = []
        while pending is not None and pending["record_id"] == record["_id"]:
            mine.append(pending)
            pending = next(versions, None)
        versions_seen += len(mine)
        number = record.get("number")
        numbers = [v["version"] for v in mine]
        if numbers != list(range(1, record.get("version", 0) + 1)):
            return failed(
                number, f"its versions are {numbers or 'none'}, not 1 to {record.get('version')}"
            )
        for version in mine:
            problem = _version_problem(version, key, db)
            if problem:
                return failed(number, problem)
            unauthenticated += "mac" not in version
        if version_hash(record) != mine[-1]["hash"]:
            return failed(number, "its current content differs from its last version")
    if pending is not None:
        return failed(pending.get("number"), orphan)
    gone = _gone_without_certificate(db)
    if gone is not None:
        return failed(
            gone[0],
            f"it was created (audit entry {gone[1]}) but is gone without a disposal certificate",
        )
    return RecordsCheck(True, records, versions_seen, unauthenticated=unauthenticated)


def _gone_without_certificate(db: Database) -> tuple[str, int] | None:
    """A record the trail says was created, that is neither kept nor disposed
    of: removed with its versions behind the portal's back."""
    kept = {r["number"] for r in db.records.find({}, {"number": 1, "_id": 0})}
    kept |= {c["number"] for c in db.disposal_certificates.find({}, {"number": 1, "_id": 0})}
    for entry in db.audit.find({"action": "create"}, {"number": 1, "seq": 1, "_id": 0}):
        if entry.get("number") and entry["number"] not in kept:
            return entry["number"], entry["seq"]
    return None
