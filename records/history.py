"""Reading the past: versions, the difference of two, a record as of a date."""

from __future__ import annotations

from datetime import datetime

from records.access import Actor, can_view
from records.errors import NotFound
from records.i18n import N_
from records.models import Record, RecordVersion
from records.operations import changes_between, load_doc


def _visible(actor: Actor, number: str) -> dict:
    doc = load_doc(number)
    if not can_view(actor, Record._from_son(doc)):
        raise NotFound(N_("There is no record %(number)s."), number=number)
    return doc


def versions(actor: Actor, number: str):
    """All versions of a record, newest first."""
    doc = _visible(actor, number)
    return RecordVersion.objects(record_id=doc["_id"]).order_by("-version")


def version(actor: Actor, number: str, n: int) -> RecordVersion:
    doc = _visible(actor, number)
    found = RecordVersion.objects(record_id=doc["_id"], version=int(n)).first()
    if found is None:
        raise NotFound(N_("Record %(number)s has no version %(version)s."),
                       number=number, version=n)
    return found


def diff(actor: Actor, number: str, older: int, newer: int) -> list[dict]:
    """Field by field, what changed from version ``older`` to ``newer``."""
    a = version(actor, number, older)
    b = version(actor, number, newer)
    changes = changes_between(a.data or {}, b.data or {})
    if a.state != b.state:
        changes.insert(0, {"field": "state", "old": a.state, "new": b.state})
    old_files = [f.get("filename") for f in a.attachments]
    new_files = [f.get("filename") for f in b.attachments]
    if old_files != new_files:
        changes.append({"field": "attachments", "old": ", ".join(old_files),
                        "new": ", ".join(new_files)})
    return changes


def as_of(actor: Actor, number: str, moment: datetime) -> RecordVersion:
    """The version that was current at ``moment`` (UTC)."""
    doc = _visible(actor, number)
    found = RecordVersion.objects(record_id=doc["_id"], changed_at__lte=moment).order_by(
        "-version").first()
    if found is None:
        raise NotFound(N_("Record %(number)s did not exist yet at that time."), number=number)
    return found
