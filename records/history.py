"""The read side of a record: versions, a version, the difference of two, a
record as of a date, the records linked to it and its audit trail.

Everything here comes out already filtered for the actor: records they may
not see are not found (or not listed), confidential values are removed from
data and from every ``changes`` list, and the audit trail is refused to
those without the permission. Views only render what they get.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from records.access import Actor, can_view, hidden_fields, load_visible, visible_filter
from records.errors import NotFound, PermissionDenied
from records.i18n import N_
from records.models import AuditEntry, Record
from records.permissions import READ_AUDIT_TRAIL, READ_HISTORY
from records.store import database
from records.types import record_type_of
from records.versions import changes_between, version_number


@dataclass(frozen=True)
class VersionView:
    """One version of a record as ``actor`` may read it."""

    number: str
    type: str
    version: int
    state: str
    title: str | None
    operation: str | None
    changed_by: str | None
    changed_by_name: str | None
    changed_at: datetime | None
    reason: str | None
    hash: str | None
    changes: list[dict]
    data: dict = field(default_factory=dict)
    attachments: list[dict] = field(default_factory=list)
    department: str | None = None
    #: The fields withheld from this reader (their values are not here).
    hidden: frozenset[str] = frozenset()


def without_hidden(changes: list[dict] | None, hidden: frozenset[str]) -> list[dict]:
    """``changes`` without the entries of fields the reader may not see."""
    return [dict(c) for c in changes or () if c.get("field") not in hidden]


class Reader:
    """What one actor may read of one record (loaded once, checked once)."""

    def __init__(self, actor: Actor, number: str, *, history: bool = True):
        doc = load_visible(actor, number)
        if history and not actor.may(READ_HISTORY):
            raise PermissionDenied(N_("You may not read the past versions of records."))
        self.actor = actor
        self.doc = doc
        self.number = number
        self.record_type = record_type_of(doc["type"])
        self.hidden = hidden_fields(actor, self.record_type, doc)

    def view(self, stored: dict) -> VersionView:
        data = {k: v for k, v in (stored.get("data") or {}).items() if k not in self.hidden}
        return VersionView(
            number=stored["number"],
            type=stored["type"],
            version=stored["version"],
            state=stored["state"],
            title=stored.get("title"),
            operation=stored.get("operation"),
            changed_by=stored.get("changed_by"),
            changed_by_name=stored.get("changed_by_name"),
            changed_at=stored.get("changed_at"),
            reason=stored.get("reason"),
            hash=stored.get("hash"),
            changes=without_hidden(stored.get("changes"), self.hidden),
            data=data,
            attachments=list(stored.get("attachments") or []),
            department=stored.get("department"),
            hidden=frozenset(self.hidden & set(stored.get("data") or {})),
        )

    def find(self, query: dict, projection=None, sort=None) -> list[dict]:
        cursor = database().record_versions.find(
            {"record_id": self.doc["_id"], **query}, projection
        )
        if sort:
            cursor = cursor.sort(*sort)
        return list(cursor)

    def one(self, n) -> dict:
        n = checked_version(n)
        found = self.find({"version": n})
        if not found:
            raise NotFound(
                N_("Record %(number)s has no version %(version)s."), number=self.number, version=n
            )
        return found[0]


def checked_version(n) -> int:
    """``n`` as a version number a reader asks for, or InvalidData."""
    return version_number(n, N_("A version is a whole number from 1."))


def versions(actor: Actor, number: str, *, with_data: bool = False) -> list[VersionView]:
    """All versions of a record, newest first (without their data unless asked)."""
    reader = Reader(actor, number)
    projection = None if with_data else {"data": 0, "attachments": 0}
    return [reader.view(v) for v in reader.find({}, projection, ("version", -1))]


def version(actor: Actor, number: str, n) -> VersionView:
    """Version ``n`` of a record."""
    reader = Reader(actor, number)
    return reader.view(reader.one(n))


def diff(actor: Actor, number: str, older, newer) -> list[dict]:
    """Field by field, what changed from version ``older`` to ``newer``."""
    reader = Reader(actor, number)
    a, b = reader.view(reader.one(older)), reader.view(reader.one(newer))
    changes = changes_between(a.data, b.data)
    if a.state != b.state:
        changes.insert(0, {"field": "state", "old": a.state, "new": b.state})
    old_files = [str(f.get("filename") or "") for f in a.attachments]
    new_files = [str(f.get("filename") or "") for f in b.attachments]
    if old_files != new_files:
        changes.append(
            {"field": "attachments", "old": ", ".join(old_files), "new": ", ".join(new_files)}
        )
    return changes


def as_of(actor: Actor, number: str, moment: datetime) -> VersionView:
    """The version that was current at ``moment`` (UTC)."""
    reader = Reader(actor, number)
    found = reader.find({"changed_at": {"$lte": moment}}, None, ("version", -1))
    if not found:
        raise NotFound(N_("Record %(number)s did not exist yet at that time."), number=number)
    return reader.view(found[0])


def linked(actor: Actor, number: str, limit: int = 100) -> list[Record]:
    """The records that refer to ``number`` and that ``actor`` may see."""
    Reader(actor, number, history=False)
    if visible_filter(actor) is None:
        return []
    # By the refs index alone, then the access rule: the visibility filter's
    # $or beside it made the embedded server scan every record.
    found = Record.objects(refs=number).only(
        "id", "number", "type", "state", "title", "created_by", "people", "department"
    )
    return sorted((r for r in found if can_view(actor, r)), key=lambda r: r.number)[:limit]


def may_read_audit(actor: Actor) -> bool:
    return actor.may(READ_AUDIT_TRAIL)


def audit_trail(
    actor: Actor, number: str, *, limit: int = 1000, newest_first: bool = False
) -> list[AuditEntry]:
    """The audit entries of one record, for those who may read the trail.

    Those readers also see every confidential field, so details stay whole."""
    if not may_read_audit(actor):
        raise PermissionDenied(N_("You may not read the audit trail."))
    Reader(actor, number, history=False)
    return list(
        AuditEntry.objects(number=number).order_by("-seq" if newest_first else "seq").limit(limit)
    )
